import type { HeldLock, LockApplyResult, LockOp, LockTable } from "../locks/mod.ts";
import { assert } from "../util/assert.ts";
import { DeadlineHeap } from "../util/indexed_heap.ts";

/** Holders a reset tracks at once (about 10 ms of work), then per due() call until done. */
const RESET_HOLDERS_PER_STEP_DEFAULT = 20_000;

/** Leases of one lock searched by a scan; more get a map by owner (wide shared locks). */
const CHAIN_SCAN_MAX = 8;
/** The chain of a lock without leases, as an array (shared, never written). */
const NO_LEASES: readonly TrackedLease[] = [];

/** A lease or wait the leader must end by proposing an operation. */
export type DueOp = Extract<LockOp, { op: "expire" } | { op: "cancelWait" }>;

/**
 * One tracked lease: a grant as last renewed in the log, and its deadline on this clock. The
 * leases of one lock form a chain in grant order (`next`): most locks have one holder, so a lock
 * costs one map entry and one object, with no per-lease key string.
 */
interface TrackedLease {
  readonly name: string;
  readonly owner: string;
  readonly token: number;
  /** The table's lease index of the grant this deadline was computed for. */
  readonly leaseIndex: number;
  readonly deadlineMs: number;
  /** An expire for this lease index is proposed and not settled yet. */
  proposed: boolean;
  /** The next lease of the same lock, or null. */
  next: TrackedLease | null;
  /** Slot in the deadline heap; -1 while an expire is proposed or once dropped. */
  heapSlot: number;
}

/**
 * Deadlines of leases and parked waits by this node's clock (pure: time is passed in). Every
 * node keeps it in step with the applied log; a new leader resets it so that every lease counts
 * from its own start (it may last longer, never shorter), then proposes expiries as they fall due.
 *
 * A lease's deadline restarts whenever the table's lease index of the grant changes (grant,
 * promotion, re-acquire, upgrade, downgrade, refresh), so every renewal path is followed by one
 * rule. An expiry names the lease index it was decided for; the table ignores it if a renewal
 * was applied in between, so a refresh committed while an expiry is in flight always wins.
 */
export class LeaseTracker {
  /** The first lease of each lock by name (a chain; see TrackedLease). */
  readonly #leasesByName = new Map<string, TrackedLease>();
  /** Number of tracked leases over all chains. */
  #leaseCount = 0;
  /** The leases with no expire proposed, by deadline: due() looks only at those due. */
  readonly #deadlines = new DeadlineHeap<TrackedLease>();
  readonly #waiters = new Map<number, { name: string; owner: string; deadlineMs: number }>();
  /** Waiter ids whose cancel is proposed and not yet settled. */
  readonly #cancelsProposed = new Set<number>();
  /** Holders tracked per step of a reset's walk. */
  readonly #resetHoldersPerStep: number;
  /** Where the walk of the last reset stands; null once every holder was reached. */
  #resetCursor: Iterator<HeldLock> | null = null;
  /** The `nowMs` of the last reset: every lease reached by its walk counts from it. */
  #resetNowMs = 0;

  /** `resetHoldersPerStep` bounds the work of reset() and of each due() while a walk lasts. */
  constructor(resetHoldersPerStep = RESET_HOLDERS_PER_STEP_DEFAULT) {
    assert(Number.isSafeInteger(resetHoldersPerStep) && resetHoldersPerStep > 0, "reset step");
    this.#resetHoldersPerStep = resetHoldersPerStep;
  }

