/** Most trials a failover tool runs. */
export const TRIAL_COUNT_MAX = 1_000;

/** The `--trials` option as a count, or a RangeError naming the bounds. */
export function parseTrialCount(text: string): number {
  const count = Number(text);
  if (!Number.isSafeInteger(count) || count < 1 || count > TRIAL_COUNT_MAX) {
    throw new RangeError(`Invalid --trials ${text}: use 1..${TRIAL_COUNT_MAX}`);
  }
  return count;
}

/** Best, median and worst of at least one measurement. */
export function summary(
  values: readonly number[],
): { best: number; median: number; worst: number } {
  if (values.length === 0) throw new RangeError("Cannot summarize zero measurements");
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted.length % 2 === 1
    ? sorted[(sorted.length - 1) / 2]!
    : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return { best: sorted[0]!, median, worst: sorted[sorted.length - 1]! };
}
