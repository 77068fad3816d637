import type { LockApplyResult, LockOp, LockTable } from "../locks/mod.ts";

/** A lease or wait the leader must end by proposing an operation. */
type DueOp = Extract<LockOp, { op: "expire" } | { op: "cancelWait" }>;

/**
 * One tracked lease: a grant as last renewed in the log, and its deadline on this clock. The
 * leases of one lock form a chain in grant order (`next`): most locks have one holder, so a lock
 * costs one map entry and one object, with no per-lease key string.
 */
interface TrackedLease {
  readonly owner: string;
  readonly token: number;
  /** The table's lease index of the grant this deadline was computed for. */
  readonly leaseIndex: number;
  readonly deadlineMs: number;
  /** An expire for this lease index is proposed and not settled yet. */
  proposed: boolean;
  /** The next lease of the same lock, or null. */
  next: TrackedLease | null;
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
  readonly #waiters = new Map<number, { name: string; owner: string; deadlineMs: number }>();
  /** Waiter ids whose cancel is proposed and not yet settled. */
  readonly #cancelsProposed = new Set<number>();

  /** Every current lease from `nowMs`; every parked wait gets at most `waitMaxMs` more. */
  reset(table: LockTable, nowMs: number, waitMaxMs: number): void {
    this.#leasesByName.clear();
    this.#leaseCount = 0;
    this.#waiters.clear();
    this.#cancelsProposed.clear();
    let last: TrackedLease | null = null;
    let lastName = "";
    for (const held of table.holders()) {
      const lease = newLease(held.owner, held.token, held.leaseIndex, nowMs + held.ttlMs);
      // holders() lists the grants lock by lock, so a lock's leases are consecutive.
      if (last !== null && lastName === held.name) last.next = lease;
      else this.#leasesByName.set(held.name, lease);
      last = lease;
      lastName = held.name;
      this.#leaseCount += 1;
    }
    for (const waiting of table.waiters()) {
      this.#waiters.set(waiting.waiterId, {
        name: waiting.name,
        owner: waiting.owner,
        deadlineMs: nowMs + waitMaxMs,
      });
    }
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
    const ops: DueOp[] = [];
    for (const [name, first] of this.#leasesByName) {
      for (let lease: TrackedLease | null = first; lease !== null; lease = lease.next) {
        if (lease.deadlineMs > nowMs || lease.proposed) continue;
        lease.proposed = true;
        const { owner, token, leaseIndex } = lease;
        ops.push({ op: "expire", name, owner, token, leaseIndex });
      }
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
    if (lease !== undefined && lease.leaseIndex === op.leaseIndex) lease.proposed = false;
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

  #find(name: string, owner: string, token: number): TrackedLease | undefined {
    for (let lease = this.#leasesByName.get(name) ?? null; lease !== null; lease = lease.next) {
      if (lease.owner === owner && lease.token === token) return lease;
    }
    return undefined;
  }

  /**
   * Brings the leases of lock `name` in line with the table: a grant whose lease index changed
   * (new or renewed) gets a deadline from `nowMs`; grants the table no longer has are dropped.
   */
  #follow(name: string, table: LockTable, nowMs: number): void {
    const old = chainToArray(this.#leasesByName.get(name) ?? null);
    let first: TrackedLease | null = null;
    let last: TrackedLease | null = null;
    let count = 0;
    for (const holder of table.info(name).holders) {
      let lease = old.find((o) => o.owner === holder.owner && o.token === holder.token);
      if (lease === undefined || lease.leaseIndex !== holder.leaseIndex) {
        lease = newLease(holder.owner, holder.token, holder.leaseIndex, nowMs + holder.ttlMs);
      }
      lease.next = null;
      if (last === null) first = lease;
      else last.next = lease;
      last = lease;
      count += 1;
    }
    this.#leaseCount += count - old.length;
    if (first === null) this.#leasesByName.delete(name);
    else this.#leasesByName.set(name, first);
  }
}

function newLease(
  owner: string,
  token: number,
  leaseIndex: number,
  deadlineMs: number,
): TrackedLease {
  return { owner, token, leaseIndex, deadlineMs, proposed: false, next: null };
}

function chainToArray(first: TrackedLease | null): TrackedLease[] {
  const leases: TrackedLease[] = [];
  for (let lease = first; lease !== null; lease = lease.next) leases.push(lease);
  return leases;
}
