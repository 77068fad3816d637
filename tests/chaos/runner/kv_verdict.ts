/**
 * The verdict of a key-value chaos run: linearizability of GET/SET/DEL per key (register model)
 * and recovery after the heal. Pure: no processes, no clock.
 */
import { checkRecovery } from "../checkers.ts";
import { type HistoryEvent, pairOperations } from "../history.ts";
import { checkKvHistory } from "../kv_check.ts";
import { combineVerdict, countOperations, type RunVerdict } from "./verdict_report.ts";

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
  const counts = countOperations(ops);
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
    checks["kv-linearizability"] = valid === "yes" ? "pass" : valid === "no" ? "fail" : "unknown";
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
  const recovery = checkRecovery(ops, options.healMs, options.recoveryMsMax);
  checks["recovery"] = recovery.valid ? "pass" : "fail";
  lines.push(`== recovery: ${recovery.message}`);

  return combineVerdict({
    checks,
    lines,
    counts,
    ...(options.okCountMin === undefined ? {} : { okCountMin: options.okCountMin }),
    ...(options.harnessErrors === undefined ? {} : { harnessErrors: options.harnessErrors }),
  });
}
