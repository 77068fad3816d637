/**
 * Checkers beside linearizability: mutual exclusion ordered by fencing token, visibility of
 * acknowledged grants in the final reads after the heal, and recovery after the heal.
 * Times are the recorder's ms; equal times are read as concurrent (never a violation).
 */
import type { HistoryOperation } from "./history.ts";
import { parseLockInput, parseLockReading } from "./lock_call.ts";
import type { LockHold } from "./lock_holds.ts";
import type { LockReading } from "./lock_model.ts";
import { type CheckReport, Violations } from "./violations.ts";

export { type CheckReport, type Violation, VIOLATIONS_REPORTED_MAX } from "./violations.ts";

/** A LOCK.INFO reply read after the heal. */
export interface FinalLockRead {
  /** Lock name. */
  readonly lock: string;
  /** ms the read was invoked. */
  readonly timeMs: number;
  /** What it showed. */
  readonly reading: LockReading;
}

const describeHold = (h: LockHold) =>
  `${h.owner} ${h.mode} token ${h.token} (held ${h.heldFromMs}..${h.heldUntilMs} ms)`;

/** Where a lease bound comes from, e.g. `op #12 invoked at 180 ms + TTL 200 ms`. */
export function describeLeaseBound(h: LockHold): string {
  const from = h.leaseFrom;
  return `lease until >= ${h.leaseUntilMs} ms: op #${from.opIndex} invoked at ${from.invokeMs} ms ` +
    `+ TTL ${from.ttlMs} ms - margin`;
}

/**
 * Mutual exclusion by fencing token. For holds g1, g2 of one lock with token t1 < t2:
 * `token-order`: g2's acquire returned before g1's acquire was invoked (t2 granted first);
 * `overlap`: one of them is exclusive and g2's acquire returned before g1 was certainly over
 * (`g2.heldFromMs < g1.heldUntilMs`): t1's grant must end before t2's begins. When g1's certain
 * end is its lease bound, the message names the renewal that set it (a grant inside a lease).
 * `duplicate-token`: two grants of one lock with the same token.
 * `lost-grant`: a reply said a grant was gone before its lease could have ended.
 */
export function checkMutualExclusion(holds: readonly LockHold[]): CheckReport {
  const violations = new Violations();
  const byLock = new Map<string, LockHold[]>();
  for (const hold of holds) {
    const list = byLock.get(hold.lock) ?? [];
    list.push(hold);
    byLock.set(hold.lock, list);
    if (hold.end === "lost" && hold.goneByMs !== null && hold.goneByMs < hold.leaseUntilMs) {
      violations.add(
        "lost-grant",
        `lock ${hold.lock}: ${describeHold(hold)} was reported not held at ${hold.goneByMs} ms, ` +
          `before its lease could end (${describeLeaseBound(hold)})`,
      );
    }
  }
  for (const [lock, lockHolds] of [...byLock].sort(([a], [b]) => (a < b ? -1 : 1))) {
    checkLockHolds(lock, lockHolds, violations);
  }
  return violations.report();
}

/** Sweeps one lock's holds in token order, keeping maxima over all smaller tokens. */
function checkLockHolds(lock: string, holds: LockHold[], violations: Violations): void {
  const sorted = [...holds].sort((a, b) => a.token - b.token || a.heldFromMs - b.heldFromMs);
  let latestInvoke: LockHold | null = null;
  let latestUntil: LockHold | null = null;
  let latestExclusiveUntil: LockHold | null = null;
  for (let start = 0; start < sorted.length;) {
    let end = start;
    while (end < sorted.length && sorted[end]!.token === sorted[start]!.token) end++;
    const group = sorted.slice(start, end);
    const grantIds = new Set(group.map((h) => h.grantId));
    if (grantIds.size > 1) {
      const owners = group.map((h) => h.owner).join(", ");
      violations.add(
        "duplicate-token",
        `lock ${lock}: token ${group[0]!.token} granted ${grantIds.size} times (${owners})`,
      );
    }
    for (const g2 of group) {
      if (latestInvoke !== null && g2.heldFromMs < latestInvoke.acquireInvokeMs) {
        violations.add(
          "token-order",
          `lock ${lock}: ${describeHold(g2)} was granted before ${describeHold(latestInvoke)} ` +
            `was even asked for (at ${latestInvoke.acquireInvokeMs} ms), yet has a larger token`,
        );
      }
      const rival = g2.mode === "exclusive" ? latestUntil : latestExclusiveUntil;
      if (rival !== null && g2.heldFromMs < rival.heldUntilMs) {
        const byLease = rival.heldUntilMs === rival.leaseUntilMs;
        violations.add(
          "overlap",
          `lock ${lock}: ${describeHold(g2)} began before ${describeHold(rival)} ended` +
            (byLease ? ` (${describeLeaseBound(rival)})` : ""),
        );
      }
    }
    for (const g of group) {
      if (latestInvoke === null || g.acquireInvokeMs > latestInvoke.acquireInvokeMs) {
        latestInvoke = g;
      }
      if (latestUntil === null || g.heldUntilMs > latestUntil.heldUntilMs) latestUntil = g;
      const exclusiveUntil = latestExclusiveUntil?.heldUntilMs ?? Number.NEGATIVE_INFINITY;
      if (g.mode === "exclusive" && g.heldUntilMs > exclusiveUntil) latestExclusiveUntil = g;
    }
    start = end;
  }
}

