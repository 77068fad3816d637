import { assert, assertionFailed } from "../util/assert.ts";
import type { LockTableLimits } from "./limits.ts";
import { type Holder, HolderSet } from "./holder_set.ts";
import type { Grant, LockMode } from "./types.ts";
import { type Waiter, WaitQueue } from "./wait_queue.ts";

export type { Holder } from "./holder_set.ts";

/**
 * One lock. Invariants at rest (between ops): at least one holder; `mode` is the mode of every
 * holder and `exclusive` means exactly one; the queue's head is not grantable.
 */
export interface LockEntry {
  readonly name: string;
  mode: LockMode;
  /** Holders by owner, in grant order. */
  readonly holders: HolderSet;
  /** NO_WAITERS (shared, never modified) while nobody waits: most locks never get a queue. */
  queue: WaitQueue;
}

/** The whole replicated state plus derived indexes and counters. */
export interface TableState {
  readonly limits: Readonly<LockTableLimits>;
  /** Locks by name; a lock without holders is removed at the end of every op. */
  readonly locks: Map<string, LockEntry>;
  /** Derived index: owner -> names of the locks it waits for (never an empty set). */
  readonly waitsByOwner: Map<string, Set<string>>;
  /** Holders over all locks. */
  holderCount: number;
  /** Waiters over all locks. */
  waiterCount: number;
  /** Last fencing token handed out; only grows. */
  lastToken: number;
  /** Log index of the last applied op; only grows. */
  appliedIndex: number;
}

/** The queue of every lock nobody waits for; parkWaiter gives a lock its own queue. */
const NO_WAITERS = new WaitQueue();

/** An empty table state. */
export function createTableState(limits: Readonly<LockTableLimits>): TableState {
  return {
    limits,
    locks: new Map(),
    waitsByOwner: new Map(),
    holderCount: 0,
    waiterCount: 0,
    lastToken: 0,
    appliedIndex: 0,
  };
}

/** Adds an empty lock named `name` (the caller adds its first holder in the same op). */
export function createLock(state: TableState, name: string, mode: LockMode): LockEntry {
  const lock = insertLock(state, name, mode);
  if (lock === null) assertionFailed(`lock ${name} already exists`);
  return lock;
}

/**
 * Adds an empty lock named `name`; null when one existed, which it then replaced: the caller
 * must discard the state (an assertion, a refused snapshot).
 */
export function insertLock(state: TableState, name: string, mode: LockMode): LockEntry | null {
  // One lookup, not has() then set(): a restore of a million locks pays it per lock.
  const lockCount = state.locks.size;
  const lock: LockEntry = { name, mode, holders: new HolderSet(), queue: NO_WAITERS };
  state.locks.set(name, lock);
  return state.locks.size === lockCount ? null : lock;
}

/** Hands out the next fencing token. */
export function newToken(state: TableState): number {
  assert(state.lastToken < Number.MAX_SAFE_INTEGER, "fencing tokens exhausted");
  state.lastToken += 1;
  return state.lastToken;
}

/** Adds a grant; the lock must be empty or shared with a shared request. */
export function addHolder(state: TableState, lock: LockEntry, holder: Holder, mode: LockMode) {
  // HolderSet.add asserts that the owner does not hold the lock yet.
  if (lock.holders.size > 0 && (lock.mode !== "shared" || mode !== "shared")) {
    assertionFailed(`${mode} grant of ${lock.name} conflicts with its ${lock.mode} holders`);
  }
  lock.mode = mode;
  lock.holders.add(holder);
  state.holderCount += 1;
}

/** Removes a grant (the caller promotes waiters and drops the lock if empty). */
export function removeHolder(state: TableState, lock: LockEntry, owner: string): void {
  if (!lock.holders.delete(owner)) assertionFailed(`owner ${owner} does not hold ${lock.name}`);
  state.holderCount -= 1;
}

/** Starts the holder's lease anew at the op being applied, for `ttlMs`. */
export function renewLease(state: TableState, holder: Holder, ttlMs: number): void {
  holder.ttlMs = ttlMs;
  holder.leaseIndex = state.appliedIndex;
}

/** Parks `waiter` right after `before` (null: at the front). */
export function parkWaiter(
  state: TableState,
  lock: LockEntry,
  waiter: Waiter,
  before: Waiter | null,
): void {
  if (lock.queue === NO_WAITERS) lock.queue = new WaitQueue();
  lock.queue.insertAfter(before, waiter);
  state.waiterCount += 1;
  const names = state.waitsByOwner.get(waiter.owner);
  if (names === undefined) state.waitsByOwner.set(waiter.owner, new Set([lock.name]));
  else names.add(lock.name);
}

/** Unparks `waiter`, exactly undoing parkWaiter. */
export function unparkWaiter(state: TableState, lock: LockEntry, waiter: Waiter): void {
  lock.queue.remove(waiter);
  if (lock.queue.size === 0) lock.queue = NO_WAITERS;
  state.waiterCount -= 1;
  const names = state.waitsByOwner.get(waiter.owner);
  assert(names !== undefined && names.delete(lock.name), `${waiter.owner} not indexed as waiter`);
  if (names.size === 0) state.waitsByOwner.delete(waiter.owner);
}

/**
 * Whether `waiter`, at the head of the queue, can be granted now: an upgrade (its owner holds
 * the lock shared) when it is the sole holder; otherwise when the lock has no holders, or both
 * the lock and the request are shared.
 */
export function canGrantWaiter(lock: LockEntry, waiter: Waiter): boolean {
  if (lock.holders.has(waiter.owner)) return lock.holders.size === 1;
  if (lock.holders.size === 0) return true;
  return lock.mode === "shared" && waiter.mode === "shared";
}

/** Grants waiters from the head of the queue while they can be granted (strict FIFO). */
export function promoteWaiters(state: TableState, lock: LockEntry): Grant[] {
  const grants: Grant[] = [];
  // Bounded by the queue length (waitersPerLockMax): every pass removes the head.
  for (let head = lock.queue.head; head !== null; head = lock.queue.head) {
    if (!canGrantWaiter(lock, head)) break;
    unparkWaiter(state, lock, head);
    const token = newToken(state);
    const upgraded = lock.holders.get(head.owner);
    const leaseIndex = state.appliedIndex;
    if (upgraded === undefined) {
      addHolder(
        state,
        lock,
        { owner: head.owner, token, ttlMs: head.ttlMs, leaseIndex },
        head.mode,
      );
    } else {
      assert(head.mode === "exclusive", `shared waiter ${head.owner} already holds ${lock.name}`);
      renewLease(state, upgraded, head.ttlMs);
      upgraded.token = token;
      lock.mode = "exclusive";
    }
    const { owner, mode, waiterId, ttlMs } = head;
    grants.push({ name: lock.name, owner, mode, token, waiterId, ttlMs });
  }
  return grants;
}

/** Removes the lock when it has no holders left (it then has no waiters either). */
export function dropIfUnheld(state: TableState, lock: LockEntry): void {
  if (lock.holders.size > 0) return;
  if (lock.queue.size > 0) assertionFailed(`lock ${lock.name} has waiters but no holders`);
  state.locks.delete(lock.name);
}
