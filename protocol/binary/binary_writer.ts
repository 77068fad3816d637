import { assert } from "../../src/util/assert.ts";
import { U16_MAX, U32_MAX, U32_RANGE, U53_MAX, U8_MAX } from "./limits.ts";

const TEXT_ENCODER = new TextEncoder();
/** Strings up to this length are tried as ASCII first, without TextEncoder (faster). */
const ASCII_FAST_LENGTH_MAX = 256;
/** Initial buffer size of a writer without a capacity hint, in bytes. */
const WRITER_CAPACITY_BYTES_DEFAULT = 64;

/**
 * Growable writer of binary fields: big-endian (network order) by default, little-endian only
 * through the explicit `*le` methods (the node log's on-disk layout).
 *
 * The buffer is reused: `reset()` forgets the content and keeps the allocation, so a writer
 * kept by its owner allocates nothing per message once grown. `view()` returns the written
 * bytes without copying (valid until the next write or `reset()`); `copy()` returns a copy.
 *
 * Values that cannot be represented (negative, fractional, too large, a string or bytes longer
 * than its length prefix can say) throw a RangeError: they may come from outside input (a
 * client's timeout, a lock name), so they are validated, not asserted.
 */
export class BinaryWriter {
  /** Backing storage; bytes `[0, #lengthBytes)` are written, the rest is spare capacity. */
  #bytes: Uint8Array;
  /** Number of bytes written since creation or the last `reset()`; <= `#bytes.length`. */
  #lengthBytes = 0;
  /** Largest size the buffer may grow to, in bytes. */
  readonly #capacityBytesMax: number;

  /**
   * Creates a writer; `capacityBytes` is the initial size (it grows as needed, doubling), never
   * beyond `capacityBytesMax` (writing past it throws a RangeError).
   */
  constructor(
    capacityBytes: number = WRITER_CAPACITY_BYTES_DEFAULT,
    capacityBytesMax: number = U53_MAX,
  ) {
    this.#capacityBytesMax = capacityBytesMax;
    this.#bytes = new Uint8Array(Math.min(capacityBytesMax, Math.max(8, Math.ceil(capacityBytes))));
  }

  /** Number of bytes written since creation or the last `reset()`. */
  get lengthBytes(): number {
    return this.#lengthBytes;
  }

  /** Forgets the content, keeping the allocation for the next message or batch. */
  reset(): this {
    this.#lengthBytes = 0;
    return this;
  }

  /** The written bytes as a view over the writer's buffer: valid until the next write or reset. */
  view(): Uint8Array {
    return this.#bytes.subarray(0, this.#lengthBytes);
  }

  /** A copy of the written bytes, independent of the writer. */
  copy(): Uint8Array {
    return this.#bytes.slice(0, this.#lengthBytes);
  }

  /** Writes an unsigned 8-bit integer. */
  u8(value: number): this {
    checkUnsigned(value, U8_MAX, "u8");
    this.#reserve(1);
    this.#bytes[this.#lengthBytes] = value;
    this.#lengthBytes += 1;
    return this;
  }