/** The last successful LOCK.INFO of each lock invoked at or after `afterMs`. */
export function finalReadsFrom(
  ops: readonly HistoryOperation[],
  afterMs: number,
): FinalLockRead[] {
  const reads = new Map<string, FinalLockRead>();
  for (const op of ops) {
    if (op.op.toUpperCase() !== "LOCK.INFO" || op.outcome !== "ok" || op.invokeMs < afterMs) {
      continue;
    }
    const input = parseLockInput(op.op, op.args);
    const where = `Cannot parse reply of operation ${op.opIndex} (info)`;
    reads.set(input.lock, {
      lock: input.lock,
      timeMs: op.invokeMs,
      reading: parseLockReading(op.result, where),
    });
  }
  return [...reads.values()];
}

/**
 * After-heal visibility. `missing-grant`: an acknowledged grant never released (no release
 * attempt, not replaced, lease not over by the read) is absent from the final read of its lock.
 * `released-seen-held`: a read shows a grant a reply had already proved gone.
 * `phantom-holder`: a read shows an (owner, token) that no acquire of that owner may have got.
 */
export function checkFinalReads(
  holds: readonly LockHold[],
  reads: readonly FinalLockRead[],
  ops: readonly HistoryOperation[],
): CheckReport {
  const violations = new Violations();
  const maybeAcquired = new Set<string>();
  for (const op of ops) {
    if (op.op.toUpperCase() !== "LOCK.ACQUIRE" || op.outcome !== "info") continue;
    const input = parseLockInput(op.op, op.args);
    if (input.kind === "acquire") maybeAcquired.add(JSON.stringify([input.lock, input.owner]));
  }
  for (const read of reads) {
    const lockHolds = holds.filter((h) => h.lock === read.lock);
    for (const hold of lockHolds) {
      const due = hold.end === "open" && hold.heldFromMs <= read.timeMs &&
        hold.leaseUntilMs > read.timeMs;
      const shown = read.reading.holders.some((h) =>
        h.owner === hold.owner && h.token === hold.token
      );
      if (due && !shown) {
        violations.add(
          "missing-grant",
          `lock ${read.lock}: ${describeHold(hold)} is missing from the read at ${read.timeMs} ms`,
        );
      }
    }
    for (const holder of read.reading.holders) {
      const matches = lockHolds.filter((h) => h.owner === holder.owner && h.token === holder.token);
      const gone = matches.find((h) => h.goneByMs !== null && h.goneByMs <= read.timeMs);
      if (gone !== undefined) {
        violations.add(
          "released-seen-held",
          `lock ${read.lock}: the read at ${read.timeMs} ms shows ${holder.owner} token ` +
            `${holder.token}, proved gone at ${gone.goneByMs} ms`,
        );
      } else if (
        matches.length === 0 && !maybeAcquired.has(JSON.stringify([read.lock, holder.owner]))
      ) {
        violations.add(
          "phantom-holder",
          `lock ${read.lock}: the read at ${read.timeMs} ms shows ${holder.owner} token ` +
            `${holder.token}, which no acquire of that owner may have received`,
        );
      }
    }
  }
  return violations.report();
}

/** The result of `checkRecovery`. */
export interface RecoveryReport {
  /** True when an operation invoked after the heal succeeded within the bound. */
  readonly valid: boolean;
  /** ms from the heal to the first success, or null when none. */
  readonly recoveryMs: number | null;
  /** The first operation invoked at or after the heal that succeeded, or null. */
  readonly firstSuccess: HistoryOperation | null;
  /** One line for reports. */
  readonly message: string;
}

/** Recovery: some operation invoked at or after `healMs` returns ok within `recoveryMsMax`. */
export function checkRecovery(
  ops: readonly HistoryOperation[],
  healMs: number,
  recoveryMsMax: number,
): RecoveryReport {
  let first: HistoryOperation | null = null;
  for (const op of ops) {
    if (op.outcome !== "ok" || op.invokeMs < healMs || op.completeMs === null) continue;
    if (first === null || op.completeMs < (first.completeMs ?? Number.POSITIVE_INFINITY)) {
      first = op;
    }
  }
  const recoveryMs = first === null ? null : (first.completeMs ?? healMs) - healMs;
  const valid = recoveryMs !== null && recoveryMs <= recoveryMsMax;
  const message = first === null
    ? `no operation invoked after the heal at ${healMs} ms succeeded`
    : `first success after the heal: ${first.op} by process ${first.process}, ` +
      `${recoveryMs} ms after the heal (bound ${recoveryMsMax} ms)`;
  return { valid, recoveryMs, firstSuccess: first, message };
}
