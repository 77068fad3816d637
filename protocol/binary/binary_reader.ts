import { DecodeError } from "./decode_error.ts";
import { U16_MAX, U32_MAX, U32_RANGE, U53_HIGH_MAX, U8_MAX } from "./limits.ts";
import type { StringInterner } from "./string_interner.ts";

const TEXT_DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** Strings up to this many bytes that are all ASCII are decoded without TextDecoder (faster). */
const ASCII_FAST_BYTES_MAX = 256;
/** Code units of the short ASCII string being decoded (reused: no array per string). */
const ASCII_CODES: number[] = [];

/**
 * Bounds-checked reader of the fields a BinaryWriter writes (big-endian unless the method says
 * `le`), over `bytes[startOffset, endOffset)`. Every failure (truncation, a length or count over
 * its maximum, invalid UTF-8, a u53 above 2^53 - 1, trailing bytes) throws a DecodeError
 * "Cannot decode <context>: <field> at offset <n> ..."; it never throws any other error.
 * Offsets are positions in `bytes`. The reader never modifies `bytes`.
 */
export class BinaryReader {
  /** The bytes being read; never modified. */
  readonly #bytes: Uint8Array;
  /** View over `#bytes` (one per reader: `window()` reuses it). */
  readonly #view: DataView;
  /** Offset just past the last readable byte; <= `#bytes.length`. */
  #endOffset: number;
  /** What is being decoded, e.g. "Handshake"; names the thing in error messages. */
  readonly #context: string;
  /** Offset of the next unread byte; always <= `#endOffset`. */
  #offsetBytes: number;

