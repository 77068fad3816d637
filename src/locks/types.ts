/** How a lock is held: many `shared` holders at once, or one `exclusive` holder. */
export type LockMode = "shared" | "exclusive";

/** Asks for `name` on behalf of `owner`; `waiterId` (host-chosen) names a parked wait. */
export interface AcquireOp {
  op: "acquire";
  name: string;
  owner: string;
  mode: LockMode;
  /** Lease length in ms, 1..TTL_MS_MAX; the host turns it into a deadline. */
  ttlMs: number;
  /** true: park in the FIFO queue when not grantable now; false: answer `busy`. */
  wait: boolean;
  /** Non-negative safe integer chosen by the host; echoed in the grant of a parked wait. */
  waiterId: number;
}

/** Releases the owner's grant (only the grant with `token` when given). */
export interface ReleaseOp {
  op: "release";
  name: string;
  owner: string;
  token: number | null;
}

/** Extends the owner's lease (only the grant with `token` when given) to `ttlMs`. */
export interface RefreshOp {
  op: "refresh";
  name: string;
  owner: string;
  ttlMs: number;
  token: number | null;
}

/**
 * The leader decided that the lease of grant `token`, as last renewed by the op applied at log
 * index `leaseIndex`, ran out. It takes effect only if the grant was not renewed since.
 */
export interface ExpireOp {
  op: "expire";
  name: string;
  owner: string;
  token: number;
  /** The `leaseIndex` of the grant the leader saw when it decided; a later renewal voids it. */
  leaseIndex: number;
}

/** Removes the parked wait `waiterId` (it timed out or its client left). */
export interface CancelWaitOp {
  op: "cancelWait";
  name: string;
  owner: string;
  waiterId: number;
}

/** One operation of the lock table, carried in a committed Raft entry. */
export type LockOp = AcquireOp | ReleaseOp | RefreshOp | ExpireOp | CancelWaitOp;

/** The answer to an acquire. Every refusal (busy, deadlock, limit, invalid) changes nothing. */
export type AcquireOutcome =
  /** Granted now: a new grant, an upgrade (new token), a downgrade or a re-acquire (same token). */
  | { kind: "granted"; token: number }
  /** Parked in the FIFO queue; `replacedWaiterId` is the earlier wait of this owner it replaced. */
  | { kind: "queued"; replacedWaiterId: number | null }
  /** Not grantable now and `wait` was false. */
  | { kind: "busy" }
  /** Waiting would close this cycle of owners: starts and ends with the requester. */
  | { kind: "deadlock"; cycle: string[] }
  /** A named limit was hit (sizes, counts, the deadlock search budget). */
  | { kind: "limit"; message: string }
  /** The operation itself is malformed (e.g. a ttl of 0); the host validates before proposing. */
  | { kind: "invalid"; message: string };

/** A grant made to a parked waiter while applying some op (a release, expire, cancel, downgrade). */
export interface Grant {
  name: string;
  owner: string;
  /** The granted mode; `exclusive` for a promoted upgrade. */
  mode: LockMode;
  /** The new fencing token. */
  token: number;
  /** The `waiterId` of the acquire that parked. */
  waiterId: number;
  /** Lease length in ms from the parked acquire. */
  ttlMs: number;
}

/** What applying one op produced. */
export interface LockApplyResult {
  /** An AcquireOutcome for `acquire`; released / extended / expired / cancelled otherwise. */
  outcome: AcquireOutcome | boolean;
  /** Waiters promoted by this op, in the order they were granted (FIFO). */
  grants: Grant[];
}

/** One holder of a lock. */
export interface HolderInfo {
  owner: string;
  /** Fencing token of the current grant. */
  token: number;
  /** Lease length in ms (grant, re-acquire or last refresh). */
  ttlMs: number;
  /**
   * Log index of the op that started or last renewed the lease (grant, promotion, re-acquire,
   * upgrade, downgrade, refresh); an expiry naming an older one is ignored.
   */
  leaseIndex: number;
}

/** One parked waiter of a lock. */
export interface WaiterInfo {
  owner: string;
  mode: LockMode;
  waiterId: number;
  /** Lease length in ms the grant will carry. */
  ttlMs: number;
}

/** The state of one lock; `mode` is `none` exactly when there are no holders. */
export interface LockInfo {
  mode: "none" | LockMode;
  /** In grant order. */
  holders: HolderInfo[];
  /** In queue order: the first is served first. */
  waiters: WaiterInfo[];
}

/** A live grant, as the leader tracks its lease. */
export interface HeldLock extends HolderInfo {
  name: string;
  mode: LockMode;
}

/** A parked waiter, as the leader tracks its wait timeout. */
export interface ParkedWaiter extends WaiterInfo {
  name: string;
}

/** Counters of the table. */
export interface LockTableStats {
  /** Locks with at least one holder (empty locks are removed). */
  locks: number;
  /** Grants over all locks. */
  holders: number;
  /** Parked waiters over all locks. */
  waiters: number;
  /** The last fencing token handed out (0 before the first grant). */
  lastToken: number;
  /** Log index of the last applied op. */
  appliedIndex: number;
}
