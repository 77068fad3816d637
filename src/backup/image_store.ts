/**
 * Images taken for `BACKUP META`/`BACKUP SLOT`, held so the backup tool can read them in chunks
 * of at most BACKUP_CHUNK_BYTES_MAX (a whole slot image would exceed a client's reply limit).
 * Bounded: at most IMAGES_HELD_MAX images, each dropped HOLD_MS after its last read. The clock is
 * passed in.
 */
import { crc32c } from "../storage/crc32.ts";

/** Images held at once; taking one more drops the least recently read. */
export const IMAGES_HELD_MAX = 4;
/** An image unread for this long is dropped. */
export const IMAGE_HOLD_MS = 60_000;
/** Largest chunk `BACKUP CHUNK` returns, in bytes. */
export const BACKUP_CHUNK_BYTES_MAX = 1024 * 1024;

/** What `BACKUP META`/`BACKUP SLOT` answers about a held image. */
export interface HeldImage {
  token: number;
  appliedIndex: number;
  totalBytes: number;
  /** crc32c of the whole image: the tool checks what it read. */
  crc: number;
}

/** Held images by token. */
export class ImageStore {
  readonly #nowMs: () => number;
  readonly #images = new Map<number, { image: Uint8Array; lastReadMs: number }>();
  #nextToken = 1;

  constructor(nowMs: () => number) {
    this.#nowMs = nowMs;
  }

  /** Number of images held. */
  get size(): number {
    return this.#images.size;
  }

  /** Holds `image`; returns its token and figures. */
  hold(appliedIndex: number, image: Uint8Array): HeldImage {
    this.#expire();
    while (this.#images.size >= IMAGES_HELD_MAX) {
      const oldest = [...this.#images].sort((a, b) => a[1].lastReadMs - b[1].lastReadMs)[0]!;
      this.#images.delete(oldest[0]);
    }
    const token = this.#nextToken++;
    this.#images.set(token, { image, lastReadMs: this.#nowMs() });
    return { token, appliedIndex, totalBytes: image.length, crc: crc32c(image) };
  }

  /** Bytes `[offset, offset + BACKUP_CHUNK_BYTES_MAX)` of image `token`; null if not held. */
  chunk(token: number, offset: number): Uint8Array | null {
    this.#expire();
    const held = this.#images.get(token);
    if (held === undefined || offset > held.image.length) return null;
    held.lastReadMs = this.#nowMs();
    const end = Math.min(held.image.length, offset + BACKUP_CHUNK_BYTES_MAX);
    if (end === held.image.length) this.#images.delete(token);
    return held.image.subarray(offset, end);
  }

  #expire(): void {
    const now = this.#nowMs();
    for (const [token, held] of this.#images) {
      if (now - held.lastReadMs > IMAGE_HOLD_MS) this.#images.delete(token);
    }
  }
}
