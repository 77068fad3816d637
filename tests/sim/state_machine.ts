import type { Entry } from "../../src/raft/mod.ts";

/** The simulated state machine: an applied index and a hash of everything applied. */
export interface SimStateMachine {
  /** Last applied index. */
  index: number;
  /** Hash over applied entries (see `foldHash`). */
  hash: number;
  /** Applied normal-entry payloads as text, when recording is on (tests only). */
  values: string[] | null;
}

const HEADER_BYTES = 12;

/** Encodes a snapshot image: index, hash, then `paddingBytes` filler to exercise chunking. */
export function encodeImage(sm: SimStateMachine, paddingBytes: number): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES + paddingBytes);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, Math.floor(sm.index / 4294967296));
  view.setUint32(4, sm.index >>> 0);
  view.setUint32(8, sm.hash);
  for (let i = 0; i < paddingBytes; i++) bytes[HEADER_BYTES + i] = (sm.index + i) & 0xff;
  return bytes;
}

/** Decodes `encodeImage`, verifying the filler so a mis-assembled image is caught. */
export function decodeImage(bytes: Uint8Array): { index: number; hash: number } {
  if (bytes.length < HEADER_BYTES) {
    if (bytes.length === 0) return { index: 0, hash: 0 };
    throw new Error(`Cannot decode image: ${bytes.length} bytes is below the 12-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const index = view.getUint32(0) * 4294967296 + view.getUint32(4);
  for (let i = HEADER_BYTES; i < bytes.length; i++) {
    if (bytes[i] !== ((index + i - HEADER_BYTES) & 0xff)) {
      throw new Error(`Cannot decode image: filler byte ${i} corrupted`);
    }
  }
  return { index, hash: view.getUint32(8) };
}

/** Text of a normal entry's payload. */
export function entryText(entry: Entry): string {
  return new TextDecoder().decode(entry.data);
}
