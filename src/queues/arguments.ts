import {
  QUEUE_DEDUP_BYTES_MAX,
  QUEUE_KEY_BYTES_MAX,
  QUEUE_MAX_DELIVER_MAX,
  QUEUE_MS_MAX,
  QUEUE_NAME_BYTES_MAX,
  QUEUE_POP_COUNT_MAX,
} from "./limits.ts";
import { parseMessageId } from "./routing.ts";
import type { QueuePriority } from "./types.ts";

/** A message id as parsed: null when it cannot name any message (the answer is then `:0`). */
export type ParsedId = { partition: number; sequence: number } | null;

/** A parsed QUEUE.* command (names, payloads, keys are the argument bytes, not copies). */
export type QueueRequest =
  | {
    command: "push";
    queue: Uint8Array;
    payload: Uint8Array;
    key: Uint8Array | null;
    delayMs: number;
    ttlMs: number | null;
    priority: QueuePriority;
    dedupId: Uint8Array | null;
  }
  | {
    command: "pop";
    queue: Uint8Array;
    /** null: the queue's configured visibility (30,000 ms unless QUEUE.CONFIG changed it). */
    visibilityMs: number | null;
    waitMs: number;
    count: number;
  }
  | { command: "ack"; queue: Uint8Array; id: ParsedId }
  | { command: "nack"; queue: Uint8Array; id: ParsedId; delayMs: number }
  | { command: "touch"; queue: Uint8Array; id: ParsedId; visibilityMs: number }
  | { command: "len"; queue: Uint8Array }
  | { command: "stats"; queue: Uint8Array }
  | {
    command: "config";
    queue: Uint8Array;
    maxDeliver: number | null;
    visibilityMs: number | null;
  };

/** A refused command: `line` is the reply line after `-` (`ERR ...`, `LIMIT ...`). */
export interface QueueArgumentError {
  kind: "argumentError";
  line: string;
}

/** What the node bounds arguments by. */
export interface QueueArgumentLimits {
  /** The slots' payloadBytesMax (`--max-bulk-bytes`). */
  payloadBytesMax: number;
  /** `--queue-partitions`: ids naming a partition at or past it are unknown. */
  partitions: number;
  /** Longest `WAIT` of a `QUEUE.POP`. */
  waitMaxMs: number;
}

/** Redis's error for an unknown or incomplete option. */
export const QUEUE_SYNTAX_ERROR = "ERR syntax error";
/** Redis's error for a number that is not an integer. */
export const QUEUE_NOT_INTEGER_ERROR = "ERR value is not an integer or out of range";

const DECODER = new TextDecoder();
/** Arity per command: [exact or minimum count of arguments including the name, exact?]. */
const ARITY: Readonly<Record<string, readonly [number, boolean]>> = {
  "queue.push": [3, false],
  "queue.pop": [2, false],
  "queue.ack": [3, true],
  "queue.nack": [3, false],
  "queue.touch": [4, true],
  "queue.len": [2, true],
  "queue.stats": [2, true],
  "queue.config": [2, false],
};

/**
 * Parses QUEUE.PUSH, POP, ACK, NACK, TOUCH, LEN, STATS or CONFIG (`args[0]` is the name, any
 * case): arity, then the queue name, then options left to right (a repeated option: the last
 * counts), each number as it is read, then lengths of payload, key and dedup id.
 */
export function parseQueueCommand(
  args: readonly Uint8Array[],
  limits: QueueArgumentLimits,
): QueueRequest | QueueArgumentError {
  const name = DECODER.decode((args[0] ?? new Uint8Array()).subarray(0, 32)).toLowerCase();
  const arity = ARITY[name];
  if (arity === undefined) return argumentError(`ERR unknown queue command '${name}'`);
  const [count, exact] = arity;
  if (exact ? args.length !== count : args.length < count) {
    return argumentError(`ERR wrong number of arguments for '${name}' command`);
  }
  const queue = args[1]!;
  const queueError = lengthError(queue, "queue name", 1, QUEUE_NAME_BYTES_MAX);
  if (queueError !== null) return queueError;
  switch (name) {
    case "queue.push":
      return parsePush(queue, args, limits);
    case "queue.pop":
      return parsePop(queue, args, limits);
    case "queue.ack":
      return { command: "ack", queue, id: parseMessageId(args[2]!, limits.partitions) };
    case "queue.nack":
      return parseNack(queue, args, limits);
    case "queue.touch": {
      const ms = rangedNumber(args[3]!, "ms", 1, QUEUE_MS_MAX);
      if (typeof ms !== "number") return ms;
      const id = parseMessageId(args[2]!, limits.partitions);
      return { command: "touch", queue, id, visibilityMs: ms };
    }
    case "queue.len":
      return { command: "len", queue };
    case "queue.stats":
      return { command: "stats", queue };
    default:
      return parseConfig(queue, args);
  }
}

/** Options `args[from..]` as (upper-case name, value) pairs, or the syntax error. */
function optionPairs(
  args: readonly Uint8Array[],
  from: number,
  known: readonly string[],
): [string, Uint8Array][] | QueueArgumentError {
  const pairs: [string, Uint8Array][] = [];
  for (let i = from; i < args.length; i += 2) {
    const option = DECODER.decode(args[i]!.subarray(0, 16)).toUpperCase();
    const value = args[i + 1];
    if (!known.includes(option) || args[i]!.length > 16 || value === undefined) {
      return argumentError(QUEUE_SYNTAX_ERROR);
    }
    pairs.push([option, value]);
  }
  return pairs;
}

