const TEXT_ENCODER = new TextEncoder();
const TEXT_DECODER = new TextDecoder("utf-8", { fatal: true });

/** Largest integer encoded as u64 (JavaScript safe integers). */
export const U64_SAFE_MAX = Number.MAX_SAFE_INTEGER;

/** A growable big-endian byte writer. */
export class ByteWriter {
  #bytes: Uint8Array;
  #view: DataView;
  #length = 0;

  /** Creates a writer with an initial capacity in bytes. */
  constructor(capacityBytes = 256) {
    this.#bytes = new Uint8Array(capacityBytes);
    this.#view = new DataView(this.#bytes.buffer);
  }

  #reserve(sizeBytes: number): void {
    const needed = this.#length + sizeBytes;
    if (needed <= this.#bytes.length) return;
    let capacity = this.#bytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }

  /** Writes one byte. */
  u8(value: number): void {
    this.#reserve(1);
    this.#view.setUint8(this.#length, value);
    this.#length += 1;
  }

  /** Writes a big-endian u32. */
  u32(value: number): void {
    this.#reserve(4);
    this.#view.setUint32(this.#length, value);
    this.#length += 4;
  }

  /** Writes a non-negative safe integer as a big-endian u64. */
  u64(value: number, what: string): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new Error(`Cannot encode ${what}: ${value} is not a non-negative safe integer`);
    }
    this.#reserve(8);
    this.#view.setUint32(this.#length, Math.floor(value / 4294967296));
    this.#view.setUint32(this.#length + 4, value >>> 0);
    this.#length += 8;
  }

  /** Writes a u32 length followed by raw bytes. */
  bytes(value: Uint8Array): void {
    this.u32(value.length);
    this.#reserve(value.length);
    this.#bytes.set(value, this.#length);
    this.#length += value.length;
  }

  /** Writes a u8 length followed by UTF-8 text (at most 255 bytes). */
  shortString(value: string, what: string): void {
    if (value.length <= 255 && this.#asciiShortString(value)) return;
    const encoded = TEXT_ENCODER.encode(value);
    if (encoded.length > 255) {
      throw new Error(`Cannot encode ${what}: length ${encoded.length} exceeds maximum of 255`);
    }
    this.u8(encoded.length);
    this.#reserve(encoded.length);
    this.#bytes.set(encoded, this.#length);
    this.#length += encoded.length;
  }

  /** Writes an all-ASCII `value` as a short string without an encoder; false if not ASCII. */
  #asciiShortString(value: string): boolean {
    this.#reserve(1 + value.length);
    const bytes = this.#bytes;
    const start = this.#length + 1;
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) return false;
      bytes[start + i] = code;
    }
    bytes[this.#length] = value.length;
    this.#length = start + value.length;
    return true;
  }

  /** The written bytes (a copy-free view). */
  finish(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }
}

/** A bounds-checked big-endian byte reader; every failure is an Error naming `what`. */
export class ByteReader {
  #bytes: Uint8Array;
  #view: DataView;
  #offset = 0;
  #what: string;

  /** Reads `bytes`; `what` names the decoded thing in error messages. */
  constructor(bytes: Uint8Array, what: string) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
  }

  /** Bytes not yet read. */
  remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  /** Throws a decode error. */
  fail(reason: string): never {
    throw new Error(`Cannot decode ${this.#what}: ${reason}`);
  }

  #need(sizeBytes: number, field: string): void {
    if (this.remaining() < sizeBytes) {
      this.fail(`truncated at ${field} (need ${sizeBytes} bytes, have ${this.remaining()})`);
    }
  }

  /** Reads one byte. */
  u8(field: string): number {
    this.#need(1, field);
    return this.#view.getUint8(this.#offset++);
  }

  /** Reads a big-endian u32. */
  u32(field: string): number {
    this.#need(4, field);
    const value = this.#view.getUint32(this.#offset);
    this.#offset += 4;
    return value;
  }

  /** Reads a big-endian u64 that must be a safe integer. */
  u64(field: string): number {
    this.#need(8, field);
    const high = this.#view.getUint32(this.#offset);
    const low = this.#view.getUint32(this.#offset + 4);
    this.#offset += 8;
    const value = high * 4294967296 + low;
    if (!Number.isSafeInteger(value)) this.fail(`${field} ${value} exceeds 2^53 - 1`);
    return value;
  }

  /** Reads a u32 length and that many bytes (copied), at most `bytesMax`. */
  bytes(field: string, bytesMax: number): Uint8Array {
    const length = this.u32(field);
    if (length > bytesMax) {
      this.fail(`${field} length ${length} exceeds maximum of ${bytesMax} bytes`);
    }
    this.#need(length, field);
    const out = this.#bytes.slice(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }

  /** Reads a u8 length and UTF-8 text. */
  shortString(field: string): string {
    const length = this.u8(field);
    this.#need(length, field);
    const start = this.#offset;
    this.#offset += length;
    const ascii = asciiText(this.#bytes, start, start + length);
    if (ascii !== null) return ascii;
    try {
      return TEXT_DECODER.decode(this.#bytes.subarray(start, start + length));
    } catch {
      return this.fail(`${field} is not valid UTF-8`);
    }
  }

  /** Throws unless every byte was consumed. */
  end(): void {
    if (this.remaining() !== 0) this.fail(`${this.remaining()} trailing bytes`);
  }
}

/** One reused code array for short ASCII strings (node ids in every message). */
const ASCII_CODES: number[] = [];

/** `bytes[start, end)` as a string when every byte is ASCII (valid UTF-8 as it is), else null. */
function asciiText(bytes: Uint8Array, start: number, end: number): string | null {
  const codes = ASCII_CODES;
  codes.length = end - start;
  for (let i = start; i < end; i++) {
    const code = bytes[i]!;
    if (code >= 0x80) return null;
    codes[i - start] = code;
  }
  return String.fromCharCode.apply(null, codes);
}
