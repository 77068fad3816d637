import { assert } from "../../src/util/assert.ts";
import { CR, hexByte, LF } from "./bytes.ts";
import { RespLimitError, RespProtocolError } from "./errors.ts";
import { resolveRespLimits, type RespLimits } from "./limits.ts";
import { pairUp, type RespValue } from "./value.ts";
import { decodeText, parseDouble, parseInteger } from "./scalars.ts";

export type { RespValue } from "./value.ts";

/** Size of a fresh reply buffer, in bytes. */
const BUFFER_BYTES_INITIAL = 4096;

type AggregateType = "array" | "set" | "push" | "map" | "attribute";

/** An aggregate being filled while parsing; `remainingCount` counts items still expected. */
interface Frame {
  type: AggregateType;
  items: RespValue[];
  remainingCount: number;
}

/** Aggregate type bytes: `*` `~` `>` `%` `|`. */
const AGGREGATE_TYPES: ReadonlyMap<number, AggregateType> = new Map([
  [42, "array"],
  [126, "set"],
  [62, "push"],
  [37, "map"],
  [124, "attribute"],
]);

/** Type bytes of single-line values: `+ - : _ # , (`. */
const LINE_TYPE_BYTES: ReadonlySet<number> = new Set([43, 45, 58, 95, 35, 44, 40]);

/** #parseItem() result when an aggregate header was read and its frame pushed. */
const OPENED = Symbol("opened");

/**
 * Decodes RESP2/RESP3 replies (what a server sends) from byte chunks.
 *
 * Each next() re-parses the current top-level value from its first byte (it skips the work
 * until enough bytes for the missing part have arrived). Returned values own their bytes.
 * A top-level attribute (`|`) is returned as its own value, before the reply it annotates;
 * attributes nested inside aggregates are decoded, checked against the limits, and dropped.
 * Streamed RESP3 strings and aggregates (`$?`, `*?`) are rejected as invalid lengths.
 * Simple lines (`+ - : _ # , (`) may hold at most bulkBytesMax bytes.
 */
export class RespReplyDecoder {
  readonly #limits: Readonly<RespLimits>;
  #buffer = new Uint8Array(BUFFER_BYTES_INITIAL);
  /** First unconsumed byte; invariant 0 <= #start <= #end <= #buffer.length. */
  #start = 0;
  /** One past the last received byte. */
  #end = 0;
  /** Bytes past #start the current value needs at least; next() waits for them. */
  #requiredByteCount = 1;
  /** The received bytes during a parse: #buffer.subarray(0, #end). */
  #data: Uint8Array = this.#buffer;
  /** Parse cursor, an index into #data. */
  #pos = 0;
  /** The error that made this decoder unusable, rethrown by every later next(). */
  #failure: RespProtocolError | RespLimitError | undefined;

  /** Creates a decoder; `limits` override DEFAULT_RESP_LIMITS field by field. */
  constructor(limits: Partial<RespLimits> = {}) {
    this.#limits = resolveRespLimits(limits);
  }

  /** Bytes received but not yet consumed by next(). */
  get bufferedByteCount(): number {
    return this.#end - this.#start;
  }

  /** Appends received bytes (copied). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
    }
    if (this.#buffer.length - this.#end < chunk.length) this.#makeRoom(chunk.length);
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /** The next complete value, or undefined when more bytes are needed. */
  next(): RespValue | undefined {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#end - this.#start < this.#requiredByteCount) return undefined;
    try {
      const value = this.#parseValue();
      if (value !== undefined) {
        this.#start = this.#pos;
        this.#requiredByteCount = 1;
      }
      return value;
    } catch (error) {
      if (error instanceof RespProtocolError || error instanceof RespLimitError) {
        this.#failure = error;
      }
      throw error;
    } finally {
      this.#data = this.#buffer;
    }
  }

