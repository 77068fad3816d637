/**
 * Turns recorded LOCK.* commands and replies into model operations. A history records a lock
 * command as op `LOCK.ACQUIRE` (any case) with the command's arguments after its name, e.g.
 * `["L1", "c1", "SHARED", "TTL", "600000"]`, and the reply as JSON (integer, null, array).
 * Replies come from outside, so they are validated here, never asserted.
 */
import type { HistoryOperation, JsonValue } from "./history.ts";
import type { LockInput, LockMode, LockOutput, LockReading } from "./lock_model.ts";
import type { ModelOperation } from "./model.ts";

/** Default lease of LOCK.ACQUIRE in ms (dsync contract). */
export const LOCK_TTL_MS_DEFAULT = 30_000;

/**
 * Default margin (ms) subtracted from every lease bound: a lease counts from its renewal's
 * invocation (the earliest the server can have stamped it) less this, plus its TTL.
 */
export const LEASE_MARGIN_MS_DEFAULT = 10;

/** A lock operation in the form the checkers take. */
export type LockOperation = ModelOperation<LockInput, LockOutput>;

/** Options of `lockOperations`. */
export interface LockOperationsOptions {
  /**
   * Assume an operation with an unknown outcome took effect within this many ms of its
   * invocation, or never. Default Infinity: no assumption (sound, but the search may explode
   * with many unknown outcomes per lock).
   */
  readonly unknownEffectWindowMs?: number;
  /** Subtracted from every lease bound (default `LEASE_MARGIN_MS_DEFAULT`). */
  readonly leaseMarginMs?: number;
}

/**
 * The lock operations of a history; other ops are skipped and definitely failed ones dropped.
 * Invocation and completion event indexes give the real-time order.
 */
export function lockOperations(
  ops: readonly HistoryOperation[],
  options: LockOperationsOptions = {},
): LockOperation[] {
  const windowMs = options.unknownEffectWindowMs ?? Number.POSITIVE_INFINITY;
  if (!(windowMs >= 0)) {
    throw new RangeError(`Cannot check: unknownEffectWindowMs ${windowMs} is not a duration`);
  }
  const marginMs = options.leaseMarginMs ?? LEASE_MARGIN_MS_DEFAULT;
  if (!(marginMs >= 0) || marginMs === Number.POSITIVE_INFINITY) {
    throw new RangeError(`Cannot check: leaseMarginMs ${marginMs} is not a duration`);
  }
  const deadlineOrder = windowMs === Number.POSITIVE_INFINITY
    ? () => Number.POSITIVE_INFINITY
    : deadlineFinder(ops);
  const parsed = ops
    .filter((op) => op.op.toUpperCase().startsWith("LOCK.") && op.outcome !== "fail")
    .map((op) => ({ op, input: parseLockInput(op.op, op.args) }));
  const latestMsOf = (op: HistoryOperation, input: LockInput) =>
    op.outcome === "ok" && op.completeMs !== null
      ? op.completeMs
      : op.invokeMs + waitMsOf(input) + windowMs;
  const exclusiveWaits = parsed.filter(({ input }) =>
    input.kind === "acquire" && input.mode === "exclusive" && input.waitMs > 0
  ).map(({ op, input }) => ({
    lock: input.lock,
    fromMs: op.invokeMs,
    toMs: latestMsOf(op, input),
  }));
  const result: LockOperation[] = [];
  for (const { op, input: bare } of parsed) {
    const latestMs = latestMsOf(op, bare);
    const at = { renewFromMs: op.invokeMs - marginMs, latestMs };
    const input: LockInput = bare.kind !== "acquire" ? { ...bare, at } : {
      ...bare,
      at,
      exclusiveWaitPossible: exclusiveWaits.some((w) =>
        w.lock === bare.lock && w.fromMs <= latestMs && w.toMs >= op.invokeMs
      ),
    };
    const known = op.outcome === "ok" && op.completeIndex !== null;
    result.push({
      id: op.opIndex,
      process: op.process,
      input,
      outcome: known
        ? { kind: "ok", output: parseLockOutput(input, op.result, op.opIndex) }
        : { kind: "unknown" },
      invokeOrder: op.invokeIndex,
      completeOrder: known ? op.completeIndex as number : deadlineOrder(op, latestMs),
    });
  }
  return result;
}

function waitMsOf(input: LockInput): number {
  return input.kind === "acquire" ? input.waitMs : 0;
}

/** Maps a time to the position just before the first event later than it. */
export function deadlineFinder(
  ops: readonly HistoryOperation[],
): (op: HistoryOperation, limitMs: number) => number {
  const events: { index: number; timeMs: number }[] = [];
  for (const op of ops) {
    events.push({ index: op.invokeIndex, timeMs: op.invokeMs });
    if (op.completeIndex !== null && op.completeMs !== null) {
      events.push({ index: op.completeIndex, timeMs: op.completeMs });
    }
  }
  events.sort((a, b) => a.index - b.index);
  return (_op, limitMs) => {
    let low = 0;
    let high = events.length; // first event with timeMs > limitMs (times are non-decreasing)
    while (low < high) {
      const middle = (low + high) >> 1;
      if (events[middle]!.timeMs > limitMs) high = middle;
      else low = middle + 1;
    }
    const next = events[low];
    return next === undefined ? Number.POSITIVE_INFINITY : next.index - 0.5;
  };
}

