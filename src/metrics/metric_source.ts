/** One value a subsystem exports on `/metrics` (read when scraped). */
export interface MetricSource {
  /** `dsync_...`, snake_case, unit last (`_total` for counters). */
  name: string;
  help: string;
  value(): number;
}
