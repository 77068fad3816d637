/**
 * The verdict of a queue chaos run: the queue checker's rules (queue_check.ts), with the
 * duplicates printed, and recovery after the heal. Pure: no processes, no clock.
 */
import { type HistoryEvent, pairOperations } from "../history.ts";
import { checkQueueHistory } from "../queue_check.ts";
import { type CheckStatus, combineWithRecovery, type RunVerdict } from "./verdict_report.ts";

/** Inputs of `judgeQueueRun` besides the history. */
export interface QueueJudgeOptions {
  /** The workload's queue (its dead letters are in `<queue>:dead`). */
  readonly queue: string;
  /** ms (history clock) when the last fault was healed. */
  readonly healMs: number;
  /** Longest allowed time from the heal to the first success. */
  readonly recoveryMsMax: number;
  /** Assumed effect window of POPs with an unknown outcome (Infinity: none). */
  readonly unknownEffectWindowMs: number;
  /** Fewer successful operations than this makes the run inconclusive (default 1). */
  readonly okCountMin?: number;
  /** Problems of the harness: inconclusive. */
  readonly harnessErrors?: readonly string[];
}

/** Runs the queue checker on `events` and combines it with recovery. */
export function judgeQueueRun(
  events: readonly HistoryEvent[],
  options: QueueJudgeOptions,
): RunVerdict {
  const ops = pairOperations(events);
  const checks: Record<string, CheckStatus> = {};
  const lines: string[] = [];
  try {
    const result = checkQueueHistory(ops, {
      queue: options.queue,
      unknownEffectWindowMs: options.unknownEffectWindowMs,
    });
    Object.assign(checks, result.checks);
    lines.push(
      `== queue (effect window of unknown POPs ${options.unknownEffectWindowMs} ms)`,
      result.text,
    );
  } catch (error) {
    // A reply its command cannot give (e.g. a number for a POP) is a violation in itself.
    checks["queue-reply-shape"] = "fail";
    lines.push(`== queue reply-shape: ${error instanceof Error ? error.message : String(error)}`);
  }
  return combineWithRecovery(ops, checks, lines, options);
}
