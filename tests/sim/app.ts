import type { Entry, NodeId } from "../../src/raft/mod.ts";

/**
 * A replicated application state machine plugged into a simulated host, next to the hash-only
 * state machine every host keeps. The host feeds it every committed entry in log order and stores
 * its image inside the host's snapshot image.
 */
export interface SimApp {
  /**
   * Applies the committed entry (any kind; the app ignores what it does not understand). What it
   * returns for a normal entry resolves the host's proposal; undefined: the entry's index.
   */
  apply(entry: Entry): unknown;
  /** The state after the last applied entry, as bytes (part of a snapshot image). */
  snapshot(): Uint8Array;
  /** Called on every tick of the node while it runs (the app's own timers). */
  tick?(): void;
}

/** Creates a host's app when it starts and when it installs a snapshot. */
export interface SimAppFactory {
  /** A new app for host `id` holding the state of `image` at log `index` (empty image: initial). */
  create(id: NodeId, index: number, image: Uint8Array): SimApp;
}

const LENGTH_BYTES = 4;

/** Joins the host's own image and an app image: u32 length of `base`, `base`, then `app`. */
export function joinImage(base: Uint8Array, app: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(LENGTH_BYTES + base.length + app.length);
  new DataView(bytes.buffer).setUint32(0, base.length);
  bytes.set(base, LENGTH_BYTES);
  bytes.set(app, LENGTH_BYTES + base.length);
  return bytes;
}

/** Splits `joinImage` output; an empty image splits into two empty parts (bootstrap). */
export function splitImage(image: Uint8Array): { base: Uint8Array; app: Uint8Array } {
  if (image.length === 0) return { base: image, app: image };
  if (image.length < LENGTH_BYTES) {
    throw new Error(`Cannot split image: ${image.length} bytes is below the 4-byte header`);
  }
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const baseBytes = view.getUint32(0);
  if (LENGTH_BYTES + baseBytes > image.length) {
    throw new Error(
      `Cannot split image: base length ${baseBytes} exceeds the ${image.length}-byte image`,
    );
  }
  return {
    base: image.subarray(LENGTH_BYTES, LENGTH_BYTES + baseBytes),
    app: image.subarray(LENGTH_BYTES + baseBytes),
  };
}
