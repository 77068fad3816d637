import { assert } from "../../src/util/assert.ts";
import { CR, LF, SPACE } from "./bytes.ts";
import { RespLimitError } from "./errors.ts";
import { formatDouble } from "./scalars.ts";
import type { RespValue } from "./value.ts";

/** Protocol version of a connection: RESP2 (default) or RESP3 (after `HELLO 3`). */
export type RespVersion = 2 | 3;

/** Default initial size of a writer's buffer, in bytes. */
const WRITER_BYTES_INITIAL = 16 * 1024;
/** Default largest buffer a writer may grow to, in bytes (1 GiB). */
const WRITER_BYTES_MAX_DEFAULT = 1024 * 1024 * 1024;
/** reset() replaces a buffer larger than this (bytes) by a fresh one of the initial size. */
const WRITER_BYTES_RETAINED_MAX = 1024 * 1024;
/** Strings up to this many chars take the ASCII fast path in bulk(). */
const ASCII_BULK_CHARS_MAX = 256;
/** Byte arrays up to this length are copied by a loop instead of TypedArray.set. */
const COPY_LOOP_BYTES_MAX = 16;
/** Integers 0..CACHED_INTEGER_MAX have pre-encoded `:n\r\n` replies. */
const CACHED_INTEGER_MAX = 1023;

const ENCODER = new TextEncoder();
const PLUS = 43;
const MINUS = 45;
const COLON = 58;
const DOLLAR = 36;
const ASTERISK = 42;

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

const OK_REPLY = ascii("+OK\r\n");
const PONG_REPLY = ascii("+PONG\r\n");
const NULL_BULK_RESP2 = ascii("$-1\r\n");
const NULL_ARRAY_RESP2 = ascii("*-1\r\n");
const NULL_RESP3 = ascii("_\r\n");
const TRUE_RESP3 = ascii("#t\r\n");
const FALSE_RESP3 = ascii("#f\r\n");
const INTEGER_REPLIES: readonly Uint8Array[] = Array.from(
  { length: CACHED_INTEGER_MAX + 1 },
  (_, n) => ascii(`:${n}\r\n`),
);

/** Growable output buffer that encodes replies. One instance per connection, reused. */
export class RespWriter {
  readonly #bytesInitial: number;
  readonly #bytesMax: number;
  #buffer: Uint8Array;
  /** Encoded bytes in #buffer; invariant 0 <= #length <= #buffer.length <= #bytesMax. */
  #length = 0;

  /**
   * Creates a writer with `initialBytes` of buffer that grows on demand up to `bytesMax`;
   * a write beyond `bytesMax` throws RespLimitError (flush before it fills).
   */
  constructor(initialBytes = WRITER_BYTES_INITIAL, bytesMax = WRITER_BYTES_MAX_DEFAULT) {
    assert(Number.isSafeInteger(initialBytes) && initialBytes > 0, "initialBytes must be > 0");
    assert(Number.isSafeInteger(bytesMax) && bytesMax >= initialBytes, "bytesMax < initialBytes");
    this.#bytesInitial = initialBytes;
    this.#bytesMax = bytesMax;
    this.#buffer = new Uint8Array(initialBytes);
  }

  /** Bytes encoded since the last reset(). */
  get byteLength(): number {
    return this.#length;
  }