  #parseValue(): RespValue | undefined {
    this.#data = this.#buffer.subarray(0, this.#end);
    this.#pos = this.#start;
    const stack: Frame[] = [];
    // Each iteration consumes at least one byte (a type byte) or returns.
    const iterationMax = this.#end - this.#start + 1;
    for (let iteration = 0; iteration < iterationMax; iteration++) {
      const item = this.#parseItem(stack);
      if (item === undefined) return undefined;
      if (item === OPENED) continue;
      let value: RespValue = item;
      // Folds the finished value into its parents; bounded by the stack depth.
      for (;;) {
        const frame = stack[stack.length - 1];
        if (frame === undefined) return value;
        if (value.type === "attribute") break; // nested attributes are dropped
        frame.items.push(value);
        frame.remainingCount--;
        if (frame.remainingCount > 0) break;
        stack.pop();
        value = finishFrame(frame);
      }
    }
    assert(false, "reply parse made no progress");
  }

  /** Parses one scalar, or one aggregate header (pushing a frame); undefined if incomplete. */
  #parseItem(stack: Frame[]): RespValue | typeof OPENED | undefined {
    const data = this.#data;
    if (this.#pos >= data.length) return this.#needMore(this.#pos + 1);
    const typeByte = data[this.#pos] as number;
    const aggregateType = AGGREGATE_TYPES.get(typeByte);
    if (aggregateType !== undefined) return this.#parseAggregate(aggregateType, stack);
    switch (typeByte) {
      case 36: // $
      case 33: // !
      case 61: // =
        return this.#parseBlob(typeByte);
    }
    if (!LINE_TYPE_BYTES.has(typeByte)) {
      throw new RespProtocolError(`invalid reply type byte 0x${hexByte(typeByte)}`);
    }
    const lineStart = this.#pos + 1;
    const cr = this.#readLine();
    if (cr < 0) return undefined;
    switch (typeByte) {
      case 43: // +
        return { type: "simple", value: decodeText(data, lineStart, cr) };
      case 45: // -
        return { type: "error", value: decodeText(data, lineStart, cr) };
      case 58: // :
        return { type: "integer", value: checked(parseInteger(data, lineStart, cr), "integer") };
      case 95: // _
        if (cr !== lineStart) throw new RespProtocolError("invalid null");
        return { type: "null" };
      case 35: // #
        return { type: "boolean", value: parseBoolean(data, lineStart, cr) };
      case 44: // ,
        return { type: "double", value: parseDouble(decodeText(data, lineStart, cr)) };
      case 40: // (
        return { type: "bignum", value: parseBignum(decodeText(data, lineStart, cr)) };
    }
    assert(false, `line type byte ${typeByte} is not handled`);
  }

  #parseAggregate(type: AggregateType, stack: Frame[]): RespValue | typeof OPENED | undefined {
    const lineStart = this.#pos + 1;
    const cr = this.#readLine();
    if (cr < 0) return undefined;
    const count = parseInteger(this.#data, lineStart, cr);
    if (type === "array" && count === -1) return { type: "null" };
    if (!(count >= 0)) throw new RespProtocolError("invalid multibulk length");
    if (count > this.#limits.aggregateCountMax) {
      throw new RespLimitError(
        `aggregate of ${count} elements exceeds maximum of ${this.#limits.aggregateCountMax}`,
      );
    }
    if (stack.length >= this.#limits.depthMax) {
      throw new RespLimitError(`reply nesting depth exceeds maximum of ${this.#limits.depthMax}`);
    }
    const itemCount = type === "map" || type === "attribute" ? count * 2 : count;
    const frame: Frame = { type, items: [], remainingCount: itemCount };
    if (itemCount === 0) return finishFrame(frame);
    stack.push(frame);
    return OPENED;
  }

  /** Parses `$` bulk, `!` blob error or `=` verbatim string. */
  #parseBlob(typeByte: number): RespValue | undefined {
    const data = this.#data;
    const lineStart = this.#pos + 1;
    const cr = this.#readLine();
    if (cr < 0) return undefined;
    const length = parseInteger(data, lineStart, cr);
    if (typeByte === 36 && length === -1) return { type: "null" };
    if (!(length >= 0)) throw new RespProtocolError("invalid bulk length");
    const bulkBytesMax = this.#limits.bulkBytesMax;
    if (length > bulkBytesMax) {
      throw new RespLimitError(
        `bulk string length ${length} exceeds maximum of ${bulkBytesMax} bytes`,
      );
    }
    const dataStart = this.#pos;
    const dataEnd = dataStart + length;
    if (dataEnd + 2 > data.length) return this.#needMore(dataEnd + 2);
    if (data[dataEnd] !== CR || data[dataEnd + 1] !== LF) {
      throw new RespProtocolError("expected CRLF after bulk data");
    }
    this.#pos = dataEnd + 2;
    if (typeByte === 36) return { type: "bulk", value: data.slice(dataStart, dataEnd) };
    if (typeByte === 33) return { type: "blobError", value: decodeText(data, dataStart, dataEnd) };
    if (length < 4 || data[dataStart + 3] !== 58) {
      throw new RespProtocolError("verbatim string lacks a 3-byte format and ':'");
    }
    const format = String.fromCharCode(
      data[dataStart] as number,
      data[dataStart + 1] as number,
      data[dataStart + 2] as number,
    );
    return { type: "verbatim", format, value: data.slice(dataStart + 4, dataEnd) };
  }

  /**
   * Finds the CRLF ending the line whose type byte is at #pos; returns the CR index and moves
   * #pos past the LF, or returns -1 when incomplete.
   */
  #readLine(): number {
    const data = this.#data;
    const contentStart = this.#pos + 1;
    const cr = data.indexOf(CR, contentStart);
    const contentByteCount = (cr < 0 ? data.length : cr) - contentStart;
    if (contentByteCount > this.#limits.bulkBytesMax) {
      throw new RespLimitError(`line exceeds maximum of ${this.#limits.bulkBytesMax} bytes`);
    }
    if (cr < 0 || cr + 1 >= data.length) {
      this.#needMore(data.length + 1);
      return -1;
    }
    if (data[cr + 1] !== LF) throw new RespProtocolError("expected LF after CR");
    this.#pos = cr + 2;
    return cr;
  }

  /** Records that parsing needs bytes up to index `end` (exclusive); returns undefined. */
  #needMore(end: number): undefined {
    this.#requiredByteCount = end - this.#start;
  }

  /** Compacts or grows the buffer so at least `byteCount` bytes are free after #end. */
  #makeRoom(byteCount: number): void {
    const usedByteCount = this.#end - this.#start;
    const neededByteCount = usedByteCount + byteCount;
    const capacity = this.#buffer.length;
    if (neededByteCount <= capacity && usedByteCount * 2 <= capacity) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
    } else {
      const grown = new Uint8Array(Math.max(capacity * 2, neededByteCount));
      grown.set(this.#buffer.subarray(this.#start, this.#end));
      this.#buffer = grown;
    }
    this.#start = 0;
    this.#end = usedByteCount;
  }
}

function finishFrame(frame: Frame): RespValue {
  switch (frame.type) {
    case "map":
      return { type: "map", value: pairUp(frame.items) };
    case "attribute":
      return { type: "attribute", value: pairUp(frame.items) };
    case "array":
      return { type: "array", value: frame.items };
    case "set":
      return { type: "set", value: frame.items };
    case "push":
      return { type: "push", value: frame.items };
  }
}

function checked(value: number, what: string): number {
  if (Number.isNaN(value)) throw new RespProtocolError(`invalid ${what}`);
  return value;
}

function parseBoolean(data: Uint8Array, from: number, to: number): boolean {
  if (to === from + 1 && data[from] === 116) return true; // t
  if (to === from + 1 && data[from] === 102) return false; // f
  throw new RespProtocolError("invalid boolean");
}

function parseBignum(text: string): bigint {
  let digitStart = 0;
  if (text.startsWith("-") || text.startsWith("+")) digitStart = 1;
  if (digitStart === text.length) throw new RespProtocolError("invalid big number");
  for (let i = digitStart; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) throw new RespProtocolError("invalid big number");
  }
  return BigInt(text);
}
