import type { LockApplyResult, LockOp, LockTable } from "../locks/mod.ts";

/** A lease or wait the leader must end by proposing an operation. */
type DueOp = Extract<LockOp, { op: "expire" } | { op: "cancelWait" }>;

/** One tracked lease: a grant as last renewed in the log, and its deadline on this clock. */
interface TrackedLease {
  name: string;
  owner: string;
  token: number;
  /** The table's lease index of the grant this deadline was computed for. */
  leaseIndex: number;
  deadlineMs: number;
  /** An expire for this lease index is proposed and not settled yet. */
  proposed: boolean;
}

function holderKey(name: string, owner: string, token: number): string {
  return `${token}\u0000${name}\u0000${owner}`;
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
  readonly #leases = new Map<string, TrackedLease>();
  /** Lease keys by lock name, so following one operation never scans every lease. */
  readonly #keysByName = new Map<string, Set<string>>();
  readonly #waiters = new Map<number, { name: string; owner: string; deadlineMs: number }>();
  /** Waiter ids whose cancel is proposed and not yet settled. */
  readonly #cancelsProposed = new Set<number>();

  /** Every current lease from `nowMs`; every parked wait gets at most `waitMaxMs` more. */
  reset(table: LockTable, nowMs: number, waitMaxMs: number): void {
    this.#leases.clear();
    this.#keysByName.clear();
    this.#waiters.clear();
    this.#cancelsProposed.clear();
    for (const held of table.holders()) {
      this.#track(held.name, held.owner, held.token, held.leaseIndex, nowMs + held.ttlMs);
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
    for (const lease of this.#leases.values()) {
      if (lease.deadlineMs > nowMs || lease.proposed) continue;
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
    const lease = this.#leases.get(holderKey(op.name, op.owner, op.token));
    if (lease !== undefined && lease.leaseIndex === op.leaseIndex) lease.proposed = false;
  }

  /** Milliseconds left on a lease (0 when due), or null when not tracked. */
  remainingMs(name: string, owner: string, token: number, nowMs: number): number | null {
    const lease = this.#leases.get(holderKey(name, owner, token));
    return lease === undefined ? null : Math.max(0, Math.ceil(lease.deadlineMs - nowMs));
  }

  /** Tracked leases and waits (INFO, tests). */
  counts(): { leases: number; waits: number } {
    return { leases: this.#leases.size, waits: this.#waiters.size };
  }

  #track(name: string, owner: string, token: number, leaseIndex: number, deadlineMs: number) {
    const key = holderKey(name, owner, token);
    this.#leases.set(key, { name, owner, token, leaseIndex, deadlineMs, proposed: false });
    let keys = this.#keysByName.get(name);
    if (keys === undefined) {
      keys = new Set();
      this.#keysByName.set(name, keys);
    }
    keys.add(key);
  }

  /**
   * Brings the leases of lock `name` in line with the table: a grant whose lease index changed
   * (new or renewed) gets a deadline from `nowMs`; grants the table no longer has are dropped.
   */
  #follow(name: string, table: LockTable, nowMs: number): void {
    const live = new Set<string>();
    for (const holder of table.info(name).holders) {
      const key = holderKey(name, holder.owner, holder.token);
      live.add(key);
      if (this.#leases.get(key)?.leaseIndex === holder.leaseIndex) continue;
      this.#track(name, holder.owner, holder.token, holder.leaseIndex, nowMs + holder.ttlMs);
    }
    const keys = this.#keysByName.get(name);
    if (keys === undefined) return;
    for (const key of keys) {
      if (live.has(key)) continue;
      keys.delete(key);
      this.#leases.delete(key);
    }
    if (keys.size === 0) this.#keysByName.delete(name);
  }
}