  /** View of the encoded bytes (valid until the next write/reset). */
  bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }

  /** Forgets the encoded bytes; drops a buffer grown past 1 MiB. */
  reset(): void {
    this.#length = 0;
    if (this.#buffer.length > WRITER_BYTES_RETAINED_MAX) {
      this.#buffer = new Uint8Array(this.#bytesInitial);
    }
  }

  /** `+text\r\n`; CR and LF in `text` become spaces. */
  simple(text: string): void {
    if (text === "OK") this.#copy(OK_REPLY);
    else if (text === "PONG") this.#copy(PONG_REPLY);
    else this.#line(PLUS, text);
  }

  /** `-text\r\n`, e.g. `ERR unknown command`; CR and LF in `text` become spaces. */
  error(text: string): void {
    this.#line(MINUS, text);
  }

  /** `:n\r\n` for a safe integer `n`. */
  integer(n: number): void {
    assert(Number.isSafeInteger(n), `integer(${n}) needs a safe integer`);
    if (n >= 0 && n <= CACHED_INTEGER_MAX) this.#copy(INTEGER_REPLIES[n] as Uint8Array);
    else this.#header(COLON, n);
  }

  /** `$len\r\n...\r\n`; strings are UTF-8 encoded. */
  bulk(data: Uint8Array | string): void {
    if (typeof data === "string") {
      if (data.length <= ASCII_BULK_CHARS_MAX && this.#bulkAscii(data)) return;
      data = ENCODER.encode(data);
    }
    this.#blob(DOLLAR, data);
  }

  /** A null bulk string: RESP2 `$-1`, RESP3 `_`. */
  nullBulk(version: RespVersion): void {
    this.#copy(version === 3 ? NULL_RESP3 : NULL_BULK_RESP2);
  }

  /** A null array: RESP2 `*-1`, RESP3 `_`. */
  nullArray(version: RespVersion): void {
    this.#copy(version === 3 ? NULL_RESP3 : NULL_ARRAY_RESP2);
  }

  /** `*count`; the caller then writes `count` values. */
  arrayHeader(count: number): void {
    this.#countHeader(ASTERISK, count);
  }

  /** RESP3 `%count`, RESP2 `*2count`; the caller then writes `count` key, value pairs. */
  mapHeader(count: number, version: RespVersion): void {
    if (version === 3) this.#countHeader(37, count);
    else this.#countHeader(ASTERISK, count * 2);
  }

  /** RESP3 `~count`, RESP2 `*count`. */
  setHeader(count: number, version: RespVersion): void {
    this.#countHeader(version === 3 ? 126 : ASTERISK, count);
  }

  /** RESP3 `>count`, RESP2 `*count`. */
  pushHeader(count: number, version: RespVersion): void {
    this.#countHeader(version === 3 ? 62 : ASTERISK, count);
  }

  /** RESP3 `#t`/`#f`, RESP2 `:1`/`:0`. */
  boolean(value: boolean, version: RespVersion): void {
    if (version === 3) this.#copy(value ? TRUE_RESP3 : FALSE_RESP3);
    else this.#copy(INTEGER_REPLIES[value ? 1 : 0] as Uint8Array);
  }

  /** RESP3 `,x` (`inf`, `-inf`, `nan` included), RESP2 the same text as a bulk string. */
  double(value: number, version: RespVersion): void {
    if (version === 3) this.#line(44, formatDouble(value));
    else this.bulk(formatDouble(value));
  }

  /** RESP3 `=len\r\nfmt:text\r\n` with a 3-char `format` such as `txt`; RESP2 a bulk string. */
  verbatim(format: string, text: string, version: RespVersion): void {
    this.#verbatim(format, ENCODER.encode(text), version);
  }

  /** Appends pre-encoded bytes. */
  raw(bytes: Uint8Array): void {
    this.#copy(bytes);
  }

  /**
   * Any RespValue. RESP2 downgrades: null → `$-1`, boolean → `:1`/`:0`, double, bignum and
   * verbatim → bulk strings, blobError → `-` error, map → flat array, set/push → array;
   * attributes have no RESP2 form and are omitted.
   */
  value(v: RespValue, version: RespVersion): void {
    switch (v.type) {
      case "simple":
        return this.simple(v.value);
      case "error":
        return this.error(v.value);
      case "integer":
        return this.integer(v.value);
      case "bulk":
        return this.bulk(v.value);
      case "null":
        return this.nullBulk(version);
      case "boolean":
        return this.boolean(v.value, version);
      case "double":
        return this.double(v.value, version);
      case "bignum":
        if (version === 3) return this.#line(40, v.value.toString());
        return this.bulk(v.value.toString());
      case "verbatim":
        return this.#verbatim(v.format, v.value, version);
      case "blobError":
        if (version === 3) return this.#blob(33, ENCODER.encode(v.value));
        return this.error(v.value);
      case "array":
        this.arrayHeader(v.value.length);
        return this.#values(v.value, version);
      case "set":
        this.setHeader(v.value.length, version);
        return this.#values(v.value, version);
      case "push":
        this.pushHeader(v.value.length, version);
        return this.#values(v.value, version);
      case "map":
        this.mapHeader(v.value.length, version);
        return this.#pairs(v.value, version);
      case "attribute":
        if (version === 2) return;
        this.#countHeader(124, v.value.length);
        return this.#pairs(v.value, version);
    }
  }

  #values(items: readonly RespValue[], version: RespVersion): void {
    for (const item of items) this.value(item, version);
  }

  #pairs(pairs: ReadonlyArray<readonly [RespValue, RespValue]>, version: RespVersion): void {
    for (const [key, value] of pairs) {
      this.value(key, version);
      this.value(value, version);
    }
  }

  #verbatim(format: string, body: Uint8Array, version: RespVersion): void {
    if (version === 2) return this.#blob(DOLLAR, body);
    assert(format.length === 3, `verbatim format '${format}' must have 3 chars`);
    this.#ensure(decimalDigitCount(body.length + 4) + body.length + 9);
    this.#header(61, body.length + 4);
    const buffer = this.#buffer;
    let pos = this.#length;
    for (let i = 0; i < 3; i++) {
      const code = format.charCodeAt(i);
      assert(code <= 0xff, `verbatim format '${format}' must be single-byte chars`);
      buffer[pos++] = code;
    }
    buffer[pos++] = COLON;
    this.#length = pos;
    this.#copy(body);
    this.#crlf();
  }

  /** Writes `typeByte`, `text` (ASCII fast path, CR/LF replaced by spaces) and CRLF. */
  #line(typeByte: number, text: string): void {
    const length = text.length;
    this.#ensure(length + 3);
    const buffer = this.#buffer;
    let pos = this.#length;
    buffer[pos++] = typeByte;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) return this.#lineUnicode(typeByte, text);
      buffer[pos++] = code === CR || code === LF ? SPACE : code;
    }
    buffer[pos++] = CR;
    buffer[pos++] = LF;
    this.#length = pos;
  }

  #lineUnicode(typeByte: number, text: string): void {
    // UTF-8 multi-byte sequences never contain CR or LF bytes, so replacing chars is enough.
    const bytes = ENCODER.encode(text.replace(/[\r\n]/g, " "));
    this.#ensure(bytes.length + 3);
    this.#buffer[this.#length++] = typeByte;
    this.#copy(bytes);
    this.#crlf();
  }

  /** Writes a bulk string of an ASCII `text`; false (nothing written) if it is not ASCII. */
  #bulkAscii(text: string): boolean {
    const length = text.length;
    const digitCount = decimalDigitCount(length);
    this.#ensure(digitCount + length + 5);
    const buffer = this.#buffer;
    let pos = this.#length;
    buffer[pos++] = DOLLAR;
    pos = putDecimal(buffer, pos, length, digitCount);
    buffer[pos++] = CR;
    buffer[pos++] = LF;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) return false;
      buffer[pos++] = code;
    }
    buffer[pos++] = CR;
    buffer[pos++] = LF;
    this.#length = pos;
    return true;
  }

  /** Writes `typeByte`, the length of `bytes`, CRLF, the bytes and CRLF. */
  #blob(typeByte: number, bytes: Uint8Array): void {
    const length = bytes.length;
    const digitCount = decimalDigitCount(length);
    this.#ensure(digitCount + length + 5);
    const buffer = this.#buffer;
    let pos = this.#length;
    buffer[pos++] = typeByte;
    pos = putDecimal(buffer, pos, length, digitCount);
    buffer[pos++] = CR;
    buffer[pos++] = LF;
    if (length <= COPY_LOOP_BYTES_MAX) {
      for (let i = 0; i < length; i++) buffer[pos + i] = bytes[i] as number;
    } else {
      buffer.set(bytes, pos);
    }
    pos += length;
    buffer[pos++] = CR;
    buffer[pos++] = LF;
    this.#length = pos;
  }

  #countHeader(typeByte: number, count: number): void {
    assert(Number.isSafeInteger(count) && count >= 0, `aggregate count ${count} is invalid`);
    this.#header(typeByte, count);
  }

  /** Writes `typeByte`, the safe integer `n` in decimal, and CRLF. */
  #header(typeByte: number, n: number): void {
    const negative = n < 0;
    const magnitude = negative ? -n : n;
    const digitCount = decimalDigitCount(magnitude);
    this.#ensure(digitCount + (negative ? 4 : 3));
    const buffer = this.#buffer;
    let pos = this.#length;
    buffer[pos++] = typeByte;
    if (negative) buffer[pos++] = MINUS;
    pos = putDecimal(buffer, pos, magnitude, digitCount);
    buffer[pos++] = CR;
    buffer[pos++] = LF;
    this.#length = pos;
  }

  #crlf(): void {
    this.#ensure(2);
    this.#buffer[this.#length++] = CR;
    this.#buffer[this.#length++] = LF;
  }

  #copy(bytes: Uint8Array): void {
    const length = bytes.length;
    this.#ensure(length);
    if (length <= COPY_LOOP_BYTES_MAX) {
      const buffer = this.#buffer;
      const pos = this.#length;
      for (let i = 0; i < length; i++) buffer[pos + i] = bytes[i] as number;
    } else {
      this.#buffer.set(bytes, this.#length);
    }
    this.#length += length;
  }

  /** Makes room for `byteCount` more bytes, growing the buffer up to the maximum. */
  #ensure(byteCount: number): void {
    const neededByteCount = this.#length + byteCount;
    if (neededByteCount <= this.#buffer.length) return;
    if (neededByteCount > this.#bytesMax) {
      throw new RespLimitError(
        `reply of ${neededByteCount} bytes exceeds maximum of ${this.#bytesMax} bytes`,
      );
    }
    const capacity = Math.min(Math.max(this.#buffer.length * 2, neededByteCount), this.#bytesMax);
    const grown = new Uint8Array(capacity);
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
  }
}

/** Writes the `digitCount` decimal digits of a non-negative safe integer at `pos`; returns the end. */
function putDecimal(buffer: Uint8Array, pos: number, n: number, digitCount: number): number {
  const end = pos + digitCount;
  let i = end - 1;
  // Exact float arithmetic above 2^31 - 1, small-integer arithmetic below it.
  for (; n > 0x7fffffff; i--) {
    const digit = n % 10;
    buffer[i] = 48 + digit;
    n = (n - digit) / 10;
  }
  for (; i >= pos; i--) {
    const quotient = (n / 10) | 0;
    buffer[i] = 48 + n - quotient * 10;
    n = quotient;
  }
  return end;
}

/** Decimal digits of a non-negative safe integer. */
function decimalDigitCount(n: number): number {
  let digitCount = 1;
  for (let power = 10; power <= n && digitCount < 16; power *= 10) digitCount++;
  return digitCount;
}

/** Encodes one value to fresh bytes (tests, tools); RESP3 unless `version` is 2. */
export function encodeValue(v: RespValue, version: RespVersion = 3): Uint8Array {
  const writer = new RespWriter(256);
  writer.value(v, version);
  return writer.bytes().slice();
}

/** Encodes a client command as a RESP array of bulk strings. */
export function encodeCommand(args: ReadonlyArray<Uint8Array | string>): Uint8Array {
  const writer = new RespWriter(256);
  writer.arrayHeader(args.length);
  for (const arg of args) writer.bulk(arg);
  return writer.bytes().slice();
}
