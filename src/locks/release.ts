import {
  dropIfUnheld,
  type LockEntry,
  promoteWaiters,
  removeHolder,
  renewLease,
  type TableState,
  unparkWaiter,
} from "./table_state.ts";
import type {
  CancelWaitOp,
  ExpireOp,
  Grant,
  LockApplyResult,
  RefreshOp,
  ReleaseOp,
} from "./types.ts";

/** Frees the owner's grant (only the grant `token` when given) and promotes waiters. */
export function applyRelease(state: TableState, op: ReleaseOp): LockApplyResult {
  const lock = state.locks.get(op.name);
  const held = lock?.holders.get(op.owner);
  if (lock === undefined || held === undefined) return unchanged();
  if (op.token !== null && held.token !== op.token) return unchanged();
  return { outcome: true, grants: freeGrant(state, lock, op.owner) };
}

/** Sets the lease length of the owner's grant (only the grant `token` when given). */
export function applyRefresh(state: TableState, op: RefreshOp): LockApplyResult {
  const held = state.locks.get(op.name)?.holders.get(op.owner);
  if (held === undefined) return unchanged();
  if (op.token !== null && held.token !== op.token) return unchanged();
  renewLease(state, held, op.ttlMs);
  return { outcome: true, grants: [] };
}

/**
 * Frees grant `token` of the owner if it is still the current one and its lease was not renewed
 * after the leader decided to expire it (`leaseIndex` still the one the leader saw). A stale
 * expiry (older grant, or a renewal committed in between) is a no-op.
 */
export function applyExpire(state: TableState, op: ExpireOp): LockApplyResult {
  const lock = state.locks.get(op.name);
  const held = lock?.holders.get(op.owner);
  if (lock === undefined || held === undefined || held.token !== op.token) return unchanged();
  if (held.leaseIndex !== op.leaseIndex) return unchanged();
  return { outcome: true, grants: freeGrant(state, lock, op.owner) };
}

/** Removes the parked wait `waiterId` of the owner and promotes the waiters it held back. */
export function applyCancelWait(state: TableState, op: CancelWaitOp): LockApplyResult {
  const lock = state.locks.get(op.name);
  const waiter = lock?.queue.get(op.owner);
  if (lock === undefined || waiter === undefined || waiter.waiterId !== op.waiterId) {
    return unchanged();
  }
  unparkWaiter(state, lock, waiter);
  return { outcome: true, grants: promoteWaiters(state, lock) };
}

function freeGrant(state: TableState, lock: LockEntry, owner: string): Grant[] {
  removeHolder(state, lock, owner);
  const grants = promoteWaiters(state, lock);
  dropIfUnheld(state, lock);
  return grants;
}

function unchanged(): LockApplyResult {
  return { outcome: false, grants: [] };
}