/** Parses a LOCK.* command (name and arguments after it). */
export function parseLockInput(name: string, args: readonly JsonValue[]): LockInput {
  const command = name.toUpperCase();
  const words = args.map((arg) => (typeof arg === "number" ? String(arg) : arg));
  if (!words.every((word): word is string => typeof word === "string")) {
    throw new TypeError(`Cannot parse ${command}: arguments must be strings or numbers`);
  }
  const [lock, owner] = words;
  if (lock === undefined) throw new TypeError(`Cannot parse ${command}: missing lock name`);
  if (command === "LOCK.INFO") {
    if (words.length !== 1) throw new TypeError(`Cannot parse ${command}: expected 1 argument`);
    return { kind: "info", lock };
  }
  if (owner === undefined) throw new TypeError(`Cannot parse ${command}: missing owner`);
  const rest = words.slice(2);
  switch (command) {
    case "LOCK.ACQUIRE":
      return parseAcquire(lock, owner, rest);
    case "LOCK.RELEASE":
      return { kind: "release", lock, owner, token: parseTokenOption(command, rest) };
    case "LOCK.REFRESH": {
      const ttlMs = parseInteger(command, "ttl", rest[0]);
      return {
        kind: "refresh",
        lock,
        owner,
        ttlMs,
        token: parseTokenOption(command, rest.slice(1)),
      };
    }
    default:
      throw new TypeError(`Cannot parse ${command}: not a lock command the model knows`);
  }
}

function parseAcquire(lock: string, owner: string, rest: readonly string[]): LockInput {
  const command = "LOCK.ACQUIRE";
  let mode: LockMode = "exclusive";
  let ttlMs = LOCK_TTL_MS_DEFAULT;
  let waitMs = 0;
  for (let index = 0; index < rest.length; index++) {
    const word = (rest[index] as string).toUpperCase();
    if (word === "SHARED" || word === "EXCLUSIVE") {
      mode = word === "SHARED" ? "shared" : "exclusive";
    } else if (word === "TTL") {
      ttlMs = parseInteger(command, "TTL", rest[++index]);
    } else if (word === "WAIT") {
      waitMs = parseInteger(command, "WAIT", rest[++index]);
      if (waitMs < 0) throw new RangeError(`Cannot parse ${command}: WAIT ${waitMs} is negative`);
    } else {
      throw new TypeError(`Cannot parse ${command}: unknown option ${word}`);
    }
  }
  return { kind: "acquire", lock, owner, mode, ttlMs, waitMs };
}

function parseTokenOption(command: string, rest: readonly string[]): number | null {
  if (rest.length === 0) return null;
  if (rest.length !== 2 || rest[0]?.toUpperCase() !== "TOKEN") {
    throw new TypeError(`Cannot parse ${command}: expected TOKEN t, got ${rest.join(" ")}`);
  }
  return parseInteger(command, "TOKEN", rest[1]);
}

function parseInteger(command: string, what: string, word: string | undefined): number {
  const value = word === undefined ? Number.NaN : Number(word);
  if (!Number.isSafeInteger(value) || !/^-?\d+$/.test(word ?? "")) {
    throw new TypeError(`Cannot parse ${command}: ${what} ${String(word)} is not an integer`);
  }
  return value;
}

/** Validates a reply to `input`; `opIndex` only names the operation in error messages. */
export function parseLockOutput(input: LockInput, reply: JsonValue, opIndex: number): LockOutput {
  const where = `Cannot parse reply of operation ${opIndex} (${input.kind})`;
  switch (input.kind) {
    case "acquire":
      if (reply === null || (typeof reply === "number" && Number.isSafeInteger(reply))) {
        return reply;
      }
      throw new TypeError(
        `${where}: expected an integer token or null, got ${JSON.stringify(reply)}`,
      );
    case "release":
    case "refresh":
      if (reply === 0 || reply === 1) return reply === 1;
      throw new TypeError(`${where}: expected 0 or 1, got ${JSON.stringify(reply)}`);
    case "info":
      return parseLockReading(reply, where);
  }
}

/**
 * Validates the shape of a LOCK.INFO reply `[mode, [[owner, token, ttl]...], [[owner, mode]...]]`.
 * A well-formed but impossible reading (two exclusive holders) is left for the model to reject.
 */
export function parseLockReading(
  reply: JsonValue,
  where = "Cannot parse LOCK.INFO reply",
): LockReading {
  if (!Array.isArray(reply) || reply.length < 2) {
    throw new TypeError(
      `${where}: expected [mode, holders, waiters], got ${JSON.stringify(reply)}`,
    );
  }
  const [mode, holders] = reply as readonly JsonValue[];
  if (mode !== "none" && mode !== "shared" && mode !== "exclusive") {
    throw new TypeError(`${where}: mode ${JSON.stringify(mode)} is not none/shared/exclusive`);
  }
  if (!Array.isArray(holders)) throw new TypeError(`${where}: holders is not an array`);
  const parsed = (holders as readonly JsonValue[]).map((holder) => {
    if (!Array.isArray(holder)) throw new TypeError(`${where}: a holder is not an array`);
    const [owner, token] = holder as readonly JsonValue[];
    if (typeof owner !== "string" || typeof token !== "number" || !Number.isSafeInteger(token)) {
      throw new TypeError(`${where}: holder ${JSON.stringify(holder)} is not [owner, token, ttl]`);
    }
    return { owner, token };
  });
  return { mode, holders: parsed };
}