  /** Creates a reader over `bytes[startOffset, endOffset)`; `context` names it in errors. */
  constructor(bytes: Uint8Array, context = "bytes", startOffset = 0, endOffset = bytes.length) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#context = context;
    this.#offsetBytes = 0;
    this.#endOffset = 0;
    this.window(startOffset, endOffset);
  }

  /**
   * Points the reader at `bytes[startOffset, endOffset)` of the same input, from its start: one
   * reader serves every record of a segment image without an allocation per record.
   */
  window(startOffset: number, endOffset: number): this {
    if (!(0 <= startOffset && startOffset <= endOffset && endOffset <= this.#bytes.length)) {
      throw new RangeError(
        `Invalid reader window ${startOffset}..${endOffset} over ${this.#bytes.length} bytes`,
      );
    }
    this.#offsetBytes = startOffset;
    this.#endOffset = endOffset;
    return this;
  }

  /** Offset of the next unread byte, as a position in the input. */
  get offsetBytes(): number {
    return this.#offsetBytes;
  }

  /** Number of bytes not yet read. */
  get remainingBytes(): number {
    return this.#endOffset - this.#offsetBytes;
  }

  /** Reads an unsigned 8-bit integer. */
  u8(): number {
    const at = this.#take(1, "u8");
    return this.#bytes[at]!;
  }

  /** Reads an unsigned 16-bit big-endian integer. */
  u16(): number {
    return this.#view.getUint16(this.#take(2, "u16"));
  }

  /** Reads an unsigned 32-bit big-endian integer. */
  u32(): number {
    return this.#view.getUint32(this.#take(4, "u32"));
  }

  /** Reads a u53 (u32 high + u32 low, big-endian); rejects values above 2^53 - 1. */
  u53(): number {
    const at = this.#take(8, "u53");
    return this.#u53(at, this.#view.getUint32(at), this.#view.getUint32(at + 4));
  }

  /** Reads an unsigned 32-bit little-endian integer. */
  u32le(): number {
    return this.#view.getUint32(this.#take(4, "u32le"), true);
  }

  /** Reads a u53 little-endian (u32 low + u32 high); rejects values above 2^53 - 1. */
  u53le(): number {
    const at = this.#take(8, "u53le");
    return this.#u53(at, this.#view.getUint32(at + 4, true), this.#view.getUint32(at, true));
  }

  /** Reads a u8 length then that many bytes, returned as a copy; `lengthMax` bounds it. */
  u8Bytes(lengthMax: number = U8_MAX): Uint8Array {
    const at = this.#offsetBytes;
    return this.fixed(this.#length(at, this.u8(), lengthMax, "u8Bytes"));
  }

  /** Reads a u16 length then that many bytes, returned as a copy; `lengthMax` bounds it. */
  u16Bytes(lengthMax: number = U16_MAX): Uint8Array {
    const at = this.#offsetBytes;
    return this.fixed(this.#length(at, this.u16(), lengthMax, "u16Bytes"));
  }

  /** Reads a u32 length then that many bytes, returned as a copy; `lengthMax` bounds it. */
  u32Bytes(lengthMax: number = U32_MAX): Uint8Array {
    const at = this.#offsetBytes;
    return this.fixed(this.#length(at, this.u32(), lengthMax, "u32Bytes"));
  }

  /**
   * Like u32Bytes(), but returns a view into the input instead of a copy (no copy of a large
   * snapshot image part); the caller must not keep it past the input's lifetime or modify it.
   */
  u32BytesView(lengthMax: number = U32_MAX): Uint8Array {
    const at = this.#offsetBytes;
    return this.fixedView(this.#length(at, this.u32(), lengthMax, "u32Bytes"));
  }

  /** Reads a u8 length then that much UTF-8 (see u16String for `interner`). */
  u8String(interner?: StringInterner): string {
    const at = this.#offsetBytes;
    return this.#string(this.#length(at, this.u8(), U8_MAX, "u8String"), interner);
  }

  /**
   * Reads a u16 length then that much UTF-8; rejects invalid UTF-8. With `interner`, a short
   * ASCII string equal to one decoded before through it comes back as that string.
   */
  u16String(interner?: StringInterner): string {
    const at = this.#offsetBytes;
    return this.#string(this.#length(at, this.u16(), U16_MAX, "u16String"), interner);
  }

  /** Reads a u32 length (at most `lengthMax`) then that much UTF-8. */
  u32String(lengthMax: number = U32_MAX): string {
    const at = this.#offsetBytes;
    return this.#string(this.#length(at, this.u32(), lengthMax, "u32String"), undefined);
  }

  /** Reads exactly `sizeBytes` bytes, returned as a copy. */
  fixed(sizeBytes: number): Uint8Array {
    const at = this.#take(sizeBytes, "bytes");
    return this.#bytes.slice(at, at + sizeBytes);
  }

  /** Reads exactly `sizeBytes` bytes, returned as a view into the input (see u32BytesView). */
  fixedView(sizeBytes: number): Uint8Array {
    const at = this.#take(sizeBytes, "bytes");
    return this.#bytes.subarray(at, at + sizeBytes);
  }

  /** Skips `sizeBytes` bytes; returns the offset where they start. */
  skip(sizeBytes: number): number {
    return this.#take(sizeBytes, "bytes");
  }

  /**
   * Reads a u32 count then that many items with `readItem`. The count is checked against
   * `countMax` and against the remaining bytes, given each item takes at least `itemBytesMin`.
   */
  list<T>(readItem: (reader: this) => T, countMax: number, itemBytesMin: number): T[] {
    const count = this.count(countMax, itemBytesMin);
    const items: T[] = [];
    for (let itemIndex = 0; itemIndex < count; itemIndex++) items.push(readItem(this));
    return items;
  }

  /** Reads a u32 item count, checked like list() does; the caller reads the items. */
  count(countMax: number, itemBytesMin: number): number {
    const at = this.#offsetBytes;
    const count = this.u32();
    if (count > countMax) {
      throw this.error(`count ${count} at offset ${at} exceeds maximum of ${countMax} items`);
    }
    if (count * itemBytesMin > this.remainingBytes) {
      throw this.error(
        `count ${count} at offset ${at} needs at least ${countBytes(count * itemBytesMin)} ` +
          `but ${onlyRemain(this.remainingBytes)}`,
      );
    }
    return count;
  }

  /** Throws DecodeError if any byte is left unread. */
  expectEnd(): void {
    const count = this.remainingBytes;
    if (count !== 0) {
      throw this.error(
        `${count === 1 ? "1 trailing byte" : `${count} trailing bytes`} ` +
          `at offset ${this.#offsetBytes}`,
      );
    }
  }

  /** Builds the DecodeError "Cannot decode <context>: <detail>" for a codec-detected problem. */
  error(detail: string): DecodeError {
    return new DecodeError(`Cannot decode ${this.#context}: ${detail}`);
  }

  /** Checks that `sizeBytes` remain, advances past them, returns where they start. */
  #take(sizeBytes: number, field: string): number {
    const at = this.#offsetBytes;
    if (!(sizeBytes >= 0 && sizeBytes <= this.#endOffset - at)) {
      throw new DecodeError(
        `Cannot decode ${this.#context}: ${field} at offset ${at} needs ` +
          `${countBytes(sizeBytes)} but ${onlyRemain(this.#endOffset - at)}`,
        { truncated: sizeBytes >= 0 },
      );
    }
    this.#offsetBytes = at + sizeBytes;
    return at;
  }

  #u53(at: number, high: number, low: number): number {
    if (high > U53_HIGH_MAX) {
      throw this.error(
        `u53 at offset ${at} exceeds 2^53 - 1 (high word ${high} above ${U53_HIGH_MAX})`,
      );
    }
    return high * U32_RANGE + low;
  }

  /**
   * Checks a length prefix (read at offset `at`) against `lengthMax` and the remaining bytes;
   * returns it.
   */
  #length(at: number, length: number, lengthMax: number, field: string): number {
    if (length > lengthMax) {
      throw this.error(
        `${field} length ${length} at offset ${at} exceeds maximum of ${lengthMax} bytes`,
      );
    }
    if (length > this.remainingBytes) {
      throw new DecodeError(
        `Cannot decode ${this.#context}: ${field} length ${length} at offset ${at} exceeds ` +
          `the remaining ${countBytes(this.remainingBytes)}`,
        { truncated: true },
      );
    }
    return length;
  }

  #string(length: number, interner: StringInterner | undefined): string {
    const start = this.#take(length, "string");
    const end = start + length;
    if (interner === undefined || length > ASCII_FAST_BYTES_MAX) {
      return this.#decodeString(start, end);
    }
    const slot = interner.slotOf(this.#bytes, start, end);
    let value = interner.find(slot, this.#bytes, start, end);
    if (value === undefined) {
      value = this.#decodeString(start, end);
      // An all-ASCII string has one code unit per byte: find() compares them.
      if (value.length === length) interner.remember(slot, value);
    }
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
}

/** "only 1 byte remains", "only 12 bytes remain". */
function onlyRemain(count: number): string {
  return count === 1 ? "only 1 byte remains" : `only ${count} bytes remain`;
}

/** Formats a byte count with the right plural: "1 byte", "12 bytes". */
function countBytes(count: number): string {
  return count === 1 ? "1 byte" : `${count} bytes`;
}
