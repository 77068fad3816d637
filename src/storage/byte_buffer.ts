import { assert } from "../util/assert.ts";

/** 2^32, the weight of the high word of a u64 field carrying a safe integer. */
const U32_RANGE = 0x1_0000_0000;

/**
 * A reusable, growable little-endian buffer that one batch of records is encoded into.
 *
 * Capacity never exceeds `capacityBytesMax`; growing beyond it is a programmer error, because
 * callers size batches against the same limit before encoding.
 */
export class ByteBuffer {
  /** Backing storage; bytes `[0, #lengthBytes)` hold data. */
  #bytes: Uint8Array;
  /** View over `#bytes`, replaced when it grows. */
  #view: DataView;
  /** Bytes written since the last `reset()`; always <= `#bytes.length`. */
  #lengthBytes = 0;
  /** Largest capacity this buffer may grow to, in bytes. */
  readonly #capacityBytesMax: number;

  /** Creates an empty buffer that may grow up to `capacityBytesMax` bytes. */
  constructor(capacityBytesMax: number, initialBytes = 64 * 1024) {
    this.#capacityBytesMax = capacityBytesMax;
    this.#bytes = new Uint8Array(Math.min(initialBytes, capacityBytesMax));
    this.#view = new DataView(this.#bytes.buffer);
  }

  /** Bytes written since the last `reset()`. */
  get lengthBytes(): number {
    return this.#lengthBytes;
  }

  /** Forgets the content, keeping the allocation for the next batch. */
  reset(): void {
    this.#lengthBytes = 0;
  }

  /** The written bytes (a view: valid until the next write or `reset()`). */
  written(): Uint8Array {
    return this.#bytes.subarray(0, this.#lengthBytes);
  }

  /** Makes room for `byteCount` more bytes. */
  reserve(byteCount: number): void {
    const needed = this.#lengthBytes + byteCount;
    if (needed <= this.#bytes.length) return;
    assert(needed <= this.#capacityBytesMax, `buffer of ${needed} bytes exceeds its maximum`);
    const grown = new Uint8Array(
      Math.min(this.#capacityBytesMax, Math.max(needed, 2 * this.#bytes.length)),
    );
    grown.set(this.#bytes.subarray(0, this.#lengthBytes));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }

  /** Appends one byte. */
  u8(value: number): void {
    this.reserve(1);
    this.#bytes[this.#lengthBytes] = value;
    this.#lengthBytes += 1;
  }

  /** Appends a little-endian u32. */
  u32(value: number): void {
    this.reserve(4);
    this.#view.setUint32(this.#lengthBytes, value, true);
    this.#lengthBytes += 4;
  }

  /** Appends a non-negative safe integer as a little-endian u64. */
  u64(value: number): void {
    assert(Number.isSafeInteger(value) && value >= 0, `u64 field holds a safe integer`);
    this.reserve(8);
    this.#view.setUint32(this.#lengthBytes, value % U32_RANGE, true);
    this.#view.setUint32(this.#lengthBytes + 4, Math.floor(value / U32_RANGE), true);
    this.#lengthBytes += 8;
  }

  /** Appends raw bytes. */
  bytes(value: Uint8Array): void {
    this.reserve(value.length);
    this.#bytes.set(value, this.#lengthBytes);
    this.#lengthBytes += value.length;
  }

  /** Overwrites a little-endian u32 at `offset` (which must already be written). */
  patchU32(offset: number, value: number): void {
    assert(offset + 4 <= this.#lengthBytes, "patched u32 lies within written bytes");
    this.#view.setUint32(offset, value, true);
  }
}

/** Reads a little-endian u64 at `offset`; returns -1 when it exceeds the safe integer range. */
export function readU64(view: DataView, offset: number): number {
  const low = view.getUint32(offset, true);
  const high = view.getUint32(offset + 4, true);
  if (high > 0x1f_ffff) return -1;
  return high * U32_RANGE + low;
}
