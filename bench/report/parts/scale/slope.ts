/** Pure arithmetic of the scale section: slopes of memory against items, and percentiles. */
import type { Point } from "../../results.ts";

/**
 * Least-squares slope of y against x (bytes per item when x counts items and y is RSS bytes).
 * Needs at least two distinct x values; throws RangeError otherwise.
 */
export function leastSquaresSlope(points: readonly Point[]): number {
  if (points.length < 2) throw new RangeError(`Cannot fit a slope to ${points.length} point(s)`);
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / points.length;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / points.length;
  let covariance = 0;
  let varianceX = 0;
  for (const p of points) {
    covariance += (p.x - meanX) * (p.y - meanY);
    varianceX += (p.x - meanX) ** 2;
  }
  if (varianceX === 0) throw new RangeError("Cannot fit a slope: every x is the same");
  return covariance / varianceX;
}

/** The `q`-quantile (0..1) of `values` by nearest rank; throws RangeError when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError("Cannot take a quantile of no values");
  if (!(q >= 0 && q <= 1)) throw new RangeError(`Quantile ${q} is outside 0..1`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

/** Server CPU milliseconds per operation; null when no operation completed. */
export function cpuMsPerOp(serverCpuMs: number, operationCount: number): number | null {
  return operationCount > 0 ? serverCpuMs / operationCount : null;
}