function parsePush(
  queue: Uint8Array,
  args: readonly Uint8Array[],
  limits: QueueArgumentLimits,
): QueueRequest | QueueArgumentError {
  const pairs = optionPairs(args, 3, ["KEY", "DELAY", "TTL", "PRIORITY", "DEDUP"]);
  if (!Array.isArray(pairs)) return pairs;
  const request: QueueRequest & { command: "push" } = {
    command: "push",
    queue,
    payload: args[2]!,
    key: null,
    delayMs: 0,
    ttlMs: null,
    priority: "normal",
    dedupId: null,
  };
  for (const [option, value] of pairs) {
    if (option === "KEY") request.key = value;
    else if (option === "DEDUP") request.dedupId = value;
    else if (option === "PRIORITY") {
      const word = DECODER.decode(value.subarray(0, 16)).toLowerCase();
      if ((word !== "high" && word !== "normal") || value.length > 6) {
        return argumentError("ERR PRIORITY must be high or normal");
      }
      request.priority = word;
    } else {
      const ms = rangedNumber(value, option, option === "TTL" ? 1 : 0, QUEUE_MS_MAX);
      if (typeof ms !== "number") return ms;
      if (option === "TTL") request.ttlMs = ms;
      else request.delayMs = ms;
    }
  }
  return lengthError(request.payload, "payload", 0, limits.payloadBytesMax) ??
    (request.key === null ? null : lengthError(request.key, "key", 0, QUEUE_KEY_BYTES_MAX)) ??
    (request.dedupId === null
      ? null
      : lengthError(request.dedupId, "dedup id", 1, QUEUE_DEDUP_BYTES_MAX)) ??
    request;
}

function parsePop(
  queue: Uint8Array,
  args: readonly Uint8Array[],
  limits: QueueArgumentLimits,
): QueueRequest | QueueArgumentError {
  const pairs = optionPairs(args, 2, ["VISIBILITY", "WAIT", "COUNT"]);
  if (!Array.isArray(pairs)) return pairs;
  const request: QueueRequest & { command: "pop" } = {
    command: "pop",
    queue,
    visibilityMs: null,
    waitMs: 0,
    count: 1,
  };
  for (const [option, value] of pairs) {
    const [min, max] = option === "VISIBILITY"
      ? [1, QUEUE_MS_MAX]
      : option === "WAIT"
      ? [0, limits.waitMaxMs]
      : [1, QUEUE_POP_COUNT_MAX];
    const number = rangedNumber(value, option, min, max);
    if (typeof number !== "number") return number;
    if (option === "VISIBILITY") request.visibilityMs = number;
    else if (option === "WAIT") request.waitMs = number;
    else request.count = number;
  }
  return request;
}

function parseNack(
  queue: Uint8Array,
  args: readonly Uint8Array[],
  limits: QueueArgumentLimits,
): QueueRequest | QueueArgumentError {
  const pairs = optionPairs(args, 3, ["DELAY"]);
  if (!Array.isArray(pairs)) return pairs;
  let delayMs = 0;
  for (const [, value] of pairs) {
    const ms = rangedNumber(value, "DELAY", 0, QUEUE_MS_MAX);
    if (typeof ms !== "number") return ms;
    delayMs = ms;
  }
  return { command: "nack", queue, id: parseMessageId(args[2]!, limits.partitions), delayMs };
}

function parseConfig(
  queue: Uint8Array,
  args: readonly Uint8Array[],
): QueueRequest | QueueArgumentError {
  const pairs = optionPairs(args, 2, ["MAXDELIVER", "VISIBILITY"]);
  if (!Array.isArray(pairs)) return pairs;
  const request: QueueRequest & { command: "config" } = {
    command: "config",
    queue,
    maxDeliver: null,
    visibilityMs: null,
  };
  for (const [option, value] of pairs) {
    const max = option === "MAXDELIVER" ? QUEUE_MAX_DELIVER_MAX : QUEUE_MS_MAX;
    const number = rangedNumber(value, option, 1, max);
    if (typeof number !== "number") return number;
    if (option === "MAXDELIVER") request.maxDeliver = number;
    else request.visibilityMs = number;
  }
  return request;
}

/** A decimal integer in min..max, or the error: not an integer, or `ERR X must be between ...`. */
function rangedNumber(
  arg: Uint8Array,
  what: string,
  min: number,
  max: number,
): number | QueueArgumentError {
  const text = arg.length > 20 ? "" : String.fromCharCode.apply(null, arg as never);
  if (!/^(0|-?[1-9][0-9]*)$/.test(text)) return argumentError(QUEUE_NOT_INTEGER_ERROR);
  const value = BigInt(text);
  if (value < BigInt(min) || value > BigInt(max)) {
    return argumentError(`ERR ${what} must be between ${min} and ${max}`);
  }
  return Number(value);
}

function lengthError(
  arg: Uint8Array,
  what: string,
  min: number,
  max: number,
): QueueArgumentError | null {
  if (arg.length < min) return argumentError(`ERR ${what} must not be empty`);
  if (arg.length <= max) return null;
  return argumentError(`LIMIT ${what} length ${arg.length} exceeds maximum of ${max} bytes`);
}

function argumentError(line: string): QueueArgumentError {
  return { kind: "argumentError", line };
}
