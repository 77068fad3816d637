/**
 * The verdict of a chaos run from its history: every reply belongs to its request,
 * linearizability per lock (leases as a timed model), mutual exclusion by fencing token and lease,
 * visibility of acknowledged grants in the final reads, and recovery after the heal. Pure: no
 * processes, no clock.
 */
import { checkFinalReads, checkMutualExclusion, finalReadsFrom } from "../checkers.ts";
import { type HistoryEvent, pairOperations } from "../history.ts";
import { LEASE_MARGIN_MS_DEFAULT } from "../lock_call.ts";
import { checkLockHistory } from "../lock_check.ts";
import { deriveHolds } from "../lock_holds.ts";
import { checkReplyOwnership, sanitizeReplies } from "../reply_check.ts";
import { combineWithRecovery, countOperations, type RunVerdict } from "./verdict_report.ts";

export {
  countOperations,
  type OperationCounts,
  type RunVerdict,
  type VerdictStatus,
} from "./verdict_report.ts";

/** Inputs of `judgeRun` besides the history. */
export interface JudgeOptions {
  /** ms (history clock) when the last fault was healed. */
  readonly healMs: number;
  /** Longest allowed time from the heal to the first success. */
  readonly recoveryMsMax: number;
  /** Assumed effect window of unknown outcomes (Infinity: none). */
  readonly unknownEffectWindowMs: number;
  /** Subtracted from every lease bound (default `LEASE_MARGIN_MS_DEFAULT`). */
  readonly leaseMarginMs?: number;
  /** Tokens are unique across locks (dsync's single counter), not only per lock. */
  readonly tokensUniqueAcrossLocks?: boolean;
  /** Bound on the linearizability search. */
  readonly statesExploredMax?: number;
  /** Fewer successful operations than this makes the run inconclusive (default 1). */
  readonly okCountMin?: number;
  /** Problems of the harness (a fault not applied or not healed): inconclusive. */
  readonly harnessErrors?: readonly string[];
}

/** Runs every checker on `events` and combines them. */
export function judgeRun(events: readonly HistoryEvent[], options: JudgeOptions): RunVerdict {
  const paired = pairOperations(events);
  const counts = countOperations(paired);
  const lines: string[] = [];
  const checks: Record<string, "pass" | "fail" | "unknown"> = {};
  const leaseMarginMs = options.leaseMarginMs ?? LEASE_MARGIN_MS_DEFAULT;

  const owned = checkReplyOwnership(paired, {
    tokensUniqueAcrossLocks: options.tokensUniqueAcrossLocks ?? false,
  });
  checks["reply-ownership"] = owned.valid ? "pass" : "fail";
  lines.push(
    `== every reply belongs to its request (tokens unique ${
      options.tokensUniqueAcrossLocks ? "across locks" : "per lock"
    }): ${owned.violationCount} violations`,
    ...owned.violations.map((v) => `  ${v.kind}: ${v.message}`),
  );
  // A malformed reply tells nothing about its operation: the other checkers see it as unknown.
  const ops = sanitizeReplies(paired).ops;

  const linear = checkLockHistory(ops, {
    unknownEffectWindowMs: options.unknownEffectWindowMs,
    leaseMarginMs,
    ...(options.statesExploredMax === undefined
      ? {}
      : { statesExploredMax: options.statesExploredMax }),
  });
  const valid = linear.verdict.valid;
  checks["linearizability"] = valid === "yes" ? "pass" : valid === "no" ? "fail" : "unknown";
  lines.push(
    `== linearizability (effect window ${options.unknownEffectWindowMs} ms, ` +
      `lease margin ${leaseMarginMs} ms)`,
    linear.text,
  );

  const holds = deriveHolds(ops, { leaseMarginMs });
  const exclusion = checkMutualExclusion(holds);
  checks["mutual-exclusion"] = exclusion.valid ? "pass" : "fail";
  const leaseEnded = holds.filter((h) => h.heldUntilMs === h.leaseUntilMs).length;
  const renewed = holds.filter((h) => h.leaseFrom.opIndex !== h.acquireOpIndex).length;
  lines.push(
    `== mutual exclusion by fencing token and lease (lease margin ${leaseMarginMs} ms): ` +
      `${holds.length} holds (${leaseEnded} judged to their lease bound, ${renewed} bounded by ` +
      `a renewal), ${exclusion.violationCount} violations`,
    ...exclusion.violations.map((v) => `  ${v.kind}: ${v.message}`),
  );

  const reads = finalReadsFrom(ops, options.healMs);
  const visibility = checkFinalReads(holds, reads, ops);
  checks["final-reads"] = visibility.valid ? "pass" : "fail";
  lines.push(
    `== final reads after the heal: ${reads.length} locks read, ` +
      `${visibility.violationCount} violations`,
    ...visibility.violations.map((v) => `  ${v.kind}: ${v.message}`),
  );

  return combineWithRecovery(ops, checks, lines, options, counts);
}
