import { KV_KEY_BYTES_MAX, KV_TTL_MS_MAX } from "./limits.ts";
import type { KvCondition, KvPair } from "./types.ts";

/** A parsed key-value command (keys and values are the argument bytes, not copies). */
export type KvRequest =
  | { command: "get"; key: Uint8Array }
  | {
    command: "set";
    key: Uint8Array;
    value: Uint8Array;
    ttlMs: number | null;
    condition: KvCondition;
  }
  | { command: "del"; keys: Uint8Array[] }
  | { command: "exists"; keys: Uint8Array[] }
  | { command: "mget"; keys: Uint8Array[] }
  | { command: "mset"; pairs: KvPair[] }
  | { command: "pttl"; key: Uint8Array };

/** A command the parser refuses: `line` is the reply line after `-` (`ERR ...`, `LIMIT ...`). */
export interface KvArgumentError {
  kind: "argumentError";
  line: string;
}

/** Bounds the node puts on arguments (the slot's valueBytesMax, i.e. `--max-bulk-bytes`). */
export interface KvArgumentLimits {
  valueBytesMax: number;
}

/** Redis's error for a malformed option list. */
export const SYNTAX_ERROR = "ERR syntax error";
/** Redis's error for a number that is not a 64-bit integer. */
export const NOT_INTEGER_ERROR = "ERR value is not an integer or out of range";
/** Redis's error for a SET expiry that is not positive (or too long here). */
export const INVALID_EXPIRE_ERROR = "ERR invalid expire time in 'set' command";

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const DECODER = new TextDecoder();

/**
 * Parses GET, SET, DEL, EXISTS, MGET, MSET or PTTL (`args[0]` is the name, any case) with
 * Redis's checks and error lines, then the size limits (`-LIMIT`).
 */
export function parseKvCommand(
  args: readonly Uint8Array[],
  limits: KvArgumentLimits,
): KvRequest | KvArgumentError {
  const name = DECODER.decode(args[0] ?? new Uint8Array()).toLowerCase();
  const request = parseShape(name, args);
  if ("kind" in request) return request;
  return sizeError(request, limits) ?? request;
}

function parseShape(name: string, args: readonly Uint8Array[]): KvRequest | KvArgumentError {
  const count = args.length;
  switch (name) {
    case "get":
    case "pttl":
      if (count !== 2) return arityError(name);
      return { command: name, key: args[1]! };
    case "del":
    case "exists":
    case "mget":
      if (count < 2) return arityError(name);
      return { command: name, keys: args.slice(1) };
    case "mset":
      if (count < 3 || count % 2 === 0) return arityError(name);
      return { command: "mset", pairs: pairsOf(args) };
    case "set":
      if (count < 3) return arityError(name);
      return parseSet(args);
    default:
      return argumentError(`ERR unknown key-value command '${name.slice(0, 32)}'`);
  }
}

function pairsOf(args: readonly Uint8Array[]): KvPair[] {
  const pairs: KvPair[] = [];
  for (let i = 1; i + 1 < args.length; i += 2) pairs.push({ key: args[i]!, value: args[i + 1]! });
  return pairs;
}

/** SET key value [NX|XX] [EX s|PX ms], options in any order, as Redis 7 takes them. */
function parseSet(args: readonly Uint8Array[]): KvRequest | KvArgumentError {
  let condition: KvCondition = "always";
  let unit: "EX" | "PX" | null = null;
  let expire: Uint8Array | null = null;
  for (let i = 3; i < args.length; i++) {
    const option = optionName(args[i]!);
    const next = args[i + 1];
    // Redis accepts a repeated NX (or EX, PX: the last counts) but never NX with XX, EX with PX.
    if (option === "NX" && condition !== "ifExists") condition = "ifMissing";
    else if (option === "XX" && condition !== "ifMissing") condition = "ifExists";
    else if ((option === "EX" || option === "PX") && unit !== other(option) && next !== undefined) {
      unit = option;
      expire = next;
      i++;
    } else return argumentError(SYNTAX_ERROR);
  }
  let ttlMs: number | null = null;
  if (unit !== null && expire !== null) {
    const ttl = parseTtlMs(expire, unit);
    if (typeof ttl === "string") return argumentError(ttl);
    ttlMs = ttl;
  }
  return { command: "set", key: args[1]!, value: args[2]!, ttlMs, condition };
}

function other(unit: "EX" | "PX"): "EX" | "PX" {
  return unit === "EX" ? "PX" : "EX";
}

/** A two-letter option in upper case, or "" for anything else. */
function optionName(arg: Uint8Array): string {
  if (arg.length !== 2) return "";
  return String.fromCharCode(arg[0]!, arg[1]!).toUpperCase();
}

/** The TTL in ms of `EX s` / `PX ms`, or the error line Redis gives (in its order of checks). */
function parseTtlMs(arg: Uint8Array, unit: "EX" | "PX"): number | string {
  const value = parseInt64(arg);
  if (value === null) return NOT_INTEGER_ERROR;
  if (value <= 0n || (unit === "EX" && value > INT64_MAX / 1000n)) return INVALID_EXPIRE_ERROR;
  const ms = unit === "EX" ? value * 1000n : value;
  if (ms > BigInt(KV_TTL_MS_MAX)) return INVALID_EXPIRE_ERROR;
  return Number(ms);
}

/**
 * A signed 64-bit decimal as Redis's string2ll reads it: an optional `-`, no `+`, no spaces, no
 * leading zeros ("0" alone is fine, "-0" is not), in range; else null.
 */
export function parseInt64(arg: Uint8Array): bigint | null {
  if (arg.length === 0 || arg.length > 20) return null;
  const text = String.fromCharCode.apply(null, arg as never);
  if (text === "0") return 0n;
  if (!/^-?[1-9][0-9]*$/.test(text)) return null;
  const value = BigInt(text);
  return value > INT64_MAX || value < INT64_MIN ? null : value;
}

function sizeError(request: KvRequest, limits: KvArgumentLimits): KvArgumentError | null {
  const keys = "keys" in request
    ? request.keys
    : "pairs" in request
    ? request.pairs.map((pair) => pair.key)
    : [request.key];
  for (const key of keys) {
    const error = lengthError(key, "key", KV_KEY_BYTES_MAX);
    if (error !== null) return error;
  }
  const values = request.command === "set"
    ? [request.value]
    : request.command === "mset"
    ? request.pairs.map((pair) => pair.value)
    : [];
  for (const value of values) {
    const error = lengthError(value, "value", limits.valueBytesMax);
    if (error !== null) return error;
  }
  return null;
}

function lengthError(arg: Uint8Array, what: string, bytesMax: number): KvArgumentError | null {
  if (arg.length <= bytesMax) return null;
  return argumentError(`LIMIT ${what} length ${arg.length} exceeds maximum of ${bytesMax} bytes`);
}

function arityError(name: string): KvArgumentError {
  return argumentError(`ERR wrong number of arguments for '${name}' command`);
}

function argumentError(line: string): KvArgumentError {
  return { kind: "argumentError", line };
}
