import type { HistoryOperation } from "./history.ts";

/** The verdict of checkWriteBackHistory: no problems, or each one found. */
export interface WriteBackCheckResult {
  problems: string[];
  text: string;
}

/**
 * What a write-back history must satisfy under faults. Write-back is not linearizable across
 * failures: a write acknowledged on its node is lost if that node crashes, or its lease lapses
 * with the write-back undelivered, or the home changes first (docs/cache.md, "What a crash loses
 * in write-back mode"). What still holds, and is checked per key:
 *
 * - every value a GET returned was written by a SET of that key invoked before the GET ended,
 *   and never by a SET that failed (failed: surely not applied);
 * - the final reads (every node reads every key after the heal, no write running) all return
 *   the same value: the copies agree once the faults are over.
 *
 * The simulator also checks the single writer after every event. Values are unique in a run (the
 * simulator's `v0`, `v1`, ...; the chaos workload's `process.n`). Used by both. `finalReads`: the events of the final reads (null:
 * they did not end, a liveness failure reported on its own).
 */
export function checkWriteBackHistory(
  ops: readonly HistoryOperation[],
  finalReads: { fromEvent: number; toEvent: number } | null,
): WriteBackCheckResult {
  const problems: string[] = [];
  /** Per key and value: the SET that wrote it. */
  const sets = new Map<string, Map<string, HistoryOperation>>();
  for (const op of ops) {
    if (op.op !== "SET") continue;
    const [key, value] = op.args as [string, string];
    const byValue = sets.get(key) ?? new Map<string, HistoryOperation>();
    byValue.set(value, op);
    sets.set(key, byValue);
  }
  const finals = new Map<string, Set<string>>();
  let reads = 0;
  for (const op of ops) {
    if (op.op !== "GET" || op.outcome !== "ok") continue;
    reads++;
    const [key] = op.args as [string];
    const value = op.result as string | null;
    const final = finalReads !== null && op.invokeIndex >= finalReads.fromEvent &&
      op.invokeIndex < finalReads.toEvent;
    if (final) {
      const seen = finals.get(key) ?? new Set<string>();
      seen.add(JSON.stringify(value));
      finals.set(key, seen);
    }
    if (value === null) continue;
    const set = sets.get(key)?.get(value);
    if (set === undefined) {
      problems.push(`GET ${key} (op ${op.opIndex}) returned ${value}, which no SET of it wrote`);
    } else if (set.invokeIndex > op.completeIndex!) {
      problems.push(`GET ${key} (op ${op.opIndex}) returned ${value} before its SET began`);
    } else if (set.outcome === "fail") {
      problems.push(`GET ${key} (op ${op.opIndex}) returned ${value}, whose SET failed`);
    }
  }
  for (const [key, seen] of finals) {
    if (seen.size > 1) {
      problems.push(`final reads of ${key} disagree: ${[...seen].join(", ")}`);
    }
  }
  const text = `write-back check: ${reads} reads of ${sets.size} keys, ` +
    `${[...finals.values()].reduce((n, s) => n + s.size, 0)} final values; ` +
    (problems.length === 0 ? "no problem" : problems.join("; "));
  return { problems, text };
}
