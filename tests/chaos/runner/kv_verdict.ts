/**
 * The verdict of a key-value chaos run: linearizability of GET/SET/DEL per key (register model)
 * and recovery after the heal. Pure: no processes, no clock.
 */
import { type HistoryEvent, pairOperations } from "../history.ts";
import { checkKvHistory } from "../kv_check.ts";
import { checkWriteBackHistory } from "../write_back_check.ts";
import type { AfterTheFaults } from "./kv_write_back.ts";
import { checkOf, combineWithRecovery, type RunVerdict } from "./verdict_report.ts";

/** Inputs of `judgeKvRun` besides the history. */
export interface KvJudgeOptions {
  /** ms (history clock) when the last fault was healed. */
  readonly healMs: number;
  /** Longest allowed time from the heal to the first success. */
  readonly recoveryMsMax: number;
  /** Assumed effect window of unknown writes (Infinity: none). */
  readonly unknownEffectWindowMs: number;
  /** Bound on the linearizability search. */
  readonly statesExploredMax?: number;
  /** Fewer successful operations than this makes the run inconclusive (default 1). */
  readonly okCountMin?: number;
  /** Problems of the harness: inconclusive. */
  readonly harnessErrors?: readonly string[];
}

/** Runs the key-value checkers on `events` and combines them. */
export function judgeKvRun(events: readonly HistoryEvent[], options: KvJudgeOptions): RunVerdict {
  const ops = pairOperations(events);
  const checks: Record<string, "pass" | "fail" | "unknown"> = {};
  const lines: string[] = [];
  let linearText: string;
  try {
    const linear = checkKvHistory(ops, {
      unknownEffectWindowMs: options.unknownEffectWindowMs,
      ...(options.statesExploredMax === undefined
        ? {}
        : { statesExploredMax: options.statesExploredMax }),
    });
    const valid = linear.verdict.valid;
    checks["kv-linearizability"] = checkOf(valid);
    linearText = linear.text;
  } catch (error) {
    // A reply its command cannot give (e.g. a number for GET) is a violation in itself.
    checks["kv-linearizability"] = "fail";
    linearText = `reply-shape: ${error instanceof Error ? error.message : String(error)}`;
  }
  lines.push(
    `== key-value linearizability per key (effect window ${options.unknownEffectWindowMs} ms)`,
    linearText,
  );
  return combineWithRecovery(ops, checks, lines, options);
}

/** Inputs of `judgeKvWriteBackRun` besides the history. */
export interface KvWriteBackJudgeOptions extends KvJudgeOptions {
  /** The phase after the faults (kv_write_back.ts), or null when it could not run. */
  readonly afterTheFaults: AfterTheFaults | null;
}

/**
 * The verdict of a `kv-back` run (write-back caches): every value read was written by a SET that
 * did not fail, the final reads on every node agree, the operations after the faults are
 * linearizable per key, and recovery after the heal. Write-back loses acknowledged writes across
 * faults by design (docs/cache.md), so the whole history is not held to linearizability.
 */
export function judgeKvWriteBackRun(
  events: readonly HistoryEvent[],
  options: KvWriteBackJudgeOptions,
): RunVerdict {
  const ops = pairOperations(events);
  const checks: Record<string, "pass" | "fail" | "unknown"> = {};
  const lines: string[] = [];
  const after = options.afterTheFaults;
  const values = checkWriteBackHistory(ops, after?.finalReads ?? null);
  checks["write-back-values"] = values.problems.length === 0 ? "pass" : "fail";
  lines.push(`== ${values.text}`);
  if (after === null) {
    checks["kv-linearizability-after-faults"] = "unknown";
    lines.push("== key-value linearizability after the faults: not run");
  } else {
    const linear = checkKvHistory(ops.filter((op) => op.invokeIndex >= after.calmFromEvent), {
      ...(options.statesExploredMax === undefined
        ? {}
        : { statesExploredMax: options.statesExploredMax }),
    });
    const valid = linear.verdict.valid;
    checks["kv-linearizability-after-faults"] = checkOf(valid);
    lines.push("== key-value linearizability per key after the faults", linear.text);
  }
  return combineWithRecovery(ops, checks, lines, options);
}
