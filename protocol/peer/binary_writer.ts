import { assert } from "../../src/util/assert.ts";
import { STRING_BYTES_MAX, U32_MAX } from "./limits.ts";

const TEXT_ENCODER = new TextEncoder();
/** Strings up to this length are tried as ASCII first, without TextEncoder (faster). */
const ASCII_FAST_LENGTH_MAX = 256;

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

/** Initial buffer size of a writer without a capacity hint, in bytes. */
const WRITER_CAPACITY_BYTES_DEFAULT = 64;

/** 2^32, the weight of the high word of a u53. */
const U32_RANGE = 0x1_0000_0000;

/**
 * Growable big-endian writer for peer protocol fields.
 *
 * Values that cannot be represented (negative, fractional, too large) throw a RangeError: they
 * may come from outside input (a client's timeout, a configured id), so they are validated.
 */
export class BinaryWriter {
  /** Backing storage; bytes `[0, #lengthBytes)` are written, the rest is spare capacity. */
  #bytes: Uint8Array;
  /** Number of bytes written so far; always <= `#bytes.length`. */
  #lengthBytes = 0;

  /** Creates a writer; `capacityBytes` is an initial size hint (it grows as needed). */
  constructor(capacityBytes: number = WRITER_CAPACITY_BYTES_DEFAULT) {
    this.#bytes = new Uint8Array(Math.max(8, Math.ceil(capacityBytes)));
  }

  /** Number of bytes written so far. */
  get lengthBytes(): number {
    return this.#lengthBytes;
  }

  /** Writes an unsigned 8-bit integer. */
  u8(value: number): this {
    checkUnsigned(value, 0xff, "u8");
    this.#reserve(1);
    this.#bytes[this.#lengthBytes] = value;
    this.#lengthBytes += 1;
    return this;
  }

  /** Writes an unsigned 16-bit big-endian integer. */
  u16(value: number): this {
    checkUnsigned(value, 0xffff, "u16");
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

  /** Writes a safe non-negative integer as a u32 high word followed by a u32 low word. */
  u53(value: number): this {
    checkUnsigned(value, Number.MAX_SAFE_INTEGER, "u53");
    this.#reserve(8);
    setU32(this.#bytes, this.#lengthBytes, Math.floor(value / U32_RANGE));
    setU32(this.#bytes, this.#lengthBytes + 4, value % U32_RANGE);
    this.#lengthBytes += 8;
    return this;
  }

  /** Writes a u32 byte length followed by the bytes. */
  bytes(value: Uint8Array): this {
    this.u32(value.length);
    this.raw(value);
    return this;
  }

  /** Writes bytes as they are, without a length prefix. */
  raw(value: Uint8Array): this {
    this.#reserve(value.length);
    this.#bytes.set(value, this.#lengthBytes);
    this.#lengthBytes += value.length;
    return this;
  }

  /** Writes a u16 UTF-8 byte length followed by the UTF-8 bytes. */
  string(value: string): this {
    // UTF-16 code unit count * 3 bounds the UTF-8 size (lone surrogates become U+FFFD, 3 bytes).
    this.#reserve(2 + value.length * 3);
    const start = this.#lengthBytes + 2;
    const written = writeAscii(value, this.#bytes, start) ??
      TEXT_ENCODER.encodeInto(value, this.#bytes.subarray(start)).written;
    if (written > STRING_BYTES_MAX) {
      throw new RangeError(
        `Cannot encode string: length ${written} exceeds maximum of ${STRING_BYTES_MAX} bytes`,
      );
    }
    setU16(this.#bytes, this.#lengthBytes, written);
    this.#lengthBytes = start + written;
    return this;
  }

  /** Writes a u32 item count followed by each item written by `writeItem`. */
  list<T>(items: readonly T[], writeItem: (writer: this, item: T) => void): this {
    this.u32(items.length);
    for (const item of items) writeItem(this, item);
    return this;
  }

  /** Overwrites the u32 at `offsetBytes` (already written), e.g. to patch a length prefix. */
  patchU32(offsetBytes: number, value: number): this {
    assert(offsetBytes + 4 <= this.#lengthBytes, "patchU32 must target written bytes");
    checkUnsigned(value, U32_MAX, "u32");
    setU32(this.#bytes, offsetBytes, value);
    return this;
  }

  /** Returns the written bytes as a view over the writer's buffer; do not write afterwards. */
  finish(): Uint8Array {
    return this.#bytes.subarray(0, this.#lengthBytes);
  }

  #reserve(extraBytes: number): void {
    const neededBytes = this.#lengthBytes + extraBytes;
    if (neededBytes <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(neededBytes, this.#bytes.length * 2));
    grown.set(this.#bytes.subarray(0, this.#lengthBytes));
    this.#bytes = grown;
  }
}

function checkUnsigned(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`Cannot encode ${field}: ${value} is not an integer in 0..${max}`);
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