  /**
   * Every current lease from `nowMs`; every parked wait gets at most `waitMaxMs` more. The
   * leases are tracked `resetHoldersPerStep` at a time, here and then at the start of each
   * due(), so a new leader with a million grants is not blocked for seconds; a lease not reached
   * yet can only expire later than its deadline from `nowMs`, never earlier. A lease followed
   * meanwhile (its lock changed) is tracked by applied() and skipped by the walk.
   */
  reset(table: LockTable, nowMs: number, waitMaxMs: number): void {
    this.#leasesByName.clear();
    this.#leaseCount = 0;
    this.#deadlines.clear();
    this.#waiters.clear();
    this.#cancelsProposed.clear();
    this.#resetCursor = table.holders();
    this.#resetNowMs = nowMs;
    this.#continueReset();
    for (const waiting of table.waiters()) {
      this.#waiters.set(waiting.waiterId, {
        name: waiting.name,
        owner: waiting.owner,
        deadlineMs: nowMs + waitMaxMs,
      });
    }
  }

  /** Whether the walk of a reset is still going (some leases are not tracked yet). */
  get resetting(): boolean {
    return this.#resetCursor !== null;
  }

  /** Follows one applied operation. */
  applied(op: LockOp, waitMs: number, result: LockApplyResult, table: LockTable, nowMs: number) {
    if (op.op === "acquire" && typeof result.outcome === "object") {
      const outcome = result.outcome;
      if (outcome.kind === "queued") {
        if (outcome.replacedWaiterId !== null) this.#waiters.delete(outcome.replacedWaiterId);
        this.#waiters.set(op.waiterId, {
          name: op.name,
          owner: op.owner,
          deadlineMs: nowMs + waitMs,
        });
      }
    }
    if (op.op === "cancelWait") this.#waiters.delete(op.waiterId);
    for (const grant of result.grants) this.#waiters.delete(grant.waiterId);
    this.#follow(op.name, table, nowMs);
  }

  /** Operations whose deadline passed and that were not proposed yet (marked as proposed). */
  due(nowMs: number): DueOp[] {
    this.#continueReset();
    const ops: DueOp[] = [];
    // Bounded by the number of leases: every pass takes one out of the heap.
    for (let lease = this.#deadlines.peek(); lease !== undefined; lease = this.#deadlines.peek()) {
      if (lease.deadlineMs > nowMs) break;
      this.#deadlines.remove(lease);
      lease.proposed = true;
      const { name, owner, token, leaseIndex } = lease;
      ops.push({ op: "expire", name, owner, token, leaseIndex });
    }
    for (const [waiterId, waiter] of this.#waiters) {
      if (waiter.deadlineMs > nowMs || this.#cancelsProposed.has(waiterId)) continue;
      this.#cancelsProposed.add(waiterId);
      ops.push({ op: "cancelWait", name: waiter.name, owner: waiter.owner, waiterId });
    }
    return ops;
  }

  /** A proposed expiry/cancel finished (applied or failed): it may be proposed again if due. */
  settled(op: DueOp): void {
    if (op.op === "cancelWait") {
      this.#cancelsProposed.delete(op.waiterId);
      return;
    }
    const lease = this.#find(op.name, op.owner, op.token);
    if (lease === undefined || lease.leaseIndex !== op.leaseIndex || !lease.proposed) return;
    lease.proposed = false;
    this.#deadlines.push(lease);
  }

  /** Milliseconds left on a lease (0 when due), or null when not tracked. */
  remainingMs(name: string, owner: string, token: number, nowMs: number): number | null {
    const lease = this.#find(name, owner, token);
    return lease === undefined ? null : Math.max(0, Math.ceil(lease.deadlineMs - nowMs));
  }

  /** Tracked leases and waits (INFO, tests). */
  counts(): { leases: number; waits: number } {
    return { leases: this.#leaseCount, waits: this.#waiters.size };
  }

  /** Tracks the next `resetHoldersPerStep` holders of the reset's walk. */
  #continueReset(): void {
    const cursor = this.#resetCursor;
    if (cursor === null) return;
    for (let step = 0; step < this.#resetHoldersPerStep; step++) {
      const next = cursor.next();
      if (next.done === true) {
        this.#resetCursor = null;
        return;
      }
      const { name, owner, token, leaseIndex, ttlMs } = next.value;
      const first = this.#leasesByName.get(name) ?? null;
      if (findIn(first, owner, token) !== undefined) continue; // followed since the reset
      const lease = newLease(name, owner, token, leaseIndex, this.#resetNowMs + ttlMs);
      this.#deadlines.push(lease);
      if (first === null) this.#leasesByName.set(name, lease);
      else lastOf(first).next = lease;
      this.#leaseCount += 1;
    }
  }

  #find(name: string, owner: string, token: number): TrackedLease | undefined {
    return findIn(this.#leasesByName.get(name) ?? null, owner, token);
  }

  /**
   * Brings the leases of lock `name` in line with the table: a grant whose lease index changed
   * (new or renewed) gets a deadline from `nowMs`; grants the table no longer has are dropped.
   */
  #follow(name: string, table: LockTable, nowMs: number): void {
    const firstOld = this.#leasesByName.get(name) ?? null;
    // The usual cases without arrays: no lease yet (a first grant) or one (a release).
    const old = firstOld === null ? NO_LEASES : chainToArray(firstOld);
    let first: TrackedLease | null = null;
    let last: TrackedLease | null = null;
    let count = 0;
    const kept: TrackedLease[] = [];
    // An owner holds a lock once: by owner, with a map when the lock has many shared holders.
    const byOwner = old.length > CHAIN_SCAN_MAX ? new Map(old.map((o) => [o.owner, o])) : null;
    table.forEachHolder(name, (holder) => {
      let lease = byOwner === null
        ? old.find((o) => o.owner === holder.owner)
        : byOwner.get(holder.owner);
      if (
        lease === undefined || lease.token !== holder.token ||
        lease.leaseIndex !== holder.leaseIndex
      ) {
        const { owner, token, leaseIndex, ttlMs } = holder;
        lease = newLease(name, owner, token, leaseIndex, nowMs + ttlMs);
        this.#deadlines.push(lease);
      }
      lease.next = null;
      kept.push(lease);
      if (last === null) first = lease;
      else last.next = lease;
      last = lease;
      count += 1;
    });
    if (old.length > 0) {
      const keptSet = kept.length > CHAIN_SCAN_MAX ? new Set(kept) : null;
      for (const gone of old) {
        if (gone.heapSlot === -1) continue;
        if (keptSet === null ? !kept.includes(gone) : !keptSet.has(gone)) {
          this.#deadlines.remove(gone);
        }
      }
    }
    this.#leaseCount += count - old.length;
    if (first === null) this.#leasesByName.delete(name);
    else this.#leasesByName.set(name, first);
  }
}

function newLease(
  name: string,
  owner: string,
  token: number,
  leaseIndex: number,
  deadlineMs: number,
): TrackedLease {
  return { name, owner, token, leaseIndex, deadlineMs, proposed: false, next: null, heapSlot: -1 };
}

function findIn(first: TrackedLease | null, owner: string, token: number) {
  for (let lease = first; lease !== null; lease = lease.next) {
    if (lease.owner === owner && lease.token === token) return lease;
  }
  return undefined;
}

function lastOf(first: TrackedLease): TrackedLease {
  let lease = first;
  while (lease.next !== null) lease = lease.next;
  return lease;
}

function chainToArray(first: TrackedLease | null): TrackedLease[] {
  const leases: TrackedLease[] = [];
  for (let lease = first; lease !== null; lease = lease.next) leases.push(lease);
  return leases;
}
