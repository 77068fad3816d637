/**
 * A Zipf-like key picker for the cache section's mixed workload: key rank r (0-based) is chosen
 * with probability proportional to 1 / (r + 1)^exponent, from a caller-supplied uniform source
 * (a seeded generator, so a run's key sequence can be replayed). Pure: no clock, no Math.random.
 */

/** Most keys a picker covers (its cumulative table holds one float per key). */
export const SKEWED_KEY_COUNT_MAX = 1_000_000;

/** Picks key ranks in [0, keyCount) with a Zipf-like skew. */
export class SkewedKeyPicker {
  /** cumulative[r] = P(rank <= r); the last entry is 1. */
  readonly #cumulative: Float64Array;

  /** A picker over `keyCount` keys; `exponent` 0 is uniform, about 1 is the usual web skew. */
  constructor(keyCount: number, exponent: number) {
    if (!Number.isSafeInteger(keyCount) || keyCount < 1 || keyCount > SKEWED_KEY_COUNT_MAX) {
      throw new RangeError(
        `Invalid key count ${keyCount}: use an integer from 1 to ${SKEWED_KEY_COUNT_MAX}`,
      );
    }
    if (!Number.isFinite(exponent) || exponent < 0) {
      throw new RangeError(`Invalid exponent ${exponent}: use a finite number >= 0`);
    }
    this.#cumulative = new Float64Array(keyCount);
    let total = 0;
    for (let rank = 0; rank < keyCount; rank++) {
      total += 1 / Math.pow(rank + 1, exponent);
      this.#cumulative[rank] = total;
    }
    for (let rank = 0; rank < keyCount; rank++) this.#cumulative[rank]! /= total;
    this.#cumulative[keyCount - 1] = 1;
  }

  /** Keys the picker chooses from. */
  get keyCount(): number {
    return this.#cumulative.length;
  }

  /** The probability of rank `rank`. */
  probability(rank: number): number {
    if (rank < 0 || rank >= this.#cumulative.length) return 0;
    return this.#cumulative[rank]! - (rank === 0 ? 0 : this.#cumulative[rank - 1]!);
  }

  /** The rank a uniform `unit` in [0, 1) maps to (the first rank whose cumulative exceeds it). */
  pick(unit: number): number {
    let low = 0;
    let high = this.#cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#cumulative[middle]! > unit) high = middle;
      else low = middle + 1;
    }
    return low;
  }
}
