import { findWaitCycle } from "./deadlock.ts";
import {
  addHolder,
  createLock,
  type Holder,
  type LockEntry,
  newToken,
  parkWaiter,
  promoteWaiters,
  renewLease,
  type TableState,
  unparkWaiter,
} from "./table_state.ts";
import type { AcquireOp, AcquireOutcome, LockApplyResult } from "./types.ts";
import type { Waiter } from "./wait_queue.ts";

/** Applies a validated acquire (see mod.ts for the rules). */
export function applyAcquire(state: TableState, op: AcquireOp): LockApplyResult {
  const lock = state.locks.get(op.name);
  if (lock === undefined) return answer(grantNew(state, undefined, op));
  const held = lock.holders.get(op.owner);
  if (held !== undefined) return acquireAsHolder(state, lock, held, op);
  const waiting = lock.queue.get(op.owner);
  if (waiting !== undefined) return answer(retryWait(waiting, op));
  // Fairness: with anyone queued, a new request queues too (the head is never grantable).
  if (lock.queue.size === 0 && lock.mode === "shared" && op.mode === "shared") {
    return answer(grantNew(state, lock, op));
  }
  if (!op.wait) return answer({ kind: "busy" });
  return answer(park(state, lock, op, lock.queue.tail));
}

function answer(outcome: AcquireOutcome): LockApplyResult {
  return { outcome, grants: [] };
}

/** Re-acquire (same token), downgrade (same token) or upgrade (new token, or wait). */
function acquireAsHolder(
  state: TableState,
  lock: LockEntry,
  held: Holder,
  op: AcquireOp,
): LockApplyResult {
  if (lock.mode === op.mode) {
    renewLease(state, held, op.ttlMs);
    return answer({ kind: "granted", token: held.token });
  }
  if (op.mode === "shared") {
    // Downgrade in place: exclusive -> shared keeps the token; shared waiters at the head join.
    renewLease(state, held, op.ttlMs);
    lock.mode = "shared";
    return { outcome: { kind: "granted", token: held.token }, grants: promoteWaiters(state, lock) };
  }
  if (lock.holders.size === 1) {
    // Upgrade in place: a new grant, so fencing orders it after the shared one.
    held.token = newToken(state);
    renewLease(state, held, op.ttlMs);
    lock.mode = "exclusive";
    return answer({ kind: "granted", token: held.token });
  }
  const waiting = lock.queue.get(op.owner);
  if (waiting !== undefined) return answer(retryWait(waiting, op));
  if (!op.wait) return answer({ kind: "busy" });
  return answer(park(state, lock, op, upgradeSlot(lock)));
}

/** The owner already waits for this lock: a retry of the same wait takes over its place. */
function retryWait(waiting: Waiter, op: AcquireOp): AcquireOutcome {
  if (waiting.mode !== op.mode) {
    return limit(
      `owner already waits for it in ${waiting.mode} mode (one wait per owner and lock)`,
    );
  }
  if (!op.wait) return { kind: "busy" };
  const replaced = waiting.waiterId;
  waiting.waiterId = op.waiterId;
  waiting.ttlMs = op.ttlMs;
  return { kind: "queued", replacedWaiterId: replaced === op.waiterId ? null : replaced };
}

/** A new grant to an owner that neither holds nor waits; `lock` undefined creates it. */
function grantNew(state: TableState, lock: LockEntry | undefined, op: AcquireOp): AcquireOutcome {
  const refusal = entryLimit(state, lock, false);
  if (refusal !== null) return refusal;
  const entry = lock ?? createLock(state, op.name, op.mode);
  const token = newToken(state);
  const holder = { owner: op.owner, token, ttlMs: op.ttlMs, leaseIndex: state.appliedIndex };
  addHolder(state, entry, holder, op.mode);
  return { kind: "granted", token };
}

/** Parks a wait after `before` unless a limit or a deadlock forbids it (then changes nothing). */
function park(
  state: TableState,
  lock: LockEntry,
  op: AcquireOp,
  before: Waiter | null,
): AcquireOutcome {
  const refusal = entryLimit(state, lock, true);
  if (refusal !== null) return refusal;
  const { owner, mode, waiterId, ttlMs } = op;
  const waiter: Waiter = { owner, mode, waiterId, ttlMs, prev: null, next: null };
  parkWaiter(state, lock, waiter, before);
  const search = findWaitCycle(state, owner);
  if (search.kind === "none") return { kind: "queued", replacedWaiterId: null };
  unparkWaiter(state, lock, waiter);
  if (search.kind === "cycle") return { kind: "deadlock", cycle: search.cycle };
  return limit(`deadlock search exceeded the maximum of ${search.stepsMax} steps`);
}

/** Upgrade waits go to the front, behind earlier upgrade waits (whose owners hold the lock). */
function upgradeSlot(lock: LockEntry): Waiter | null {
  let before: Waiter | null = null;
  for (const waiter of lock.queue) {
    if (!lock.holders.has(waiter.owner)) break;
    before = waiter;
  }
  return before;
}

/** The limit a new entry (a grant, or a wait when `waiting`) would exceed, or null. */
function entryLimit(
  state: TableState,
  lock: LockEntry | undefined,
  waiting: boolean,
): AcquireOutcome | null {
  const limits = state.limits;
  if (lock === undefined && state.locks.size >= limits.locksMax) {
    return limit(`lock count ${state.locks.size} reached the maximum of ${limits.locksMax}`);
  }
  const entryCount = state.holderCount + state.waiterCount;
  if (entryCount >= limits.entriesTotalMax) {
    return limit(
      `holders and waiters of all locks ${entryCount} reached the maximum of ` +
        `${limits.entriesTotalMax}`,
    );
  }
  if (lock === undefined) return null;
  const lockEntryCount = lock.holders.size + lock.queue.size;
  if (lockEntryCount >= limits.entriesPerLockMax) {
    return limit(
      `holders and waiters of this lock ${lockEntryCount} reached the maximum of ` +
        `${limits.entriesPerLockMax}`,
    );
  }
  if (!waiting) return null;
  if (lock.queue.size >= limits.waitersPerLockMax) {
    return limit(
      `waiters of this lock ${lock.queue.size} reached the maximum of ${limits.waitersPerLockMax}`,
    );
  }
  if (state.waiterCount >= limits.waitersTotalMax) {
    return limit(
      `waiters of all locks ${state.waiterCount} reached the maximum of ${limits.waitersTotalMax}`,
    );
  }
  return null;
}

function limit(reason: string): AcquireOutcome {
  return { kind: "limit", message: `Cannot acquire lock: ${reason}` };
}
