/**
 * Does every acknowledged reply belong to its own request? Owner and lock names make that
 * checkable: a reply of the wrong shape for its command, a token handed to two (lock, owner)
 * pairs, or a LOCK.INFO reading of one lock that lists holders or waiters of another all mean a
 * reply reached the wrong request (or the server mixed states up). Owner ids must be unique per
 * client incarnation for this to hold.
 */
import type { HistoryOperation } from "./history.ts";
import { parseLockInput, parseLockOutput } from "./lock_call.ts";
import type { LockInput, LockReading } from "./lock_model.ts";
import { type CheckReport, Violations } from "./violations.ts";

/** Options of `checkReplyOwnership`. */
export interface ReplyOwnershipOptions {
  /**
   * Tokens come from one counter for all locks (dsync's lock table), so a token is unique across
   * locks, not only per lock. The contract only promises uniqueness per lock; default false.
   */
  readonly tokensUniqueAcrossLocks?: boolean;
}

/** Ops whose reply could not be parsed for their command are turned into unknown outcomes. */
export interface SanitizedOps {
  /** The ops, a malformed reply replaced by an unknown (`info`) outcome. */
  readonly ops: HistoryOperation[];
  /** One line per malformed reply. */
  readonly malformed: readonly string[];
}

/** Replaces every acknowledged reply that does not parse for its command by an unknown outcome. */
export function sanitizeReplies(ops: readonly HistoryOperation[]): SanitizedOps {
  const malformed: string[] = [];
  const result = ops.map((op) => {
    if (!op.op.toUpperCase().startsWith("LOCK.") || op.outcome !== "ok") return op;
    try {
      parseLockOutput(parseLockInput(op.op, op.args), op.result, op.opIndex);
      return op;
    } catch (error) {
      malformed.push(
        `#${op.opIndex} p${op.process} ${op.op} ${op.args.join(" ")}: ` +
          (error instanceof Error ? error.message : String(error)),
      );
      return { ...op, outcome: "info" as const, result: "malformed reply" };
    }
  });
  return { ops: result, malformed };
}

interface TokenUse {
  readonly lock: string;
  readonly owner: string;
  readonly opIndex: number;
}

/**
 * `reply-shape`: a reply that is not one its command can give. `token-owner`: one token returned
 * to acquires of two (lock, owner) pairs (per lock; across locks with `tokensUniqueAcrossLocks`).
 * `foreign-holder`: a LOCK.INFO of lock L lists (owner, token) where the token went to another
 * pair, or where no acquire of L by that owner returned it or is unknown. `foreign-waiter`: it
 * lists a waiter that never asked for L with WAIT in that mode before the read completed.
 */
export function checkReplyOwnership(
  ops: readonly HistoryOperation[],
  options: ReplyOwnershipOptions = {},
): CheckReport {
  const violations = new Violations();
  const sanitized = sanitizeReplies(ops);
  for (const line of sanitized.malformed) violations.add("reply-shape", line);
  const parsed = sanitized.ops
    .filter((op) => op.op.toUpperCase().startsWith("LOCK.") && op.outcome !== "fail")
    .map((op) => ({ op, input: parseLockInput(op.op, op.args) }));
  const across = options.tokensUniqueAcrossLocks === true;
  const tokenKey = (lock: string, token: number) => across ? `${token}` : `${lock}\u0000${token}`;
  const uses = new Map<string, TokenUse>();
  for (const { op, input } of parsed) {
    if (input.kind !== "acquire" || op.outcome !== "ok" || typeof op.result !== "number") continue;
    const key = tokenKey(input.lock, op.result);
    const first = uses.get(key);
    if (first === undefined) {
      uses.set(key, { lock: input.lock, owner: input.owner, opIndex: op.opIndex });
    } else if (first.lock !== input.lock || first.owner !== input.owner) {
      violations.add(
        "token-owner",
        `token ${op.result} went to ${input.owner} on ${input.lock} (#${op.opIndex}) and to ` +
          `${first.owner} on ${first.lock} (#${first.opIndex})`,
      );
    }
  }
  for (const { op, input } of parsed) {
    if (input.kind !== "info" || op.outcome !== "ok" || op.completeMs === null) continue;
    const reading = parseLockOutput(input, op.result, op.opIndex) as LockReading;
    checkReading(op, input.lock, reading, parsed, (key) => uses.get(tokenKey(input.lock, key)))
      .forEach(([kind, message]) => violations.add(kind, message));
    checkWaiters(op, input.lock, parsed).forEach(([kind, message]) =>
      violations.add(kind, message)
    );
  }
  return violations.report();
}

type Parsed = readonly { readonly op: HistoryOperation; readonly input: LockInput }[];

function checkReading(
  read: HistoryOperation,
  lock: string,
  reading: LockReading,
  parsed: Parsed,
  useOf: (token: number) => TokenUse | undefined,
): [string, string][] {
  const found: [string, string][] = [];
  for (const holder of reading.holders) {
    const use = useOf(holder.token);
    const where = `#${read.opIndex} INFO ${lock} lists ${holder.owner} token ${holder.token}`;
    if (use !== undefined && (use.lock !== lock || use.owner !== holder.owner)) {
      found.push(["foreign-holder", `${where}, a token of ${use.owner} on ${use.lock}`]);
      continue;
    }
    if (use !== undefined) continue;
    const unknownAcquire = parsed.some(({ op, input }) =>
      input.kind === "acquire" && input.lock === lock && input.owner === holder.owner &&
      op.outcome === "info" && op.invokeMs <= (read.completeMs as number)
    );
    if (!unknownAcquire) {
      found.push(["foreign-holder", `${where}, which no acquire of that owner on ${lock} got`]);
    }
  }
  return found;
}

function checkWaiters(read: HistoryOperation, lock: string, parsed: Parsed): [string, string][] {
  const reply = read.result;
  const waiters = Array.isArray(reply) && Array.isArray(reply[2]) ? reply[2] : [];
  const found: [string, string][] = [];
  for (const waiter of waiters) {
    const [owner, mode] = Array.isArray(waiter) ? waiter : [];
    const asked = parsed.some(({ op, input }) =>
      input.kind === "acquire" && input.lock === lock && input.owner === owner &&
      input.waitMs > 0 && input.mode === mode && op.invokeMs <= (read.completeMs as number)
    );
    if (!asked) {
      found.push([
        "foreign-waiter",
        `#${read.opIndex} INFO ${lock} lists waiter ${JSON.stringify(waiter)}, ` +
        `which never waited for ${lock} in that mode`,
      ]);
    }
  }
  return found;
}
