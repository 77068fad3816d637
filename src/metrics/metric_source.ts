/** One value a subsystem exports on `/metrics` (read when scraped). */
export interface MetricSource {
  /**
   * `dsync_...`, snake_case, base unit last (`_bytes`, `_seconds`); a name ending in `_total` is
   * exported as a counter (the value only ever increases), any other as a gauge.
   */
  name: string;
  help: string;
  value(): number;
}
