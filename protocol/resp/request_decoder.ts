import { assert } from "../../src/util/assert.ts";
import { ASTERISK, CR, describeByte, DOLLAR, LF } from "./bytes.ts";
import { RespLimitError, RespProtocolError } from "./errors.ts";
import { splitInlineLine } from "./inline.ts";
import { resolveRespLimits, type RespLimits } from "./limits.ts";

/** Default size of the region writable() returns, in bytes. */
const WRITABLE_BYTES_DEFAULT = 16 * 1024;
/** Size of a fresh input buffer, in bytes. */
const BUFFER_BYTES_INITIAL = 64 * 1024;
/** An empty buffer larger than this (bytes) is dropped for a fresh one, returning the memory. */
const BUFFER_BYTES_RETAINED_MAX = 256 * 1024;
/** Most digits in a `*N` or `$N` header; 15 digits keep the value below 2^53. */
const LENGTH_DIGITS_MAX = 15;

/** #readLength() results that are not positions. */
const NEED_MORE = -1;
const INVALID = -2;

/** Internal marker for a command that was consumed but yields nothing (`*0`, blank line). */
const SKIPPED: Uint8Array[] = [];

/**
 * Decodes client requests (RESP arrays of bulk strings, or inline commands) from byte chunks.
 *
 * Zero-copy: multibulk arguments and unquoted inline arguments are views into the internal
 * buffer. A view stays valid across further next() calls but only until the next writable() or
 * push(), which may reuse, compact or replace the buffer; slice() what must outlive that.
 * Call next() until it returns undefined before reading more: buffered bytes then never exceed
 * one partial command, which the limits bound.
 */
export class RespRequestDecoder {
  readonly #bulkBytesMax: number;
  readonly #argumentCountMax: number;
  readonly #inlineBytesMax: number;
  #buffer: Uint8Array<ArrayBuffer>;
  /** #buffer.buffer, cached: argument views are created on it directly (#buffer.byteOffset is 0). */
  #arrayBuffer: ArrayBuffer;
  /** First unconsumed byte; invariant 0 <= #start <= #end <= #buffer.length. */
  #start = 0;
  /** One past the last received byte. */
  #end = 0;
  /** Bytes the last writable() region allows commit() to add; 0 when none is open. */
  #writableByteCount = 0;
  /** Arguments announced by the current `*N` header; -1 while no header is parsed. */
  #argumentCount = -1;
  /** Start and end offsets (relative to #start) of parsed arguments, in pairs; reused. */
  readonly #bounds: number[] = [];
  /** Entries of #bounds in use: twice the arguments of the current command parsed so far. */
  #boundCount = 0;
  /** Where parsing of the current command resumes, relative to #start. */
  #scanOffset = 0;
  /** Payload bytes of the current argument once its `$N` header is parsed; -1 otherwise. */
  #bulkByteCount = -1;
  /** Bytes of the current inline line already searched for `\n`, relative to #start. */
  #inlineScanOffset = 0;
  /** Value parsed by the last successful #readLength(). */
  #lengthValue = 0;
  /** The error that made this decoder unusable, rethrown by every later next(). */
  #failure: RespProtocolError | RespLimitError | undefined;

  /**
   * Creates a decoder; `limits` override DEFAULT_RESP_LIMITS field by field. `initialBytes` is
   * the first buffer's size (it grows as writable() asks for more).
   */
  constructor(limits: Partial<RespLimits> = {}, initialBytes: number = BUFFER_BYTES_INITIAL) {
    assert(Number.isSafeInteger(initialBytes) && initialBytes > 0, "initialBytes must be > 0");
    const resolved = resolveRespLimits(limits);
    this.#bulkBytesMax = resolved.bulkBytesMax;
    this.#argumentCountMax = resolved.argumentCountMax;
    this.#inlineBytesMax = resolved.inlineBytesMax;
    this.#buffer = new Uint8Array(initialBytes);
    this.#arrayBuffer = this.#buffer.buffer;
  }

