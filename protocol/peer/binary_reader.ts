import { FrameError } from "./frame_error.ts";
import { STRING_BYTES_MAX } from "./limits.ts";
import type { StringInterner } from "./string_interner.ts";

const TEXT_DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** Strings up to this many bytes that are all ASCII are decoded without TextDecoder (faster). */
const ASCII_FAST_BYTES_MAX = 256;

/** Code units of the short ASCII string being decoded (reused: no array per string). */
const ASCII_CODES: number[] = [];

/** 2^32, the weight of the high word of a u53. */
const U32_RANGE = 0x1_0000_0000;

/** Largest valid high word of a u53: floor(Number.MAX_SAFE_INTEGER / 2^32). */
const U53_HIGH_MAX = 0x1f_ffff;

/**
 * Big-endian reader over one message body. Every read is checked against the remaining bytes;
 * failures throw FrameError("Cannot decode <context>: ..."). Never throws any other error.
 */
export class BinaryReader {
  /** The bytes being read; never modified. */
  readonly #bytes: Uint8Array;
  /** View over `#bytes`. */
  readonly #view: DataView;
  /** What is being decoded, e.g. "Handshake"; names the thing in error messages. */
  readonly #context: string;
  /** Offset of the next unread byte; always <= `#bytes.length`. */
  #offsetBytes = 0;

  /** Creates a reader over `bytes`; `context` names what is decoded in error messages. */
  constructor(bytes: Uint8Array, context = "frame") {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#context = context;
  }

  /** Number of bytes not yet read. */
  get remainingBytes(): number {
    return this.#bytes.length - this.#offsetBytes;
  }

  /** Reads an unsigned 8-bit integer. */
  u8(): number {
    this.#need(1, "u8");
    const value = this.#view.getUint8(this.#offsetBytes);
    this.#offsetBytes += 1;
    return value;
  }

  /** Reads an unsigned 16-bit big-endian integer. */
  u16(): number {
    this.#need(2, "u16");
    const value = this.#view.getUint16(this.#offsetBytes);
    this.#offsetBytes += 2;
    return value;
  }

  /** Reads an unsigned 32-bit big-endian integer. */
  u32(): number {
    this.#need(4, "u32");
    const value = this.#view.getUint32(this.#offsetBytes);
    this.#offsetBytes += 4;
    return value;
  }

  /** Reads a u53 (u32 high + u32 low); rejects values above Number.MAX_SAFE_INTEGER. */
  u53(): number {
    this.#need(8, "u53");
    const high = this.#view.getUint32(this.#offsetBytes);
    const low = this.#view.getUint32(this.#offsetBytes + 4);
    if (high > U53_HIGH_MAX) {
      throw this.error(
        `u53 high word ${high} exceeds maximum of ${U53_HIGH_MAX} (value above 2^53 - 1)`,
      );
    }
    this.#offsetBytes += 8;
    return high * U32_RANGE + low;
  }

  /** Reads a u32 length then that many bytes, returned as a copy; `lengthMax` bounds it. */
  bytes(lengthMax: number = Number.MAX_SAFE_INTEGER): Uint8Array {
    const length = this.u32();
    this.#checkLength(length, lengthMax, "bytes");
    const value = this.#bytes.slice(this.#offsetBytes, this.#offsetBytes + length);
    this.#offsetBytes += length;
    return value;
  }

  /**
   * Like bytes(), but returns a view into the input instead of a copy (no copy of a large
   * snapshot image part); the caller must not keep it past the input's lifetime or modify it.
   */
  bytesView(lengthMax: number = Number.MAX_SAFE_INTEGER): Uint8Array {
    const length = this.u32();
    this.#checkLength(length, lengthMax, "bytes");
    const value = this.#bytes.subarray(this.#offsetBytes, this.#offsetBytes + length);
    this.#offsetBytes += length;
    return value;
  }

  /**
   * Reads a u16 length then that many bytes of UTF-8; rejects invalid UTF-8. With `interner`,
   * a short ASCII string equal to one decoded before through it comes back as that string.
   */
  string(interner?: StringInterner): string {
    const length = this.u16();
    this.#checkLength(length, STRING_BYTES_MAX, "string");
    const start = this.#offsetBytes;
    const end = start + length;
    if (interner === undefined || length > ASCII_FAST_BYTES_MAX) {
      const value = this.#decodeString(start, end);
      this.#offsetBytes = end;
      return value;
    }
    const slot = interner.slotOf(this.#bytes, start, end);
    let value = interner.find(slot, this.#bytes, start, end);
    if (value === undefined) {
      value = this.#decodeString(start, end);
      // An all-ASCII string has one code unit per byte: find() compares them.
      if (value.length === length) interner.remember(slot, value);
    }
    this.#offsetBytes = end;
    return value;
  }

  #decodeString(start: number, end: number): string {
    const bytes = this.#bytes;
    if (end - start <= ASCII_FAST_BYTES_MAX) {
      // ASCII: the bytes are the code units. One reused array, not a subarray per string.
      const codes = ASCII_CODES;
      codes.length = end - start;
      let i = start;
      for (; i < end && bytes[i]! < 0x80; i++) codes[i - start] = bytes[i]!;
      if (i === end) return String.fromCharCode.apply(null, codes);
    }
    try {
      return TEXT_DECODER.decode(bytes.subarray(start, end));
    } catch {
      throw this.error(
        `string of ${countBytes(end - start)} at offset ${start} is not valid UTF-8`,
      );
    }
  }

  /**
   * Reads a u32 count then that many items with `readItem`. The count is checked against
   * `countMax` and against the remaining bytes, given each item takes at least `itemBytesMin`.
   */
  list<T>(readItem: (reader: this) => T, countMax: number, itemBytesMin: number): T[] {
    const count = this.u32();
    if (count > countMax) {
      throw this.error(`list count ${count} exceeds maximum of ${countMax} items`);
    }
    if (count * itemBytesMin > this.remainingBytes) {
      throw this.error(
        `list count ${count} needs at least ${countBytes(count * itemBytesMin)} ` +
          `but only ${this.remainingBytes} remain`,
      );
    }
    const items: T[] = [];
    for (let itemIndex = 0; itemIndex < count; itemIndex++) items.push(readItem(this));
    return items;
  }

  /** Throws FrameError if any byte is left unread. */
  expectEnd(): void {
    if (this.remainingBytes !== 0) {
      const count = this.remainingBytes;
      const trailing = count === 1 ? "1 trailing byte" : `${count} trailing bytes`;
      throw this.error(`${trailing} after message body`);
    }
  }

  /** Builds a FrameError "Cannot decode <context>: <detail>" for a caller-detected problem. */
  error(detail: string): FrameError {
    return new FrameError(`Cannot decode ${this.#context}: ${detail}`);
  }

  #need(sizeBytes: number, field: string): void {
    if (sizeBytes > this.remainingBytes) {
      throw this.error(
        `${field} needs ${countBytes(sizeBytes)} but only ${this.remainingBytes} remain`,
      );
    }
  }

  #checkLength(length: number, lengthMax: number, field: string): void {
    if (length > lengthMax) {
      throw this.error(`${field} length ${length} exceeds maximum of ${lengthMax} bytes`);
    }
    if (length > this.remainingBytes) {
      throw this.error(
        `${field} length ${length} exceeds remaining ${countBytes(this.remainingBytes)}`,
      );
    }
  }
}

/** Formats a byte count with the right plural: "1 byte", "12 bytes". */
function countBytes(count: number): string {
  return count === 1 ? "1 byte" : `${count} bytes`;
}
