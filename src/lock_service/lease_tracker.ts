import type { LockApplyResult, LockOp, LockTable } from "../locks/mod.ts";

/** A lease or wait the leader must end by proposing an operation. */
type DueOp = Extract<LockOp, { op: "expire" } | { op: "cancelWait" }>;

function holderKey(name: string, owner: string, token: number): string {
  return `${token}\u0000${name}\u0000${owner}`;
}

/**
 * Deadlines of leases and parked waits by this node's clock (pure: time is passed in). Every
 * node keeps it in step with the applied log; a new leader resets it so that every lease counts
 * from its own start (it may last longer, never shorter), then proposes expiries as they fall due.
 */
export class LeaseTracker {
  readonly #holders = new Map<
    string,
    { name: string; owner: string; token: number; deadlineMs: number }
  >();
  /** Lease keys by lock name, so following one operation never scans every lease. */
  readonly #keysByName = new Map<string, Set<string>>();
  readonly #waiters = new Map<number, { name: string; owner: string; deadlineMs: number }>();
  /** Keys of expiries/cancels proposed and not yet settled. */
  readonly #proposed = new Set<string>();

  /** Every current lease from `nowMs`; every parked wait gets at most `waitMaxMs` more. */
  reset(table: LockTable, nowMs: number, waitMaxMs: number): void {
    this.#holders.clear();
    this.#keysByName.clear();
    this.#waiters.clear();
    this.#proposed.clear();
    for (const held of table.holders()) {
      this.#hold(held.name, held.owner, held.token, nowMs + held.ttlMs);
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
      if (outcome.kind === "granted") {
        this.#hold(op.name, op.owner, outcome.token, nowMs + op.ttlMs);
      }
      if (outcome.kind === "queued") {
        if (outcome.replacedWaiterId !== null) this.#waiters.delete(outcome.replacedWaiterId);
        this.#waiters.set(op.waiterId, {
          name: op.name,
          owner: op.owner,
          deadlineMs: nowMs + waitMs,
        });
      }
    }
    if (op.op === "refresh" && result.outcome === true) {
      for (const holder of table.info(op.name).holders) {
        if (holder.owner === op.owner && (op.token === null || op.token === holder.token)) {
          this.#hold(op.name, op.owner, holder.token, nowMs + op.ttlMs);
        }
      }
    }
    if (op.op === "cancelWait") this.#waiters.delete(op.waiterId);
    for (const grant of result.grants) {
      this.#waiters.delete(grant.waiterId);
      this.#hold(grant.name, grant.owner, grant.token, nowMs + grant.ttlMs);
    }
    this.#dropGone(op.name, table);
  }

  /** Operations whose deadline passed and that were not proposed yet (marked as proposed). */
  due(nowMs: number): DueOp[] {
    const ops: DueOp[] = [];
    for (const [key, holder] of this.#holders) {
      if (holder.deadlineMs > nowMs || this.#proposed.has(key)) continue;
      this.#proposed.add(key);
      ops.push({ op: "expire", name: holder.name, owner: holder.owner, token: holder.token });
    }
    for (const [waiterId, waiter] of this.#waiters) {
      const key = `w${waiterId}`;
      if (waiter.deadlineMs > nowMs || this.#proposed.has(key)) continue;
      this.#proposed.add(key);
      ops.push({ op: "cancelWait", name: waiter.name, owner: waiter.owner, waiterId });
    }
    return ops;
  }

  /** A proposed expiry/cancel finished (applied or failed): it may be proposed again if due. */
  settled(op: DueOp): void {
    this.#proposed.delete(
      op.op === "expire" ? holderKey(op.name, op.owner, op.token) : `w${op.waiterId}`,
    );
  }

  /** Milliseconds left on a lease (0 when due), or null when not tracked. */
  remainingMs(name: string, owner: string, token: number, nowMs: number): number | null {
    const holder = this.#holders.get(holderKey(name, owner, token));
    return holder === undefined ? null : Math.max(0, Math.ceil(holder.deadlineMs - nowMs));
  }

  /** Tracked leases and waits (INFO, tests). */
  counts(): { leases: number; waits: number } {
    return { leases: this.#holders.size, waits: this.#waiters.size };
  }

  #hold(name: string, owner: string, token: number, deadlineMs: number): void {
    const key = holderKey(name, owner, token);
    this.#holders.set(key, { name, owner, token, deadlineMs });
    let keys = this.#keysByName.get(name);
    if (keys === undefined) {
      keys = new Set();
      this.#keysByName.set(name, keys);
    }
    keys.add(key);
  }

  /** Forgets leases of `name` that the table no longer has (released, expired, upgraded). */
  #dropGone(name: string, table: LockTable): void {
    const keys = this.#keysByName.get(name);
    if (keys === undefined) return;
    const live = new Set(table.info(name).holders.map((h) => holderKey(name, h.owner, h.token)));
    for (const key of keys) {
      if (live.has(key)) continue;
      keys.delete(key);
      this.#holders.delete(key);
      this.#proposed.delete(key);
    }
    if (keys.size === 0) this.#keysByName.delete(name);
  }
}
