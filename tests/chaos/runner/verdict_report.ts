/**
 * What every workload's verdict shares: operation counts, the status from the checks, the
 * too-few-successes and harness-problem rules, and the report's header. Pure.
 */
import { checkRecovery } from "../checkers.ts";
import type { HistoryOperation } from "../history.ts";

/** pass: every checker passed. fail: one found a violation. inconclusive: no proof either way. */
export type VerdictStatus = "pass" | "fail" | "inconclusive";

/** One checker's result in a verdict. */
export type CheckStatus = "pass" | "fail" | "unknown";

/** Operation counts by outcome. */
export interface OperationCounts {
  /** All operations. */
  readonly total: number;
  /** Happened. */
  readonly ok: number;
  /** Definitely did not happen. */
  readonly fail: number;
  /** Unknown outcome. */
  readonly info: number;
}

/** A verdict and its report. */
export interface RunVerdict {
  /** The overall status. */
  readonly status: VerdictStatus;
  /** Per checker: pass / fail / unknown. */
  readonly checks: Readonly<Record<string, CheckStatus>>;
  /** Operation counts. */
  readonly counts: OperationCounts;
  /** The human-readable report (verdict.txt). */
  readonly text: string;
}

/** Counts operations by outcome. */
export function countOperations(ops: readonly HistoryOperation[]): OperationCounts {
  const count = (outcome: string) => ops.filter((op) => op.outcome === outcome).length;
  return { total: ops.length, ok: count("ok"), fail: count("fail"), info: count("info") };
}

/** The checker results and report sections of a run, before they are combined. */
export interface VerdictParts {
  /** Per checker: pass / fail / unknown. */
  readonly checks: Readonly<Record<string, CheckStatus>>;
  /** Report sections, in order. */
  readonly lines: readonly string[];
  /** Operation counts of the whole history. */
  readonly counts: OperationCounts;
  /** Fewer successful operations than this makes the run inconclusive (default 1). */
  readonly okCountMin?: number;
  /** Problems of the harness (a fault not applied or not healed): inconclusive. */
  readonly harnessErrors?: readonly string[];
}

/** Fail if a check failed; inconclusive if one is unknown, too few passed, or harness trouble. */
export function combineVerdict(parts: VerdictParts): RunVerdict {
  const { checks, counts } = parts;
  const lines = [...parts.lines];
  const harnessErrors = parts.harnessErrors ?? [];
  const okCountMin = parts.okCountMin ?? 1;
  const tooFew = counts.ok < okCountMin;
  const failed = Object.values(checks).includes("fail");
  const unknown = Object.values(checks).includes("unknown") || tooFew || harnessErrors.length > 0;
  const status: VerdictStatus = failed ? "fail" : unknown ? "inconclusive" : "pass";
  if (tooFew) lines.push(`== only ${counts.ok} operations succeeded (need ${okCountMin})`);
  if (harnessErrors.length > 0) {
    lines.push(
      `== harness problems (${harnessErrors.length})`,
      ...harnessErrors.map((e) => `  ${e}`),
    );
  }
  const header = [
    `verdict: ${status}`,
    `operations: ${counts.total} (ok ${counts.ok}, fail ${counts.fail}, unknown ${counts.info})`,
    `checks: ${Object.entries(checks).map(([name, result]) => `${name} ${result}`).join(", ")}`,
  ];
  return { status, checks, counts, text: [...header, "", ...lines, ""].join("\n") };
}

/** What the recovery check and the combining rules take from a workload's judge options. */
export interface RecoveryRules {
  /** ms (history clock) when the last fault was healed. */
  readonly healMs: number;
  /** Longest allowed time from the heal to the first success. */
  readonly recoveryMsMax: number;
  readonly okCountMin?: number;
  readonly harnessErrors?: readonly string[];
}

/**
 * Adds the recovery check (a success soon after the heal) on `ops` to `checks`, then combines
 * them; `counts` default to those of `ops`.
 */
export function combineWithRecovery(
  ops: readonly HistoryOperation[],
  checks: Record<string, CheckStatus>,
  lines: string[],
  rules: RecoveryRules,
  counts: OperationCounts = countOperations(ops),
): RunVerdict {
  const recovery = checkRecovery(ops, rules.healMs, rules.recoveryMsMax);
  checks["recovery"] = recovery.valid ? "pass" : "fail";
  lines.push(`== recovery: ${recovery.message}`);
  return combineVerdict({
    checks,
    lines,
    counts,
    ...(rules.okCountMin === undefined ? {} : { okCountMin: rules.okCountMin }),
    ...(rules.harnessErrors === undefined ? {} : { harnessErrors: rules.harnessErrors }),
  });
}

/** A linearizability search's answer as a check. */
export function checkOf(valid: "yes" | "no" | "unknown"): CheckStatus {
  return valid === "yes" ? "pass" : valid === "no" ? "fail" : "unknown";
}
