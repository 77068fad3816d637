/** A bounded list of broken rules, shared by the checkers. */

/** At most this many violations are kept in a report; the count covers all. */
export const VIOLATIONS_REPORTED_MAX = 20;

/** One broken rule. */
export interface Violation {
  /** Rule name, e.g. `overlap`, `token-order`, `duplicate-token`, `lost-grant`. */
  readonly kind: string;
  /** What happened, with lock, owners, tokens and times. */
  readonly message: string;
}

/** The result of a checker. */
export interface CheckReport {
  /** True when no rule was broken. */
  readonly valid: boolean;
  /** Number of violations found (may exceed `violations.length`). */
  readonly violationCount: number;
  /** The first `VIOLATIONS_REPORTED_MAX` violations. */
  readonly violations: readonly Violation[];
}

/** Collects violations, keeping the first `VIOLATIONS_REPORTED_MAX`. */
export class Violations {
  readonly #list: Violation[] = [];
  #count = 0;

  /** Counts one violation; keeps it while under the bound. */
  add(kind: string, message: string): void {
    this.#count++;
    if (this.#list.length < VIOLATIONS_REPORTED_MAX) this.#list.push({ kind, message });
  }

  /** The report so far. */
  report(): CheckReport {
    return { valid: this.#count === 0, violationCount: this.#count, violations: this.#list };
  }
}