  /** Writes an unsigned 16-bit big-endian integer. */
  u16(value: number): this {
    checkUnsigned(value, U16_MAX, "u16");
    this.#reserve(2);
    setU16(this.#bytes, this.#lengthBytes, value);
    this.#lengthBytes += 2;
    return this;
  }

  /** Writes an unsigned 32-bit big-endian integer. */
  u32(value: number): this {
    checkUnsigned(value, U32_MAX, "u32");
    this.#reserve(4);
    setU32(this.#bytes, this.#lengthBytes, value);
    this.#lengthBytes += 4;
    return this;
  }

  /** Writes a safe non-negative integer in 8 bytes: u32 high word, then u32 low word (BE). */
  u53(value: number): this {
    checkUnsigned(value, U53_MAX, "u53");
    this.#reserve(8);
    setU32(this.#bytes, this.#lengthBytes, Math.floor(value / U32_RANGE));
    // `>>> 0` is the value modulo 2^32 (exact below 2^53), without a floating-point modulo.
    setU32(this.#bytes, this.#lengthBytes + 4, value >>> 0);
    this.#lengthBytes += 8;
    return this;
  }

  /** Writes an unsigned 32-bit little-endian integer. */
  u32le(value: number): this {
    checkUnsigned(value, U32_MAX, "u32");
    this.#reserve(4);
    setU32le(this.#bytes, this.#lengthBytes, value);
    this.#lengthBytes += 4;
    return this;
  }

  /** Writes a safe non-negative integer in 8 bytes, little-endian (low word first). */
  u53le(value: number): this {
    checkUnsigned(value, U53_MAX, "u53");
    this.#reserve(8);
    setU32le(this.#bytes, this.#lengthBytes, value >>> 0);
    setU32le(this.#bytes, this.#lengthBytes + 4, Math.floor(value / U32_RANGE));
    this.#lengthBytes += 8;
    return this;
  }

  /** Writes a u8 byte length followed by the bytes (at most 255). */
  u8Bytes(value: Uint8Array): this {
    checkLength(value.length, U8_MAX, "u8Bytes");
    return this.u8(value.length).fixed(value);
  }

  /** Writes a u16 big-endian byte length followed by the bytes (at most 65535). */
  u16Bytes(value: Uint8Array): this {
    checkLength(value.length, U16_MAX, "u16Bytes");
    return this.u16(value.length).fixed(value);
  }

  /** Writes a u32 big-endian byte length followed by the bytes. */
  u32Bytes(value: Uint8Array): this {
    checkLength(value.length, U32_MAX, "u32Bytes");
    return this.u32(value.length).fixed(value);
  }

  /** Writes a u8 UTF-8 byte length followed by the UTF-8 bytes (at most 255). */
  u8String(value: string): this {
    return this.#string(value, 1, U8_MAX, "u8String");
  }

  /** Writes a u16 big-endian UTF-8 byte length followed by the UTF-8 bytes (at most 65535). */
  u16String(value: string): this {
    return this.#string(value, 2, U16_MAX, "u16String");
  }

  /** Writes a u32 big-endian UTF-8 byte length followed by the UTF-8 bytes. */
  u32String(value: string): this {
    return this.#string(value, 4, U32_MAX, "u32String");
  }

  /** Writes bytes as they are, without a length prefix (the reader's `fixed(n)`). */
  fixed(value: Uint8Array): this {
    this.#reserve(value.length);
    this.#bytes.set(value, this.#lengthBytes);
    this.#lengthBytes += value.length;
    return this;
  }

  /** Writes a u32 item count followed by each item written by `writeItem`. */
  list<T>(items: readonly T[], writeItem: (writer: this, item: T) => void): this {
    this.u32(items.length);
    for (const item of items) writeItem(this, item);
    return this;
  }

  /** Overwrites the big-endian u32 at `offsetBytes` (already written), e.g. a length prefix. */
  patchU32(offsetBytes: number, value: number): this {
    assert(offsetBytes + 4 <= this.#lengthBytes, "patchU32 must target written bytes");
    checkUnsigned(value, U32_MAX, "u32");
    setU32(this.#bytes, offsetBytes, value);
    return this;
  }

  /** Overwrites the little-endian u32 at `offsetBytes` (already written). */
  patchU32le(offsetBytes: number, value: number): this {
    assert(offsetBytes + 4 <= this.#lengthBytes, "patchU32le must target written bytes");
    checkUnsigned(value, U32_MAX, "u32");
    setU32le(this.#bytes, offsetBytes, value);
    return this;
  }

  #string(value: string, prefixBytes: number, lengthMax: number, field: string): this {
    // UTF-16 code unit count * 3 bounds the UTF-8 size (lone surrogates become U+FFFD, 3 bytes).
    this.#reserve(prefixBytes + value.length * 3);
    const start = this.#lengthBytes + prefixBytes;
    const written = writeAscii(value, this.#bytes, start) ??
      TEXT_ENCODER.encodeInto(value, this.#bytes.subarray(start)).written;
    checkLength(written, lengthMax, field);
    const bytes = this.#bytes;
    const at = this.#lengthBytes;
    if (prefixBytes === 1) bytes[at] = written;
    else if (prefixBytes === 2) setU16(bytes, at, written);
    else setU32(bytes, at, written);
    this.#lengthBytes = start + written;
    return this;
  }

  #reserve(extraBytes: number): void {
    const neededBytes = this.#lengthBytes + extraBytes;
    if (neededBytes <= this.#bytes.length) return;
    if (neededBytes > this.#capacityBytesMax) {
      throw new RangeError(
        `Cannot encode: ${neededBytes} bytes exceed the writer's maximum of ` +
          `${this.#capacityBytesMax} bytes`,
      );
    }
    const grown = new Uint8Array(
      Math.min(this.#capacityBytesMax, Math.max(neededBytes, this.#bytes.length * 2)),
    );
    grown.set(this.#bytes.subarray(0, this.#lengthBytes));
    this.#bytes = grown;
  }
}

/** Writes an all-ASCII short `value` at `offset` and returns its length; else null. */
function writeAscii(value: string, bytes: Uint8Array, offset: number): number | null {
  if (value.length > ASCII_FAST_LENGTH_MAX) return null;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0x80) return null;
    bytes[offset + i] = code;
  }
  return value.length;
}

function checkUnsigned(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`Cannot encode ${field}: ${value} is not an integer in 0..${max}`);
  }
}

function checkLength(length: number, max: number, field: string): void {
  if (length > max) {
    throw new RangeError(
      `Cannot encode ${field}: length ${length} exceeds maximum of ${max} bytes`,
    );
  }
}

function setU16(bytes: Uint8Array, offsetBytes: number, value: number): void {
  bytes[offsetBytes] = value >>> 8;
  bytes[offsetBytes + 1] = value & 0xff;
}

function setU32(bytes: Uint8Array, offsetBytes: number, value: number): void {
  bytes[offsetBytes] = value >>> 24;
  bytes[offsetBytes + 1] = (value >>> 16) & 0xff;
  bytes[offsetBytes + 2] = (value >>> 8) & 0xff;
  bytes[offsetBytes + 3] = value & 0xff;
}

function setU32le(bytes: Uint8Array, offsetBytes: number, value: number): void {
  bytes[offsetBytes] = value & 0xff;
  bytes[offsetBytes + 1] = (value >>> 8) & 0xff;
  bytes[offsetBytes + 2] = (value >>> 16) & 0xff;
  bytes[offsetBytes + 3] = value >>> 24;
}