  /**
   * A writable region of at least `minBytes` (default 16 KiB) at the end of the internal buffer;
   * read socket bytes into it, then call commit(n). May compact/grow the buffer, which
   * invalidates every view returned by next() so far.
   */
  writable(minBytes: number = WRITABLE_BYTES_DEFAULT): Uint8Array {
    assert(Number.isSafeInteger(minBytes) && minBytes > 0, "writable() needs minBytes > 0");
    if (this.#start === this.#end) this.#reset(minBytes);
    if (this.#buffer.length - this.#end < minBytes) this.#makeRoom(minBytes);
    this.#writableByteCount = this.#buffer.length - this.#end;
    return this.#buffer.subarray(this.#end);
  }

  /** Marks `byteCount` bytes written into the last writable() region as received. */
  commit(byteCount: number): void {
    assert(
      Number.isSafeInteger(byteCount) && byteCount >= 0 && byteCount <= this.#writableByteCount,
      `commit(${byteCount}) exceeds the ${this.#writableByteCount} writable bytes`,
    );
    this.#end += byteCount;
    this.#writableByteCount = 0;
  }

  /** Convenience: copies a chunk in (writable + set + commit). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.writable(chunk.length).set(chunk);
    this.commit(chunk.length);
  }

  /** Bytes received but not yet consumed by next(). */
  get bufferedByteCount(): number {
    return this.#end - this.#start;
  }

  /** Size of the internal buffer in bytes (for memory accounting and tests). */
  get capacityByteCount(): number {
    return this.#buffer.length;
  }

  /**
   * The next complete command's arguments, or undefined when more bytes are needed.
   * Views stay valid only until the next writable()/push() call.
   * Empty inline lines and `*0` arrays are skipped (never returned as []).
   * Throws RespProtocolError / RespLimitError; after a throw the decoder is unusable.
   */
  next(): Uint8Array[] | undefined {
    if (this.#failure !== undefined) throw this.#failure;
    if (
      this.#argumentCount < 0 && this.#start < this.#end && this.#buffer[this.#start] === ASTERISK
    ) {
      const args = this.#decodeWholeMultibulk();
      if (args !== undefined) return args;
    }
    try {
      return this.#decode();
    } catch (error) {
      if (error instanceof RespProtocolError || error instanceof RespLimitError) {
        this.#failure = error;
      }
      throw error;
    }
  }

  #decode(): Uint8Array[] | undefined {
    // Each pass returns or consumes at least one byte (a skipped command).
    const passMax = this.#end - this.#start + 1;
    for (let pass = 0; pass < passMax; pass++) {
      if (this.#start === this.#end) return undefined;
      const args = this.#argumentCount >= 0 || this.#buffer[this.#start] === ASTERISK
        ? this.#decodeMultibulk()
        : this.#decodeInline();
      if (args !== SKIPPED) return args;
    }
    assert(false, "next() made no progress");
  }

  /**
   * Fast path: decodes a complete, well-formed, non-empty multibulk command at #start using only
   * locals. Returns undefined without side effects for anything else (incomplete input, `*0`,
   * errors, limits), which the resumable #decodeMultibulk() then handles.
   */
  #decodeWholeMultibulk(): Uint8Array[] | undefined {
    const buffer = this.#buffer;
    const end = this.#end;
    let pos = this.#start + 1;
    let count = 0;
    // Bounded by LENGTH_DIGITS_MAX.
    for (let digitCount = 0;; digitCount++) {
      if (pos >= end || digitCount > LENGTH_DIGITS_MAX) return undefined;
      const digit = (buffer[pos++] as number) - 48;
      if (digit === CR - 48 && digitCount > 0) break;
      if (digit < 0 || digit > 9) return undefined;
      count = count * 10 + digit;
    }
    if (pos >= end || buffer[pos] !== LF || count === 0 || count > this.#argumentCountMax) {
      return undefined;
    }
    pos++;
    const args = new Array<Uint8Array>(count);
    const arrayBuffer = this.#arrayBuffer;
    for (let i = 0; i < count; i++) {
      if (pos >= end || buffer[pos] !== DOLLAR) return undefined;
      pos++;
      let length = 0;
      // Bounded by LENGTH_DIGITS_MAX.
      for (let digitCount = 0;; digitCount++) {
        if (pos >= end || digitCount > LENGTH_DIGITS_MAX) return undefined;
        const digit = (buffer[pos++] as number) - 48;
        if (digit === CR - 48 && digitCount > 0) break;
        if (digit < 0 || digit > 9) return undefined;
        length = length * 10 + digit;
      }
      if (pos >= end || buffer[pos] !== LF || length > this.#bulkBytesMax) return undefined;
      pos++;
      const dataEnd = pos + length;
      if (dataEnd + 2 > end || buffer[dataEnd] !== CR || buffer[dataEnd + 1] !== LF) {
        return undefined;
      }
      args[i] = new Uint8Array(arrayBuffer, pos, length);
      pos = dataEnd + 2;
    }
    this.#start = pos;
    return args;
  }

  #decodeMultibulk(): Uint8Array[] | undefined {
    const buffer = this.#buffer;
    const start = this.#start;
    const end = this.#end;
    let pos = start + this.#scanOffset;
    if (this.#argumentCount < 0) {
      const headerEnd = this.#readLength(start + 1);
      if (headerEnd === NEED_MORE) return undefined;
      if (headerEnd === INVALID) throw new RespProtocolError("invalid multibulk length");
      const count = this.#lengthValue;
      if (count > this.#argumentCountMax) {
        throw new RespLimitError(
          `command has ${count} arguments, maximum is ${this.#argumentCountMax}`,
        );
      }
      if (count === 0) {
        this.#start = headerEnd;
        return SKIPPED;
      }
      this.#argumentCount = count;
      pos = headerEnd;
    }
    const bounds = this.#bounds;
    const boundCountMax = this.#argumentCount * 2;
    // Bounded by #argumentCount, itself at most argumentCountMax.
    while (this.#boundCount < boundCountMax) {
      if (this.#bulkByteCount < 0) {
        if (pos >= end) return this.#pause(pos);
        const typeByte = buffer[pos] as number;
        if (typeByte !== DOLLAR) {
          throw new RespProtocolError(`expected '$', got '${describeByte(typeByte)}'`);
        }
        const headerEnd = this.#readLength(pos + 1);
        if (headerEnd === NEED_MORE) return this.#pause(pos);
        if (headerEnd === INVALID) throw new RespProtocolError("invalid bulk length");
        if (this.#lengthValue > this.#bulkBytesMax) {
          throw new RespLimitError(
            `bulk string length ${this.#lengthValue} exceeds maximum of ${this.#bulkBytesMax} bytes`,
          );
        }
        this.#bulkByteCount = this.#lengthValue;
        pos = headerEnd;
      }
      const dataEnd = pos + this.#bulkByteCount;
      if (dataEnd + 2 > end) return this.#pause(pos);
      if (buffer[dataEnd] !== CR || buffer[dataEnd + 1] !== LF) {
        throw new RespProtocolError("expected CRLF after bulk data");
      }
      bounds[this.#boundCount++] = pos - start;
      bounds[this.#boundCount++] = dataEnd - start;
      this.#bulkByteCount = -1;
      pos = dataEnd + 2;
    }
    const args = new Array<Uint8Array>(this.#argumentCount);
    const arrayBuffer = this.#arrayBuffer;
    for (let i = 0; i < args.length; i++) {
      const argStart = start + (bounds[2 * i] as number);
      args[i] = new Uint8Array(
        arrayBuffer,
        argStart,
        start + (bounds[2 * i + 1] as number) - argStart,
      );
    }
    this.#start = pos;
    this.#argumentCount = -1;
    this.#scanOffset = 0;
    this.#boundCount = 0;
    return args;
  }

  /** Remembers where to resume the current multibulk command; returns undefined. */
  #pause(pos: number): undefined {
    this.#scanOffset = pos - this.#start;
  }

  /**
   * Parses the decimal digits and CRLF of a `*N`/`$N` header starting at `pos`; returns the
   * position after the CRLF (value in #lengthValue), NEED_MORE, or INVALID.
   */
  #readLength(pos: number): number {
    const buffer = this.#buffer;
    const end = this.#end;
    let value = 0;
    let digitCount = 0;
    // Bounded: returns by the (LENGTH_DIGITS_MAX + 1)th byte.
    for (; pos < end; pos++) {
      const byte = buffer[pos] as number;
      if (byte >= 48 && byte <= 57) {
        if (digitCount === LENGTH_DIGITS_MAX) return INVALID;
        value = value * 10 + byte - 48;
        digitCount++;
        continue;
      }
      if (byte !== CR || digitCount === 0) return INVALID;
      if (pos + 1 >= end) return NEED_MORE;
      if (buffer[pos + 1] !== LF) return INVALID;
      this.#lengthValue = value;
      return pos + 2;
    }
    return NEED_MORE;
  }

  #decodeInline(): Uint8Array[] | undefined {
    const region = this.#buffer.subarray(this.#start, this.#end);
    const lineEnd = region.indexOf(LF, this.#inlineScanOffset);
    const lineByteCount = lineEnd < 0 ? region.length : lineEnd;
    if (lineByteCount > this.#inlineBytesMax) {
      throw new RespLimitError(`inline command exceeds maximum of ${this.#inlineBytesMax} bytes`);
    }
    if (lineEnd < 0) {
      this.#inlineScanOffset = region.length;
      return undefined;
    }
    this.#inlineScanOffset = 0;
    this.#start += lineEnd + 1;
    const args = splitInlineLine(region.subarray(0, lineEnd), this.#argumentCountMax);
    return args.length === 0 ? SKIPPED : args;
  }

  /** Empties the buffer; drops an oversized one for a fresh buffer. */
  #reset(minBytes: number): void {
    assert(this.#argumentCount < 0 && this.#inlineScanOffset === 0, "empty buffer mid-command");
    this.#start = 0;
    this.#end = 0;
    if (this.#buffer.length > BUFFER_BYTES_RETAINED_MAX && minBytes <= BUFFER_BYTES_INITIAL) {
      this.#buffer = new Uint8Array(BUFFER_BYTES_INITIAL);
      this.#arrayBuffer = this.#buffer.buffer;
    }
  }

  /** Compacts or grows the buffer so at least `minBytes` are free after #end. */
  #makeRoom(minBytes: number): void {
    const usedByteCount = this.#end - this.#start;
    const neededByteCount = usedByteCount + minBytes;
    const capacity = this.#buffer.length;
    if (neededByteCount <= capacity && usedByteCount * 2 <= capacity) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
    } else {
      const grown = new Uint8Array(Math.max(capacity * 2, neededByteCount));
      grown.set(this.#buffer.subarray(this.#start, this.#end));
      this.#buffer = grown;
      this.#arrayBuffer = grown.buffer;
    }
    this.#start = 0;
    this.#end = usedByteCount;
  }
}
