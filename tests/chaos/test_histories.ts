/** Compact hand-written histories for the checker self-tests. */
import {
  type HistoryEvent,
  type HistoryOperation,
  HistoryRecorder,
  type JsonValue,
  pairOperations,
} from "./history.ts";

/**
 * One step: `[process, "invoke", "ACQUIRE L a SHARED"]` (the `LOCK.` prefix is added) or
 * `[process, "ok" | "fail" | "info", result]`. Each step advances the clock by 10 ms, or by the
 * optional fourth element.
 */
export type Step =
  | readonly [number, "invoke", string, number?]
  | readonly [number, "ok" | "fail" | "info", JsonValue, number?];

/** Records `steps` with a fake clock starting at 0 ms. */
export function lockHistory(steps: readonly Step[]): HistoryEvent[] {
  return prefixedEvents("LOCK.", steps);
}

/** `lockHistory` for QUEUE.* commands: `[p, "invoke", "PUSH q m1 KEY k"]` is `QUEUE.PUSH`. */
export function queueOps(steps: readonly Step[]): HistoryOperation[] {
  return pairOperations(prefixedEvents("QUEUE.", steps));
}

/** Records `steps`, each invoked command name prefixed with `prefix`, from 0 ms. */
export function prefixedEvents(prefix: string, steps: readonly Step[]): HistoryEvent[] {
  let nowMs = 0;
  let nextMs = 0;
  const recorder = new HistoryRecorder(() => nowMs);
  for (const step of steps) {
    nowMs = nextMs;
    nextMs = nowMs + (step[3] ?? 10);
    const [process, type, value] = step;
    if (type === "invoke") {
      const [name, ...args] = (value as string).split(/\s+/);
      recorder.invoke(process, `${prefix}${name}`, args);
    } else if (type === "ok") recorder.ok(process, value);
    else if (type === "fail") recorder.fail(process, String(value));
    else recorder.info(process, String(value));
  }
  return [...recorder.events()];
}

/** `lockHistory` paired into operations. */
export function lockOps(steps: readonly Step[]): HistoryOperation[] {
  return pairOperations(lockHistory(steps));
}

/** One step at an absolute time: `[atMs, process, "invoke", "REFRESH L a 200"]` etc. */
export type TimedStep =
  | readonly [number, number, "invoke", string]
  | readonly [number, number, "ok" | "fail" | "info", JsonValue];

/** Records steps at the given times (non-decreasing), from 0 ms. */
export function timedLockHistory(steps: readonly TimedStep[]): HistoryEvent[] {
  return lockHistory(steps.map(([atMs, process, type, value], index) => {
    const nextMs = steps[index + 1]?.[0] ?? atMs;
    if (index === 0 && atMs !== 0) throw new RangeError("the first timed step must be at 0 ms");
    return [process, type, value, nextMs - atMs] as Step;
  }));
}
