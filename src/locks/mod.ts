/**
 * The distributed lock manager's lock table: a pure, deterministic state machine (no `Deno.*`,
 * timers, clocks or randomness) that every node applies from the meta Raft group's committed
 * entries, so every node holds an identical table and computes identical results.
 *
 * ## Driving it
 *
 * The host proposes `encodeLockOp(op)`; every node applies the committed entry with
 * `table.apply(index, decodeLockOp(data))` (`index` must not decrease; several ops may share an
 * entry). `apply` never throws for any op and returns `{ outcome, grants }`: `outcome` is an
 * `AcquireOutcome` for `acquire` and a boolean for the others (released / extended / expired /
 * cancelled); `grants` lists the parked waiters promoted by this op, in grant order. An
 * immediate grant is only in `outcome`, never in `grants`. All limits must be identical on every
 * node: they decide outcomes.
 *
 * Time never enters the table. Each grant stores its `ttlMs`; the leader's host computes
 * deadlines (from the grant, re-acquire, refresh, or, after a leader change, from its own start
 * for every lock in `holders()`) and proposes `expire` with the grant's token and lease index
 * when one passes. Every grant records its `leaseIndex`, the log index of the op that last
 * started or renewed its lease (grant, promotion, re-acquire, upgrade, downgrade, refresh); an
 * expiry naming an older lease index is a no-op, so a renewal that commits ahead of an in-flight
 * expiry always wins.
 * Waits have no deadline in the table either: the host proposes `cancelWait` when a wait times
 * out or its client leaves. After a leader change the new leader must also cancel the parked
 * waits whose requests it does not know (`waiters()`), or they hold later requests back.
 *
 * ## Modes, fairness, tokens
 *
 * - `shared` holders coexist; an `exclusive` holder is alone. A lock with no holder is removed
 *   (it then has no waiters either), so memory follows live grants; `lastToken` stays.
 * - Strict FIFO: waiters are granted only from the head of the queue, and after every op the
 *   head is not grantable. A new request is granted at once only if nobody waits and it is
 *   compatible with the holders; so a new `shared` request never passes a waiting `exclusive`
 *   one. Promotion grants the head repeatedly: one exclusive waiter, or a run of shared ones.
 * - Fencing tokens come from one table-wide counter (`lastToken`, in the snapshot): every new
 *   grant, promotion and upgrade takes the next value, so tokens strictly increase per lock and
 *   globally and are never handed out twice, across leader changes and restarts.
 *
 * ## Acquire (owner `o`, lock `n`)
 *
 * - `o` holds `n` in the requested mode: re-acquire, `granted` with the SAME token, lease set to
 *   the new `ttlMs` (a retried acquire whose reply was lost is safe).
 * - Upgrade, `o` holds `n` shared and asks `exclusive`: as the sole holder it is granted in place
 *   with a NEW token (the exclusive grant is a new grant that fencing must order after the
 *   shared one; the old token no longer releases or refreshes anything), even when others wait
 *   (they wait for `o` either way). With other holders: `busy` if `wait` is false, else the wait
 *   is parked at the FRONT of the queue (behind earlier upgrade waits), so it is never overtaken;
 *   `o` keeps its shared grant meanwhile. A second holder asking to upgrade while one upgrade
 *   waits always closes a cycle and gets `deadlock` (the upgrade deadlock). If `o`'s shared grant
 *   ends while it waits (release, expire), the wait stays where it is as a plain exclusive wait
 *   (there is another holder then, or the upgrade would have been granted).
 * - Downgrade, `o` holds `n` exclusive and asks `shared`: granted in place with the SAME token
 *   and the new `ttlMs`; shared waiters at the head are promoted by the same op (`grants`).
 * - One wait per owner and lock (an owner may wait for several different locks). If `o` already
 *   waits for `n`: same mode and `wait` true, the new request takes over the parked one's place,
 *   `waiterId` and `ttlMs` and answers `queued` with `replacedWaiterId` (the host answers the
 *   replaced request as not granted); same mode and `wait` false: `busy`, nothing changes; a
 *   different mode: `limit`.
 * - Otherwise: `granted` with a new token when grantable now; `busy` if not and `wait` is false;
 *   else parked at the back (`queued`), unless a limit or a deadlock forbids it.
 * - Every refusal (`busy`, `deadlock`, `limit`, `invalid`) changes nothing for anyone.
 *
 * ## Release, refresh, expire, cancel
 *
 * - `release`: true when `o` held `n` (and, with `token`, that grant is the current one: a stale,
 *   retried release never frees a newer grant). Promotes waiters.
 * - `refresh`: true when held (and the token matches when given); sets `ttlMs`.
 * - `expire`: like a release with a required token and lease index; a stale expiry (older grant,
 *   or a lease renewed after the leader decided) is a no-op.
 * - `cancelWait`: true when `o` waits for `n` with that `waiterId` (a replaced id no longer
 *   matches); removes it and promotes the waiters it held back. A cancelled or replaced wait is
 *   never granted.
 *
 * ## Deadlock detection
 *
 * Wait-for graph over owners, derived from the table: a waiter W waits for every holder other
 * than itself whose mode is incompatible with W's request, and for every incompatible waiter
 * ahead of it. A wait that would have to be parked is tentatively parked and the graph is
 * searched breadth-first from the requester; a path back to it refuses the request with
 * `{ kind: "deadlock", cycle }`, e.g. `["b", "a", "b"]`: b waits for a, a waits for b (first and
 * last element: the requester). The search walks a subset of the edges with the same
 * reachability (see deadlock.ts), so it costs linear time in what it touches and every cycle it
 * reports is real; the cycle is a shortest one in that subset. An owner's waits are searched in
 * name order, so the result does not depend on history beyond the table. The search is bounded:
 * over `deadlockSearchStepsMax` steps (owners visited plus edges and queue slots examined,
 * default 10,000) the request is refused with `limit`. The graph therefore never has a cycle.
 *
 * ## Limits (explicit outcomes; defaults in LOCK_TABLE_LIMITS_DEFAULT)
 *
 * Name and owner at most 256 UTF-8 bytes (`limit`); lone surrogates, a ttl outside
 * 1..TTL_MS_MAX (2^31 - 1 ms), bad tokens or waiter ids are `invalid`. Configurable:
 * `locksMax` 1,000,000; `entriesPerLockMax` 2,000 holders plus waiters of one lock (so a
 * promotion never exceeds it); `waitersPerLockMax` 1,000; `entriesTotalMax` 2,000,000 holders
 * plus waiters of all locks; `waitersTotalMax` 100,000; `deadlockSearchStepsMax` 10,000. They
 * apply to new grants and waits; re-acquire, upgrade in place and downgrade add nothing.
 *
 * ## Encodings
 *
 * `encodeLockOp`/`decodeLockOp` and `snapshot()`/`LockTable.restore()` are versioned big-endian
 * binary; decoding validates everything and throws a plain Error "Cannot decode lock op: ..." /
 * "Cannot decode lock table snapshot: ...". Restore checks the structure (see snapshot_codec.ts)
 * but not the configured count limits nor acyclicity; snapshot → restore → snapshot is
 * byte-identical and the restored table behaves identically.
 *
 * @module
 */
export { LockTable } from "./lock_table.ts";
export {
  decodeLockOp,
  encodeLockOp,
  LOCK_OP_VERSION,
  lockOpBytesBound,
  readLockOpIn,
  writeLockOp,
} from "./op_codec.ts";
export { LOCK_SNAPSHOT_VERSION } from "./snapshot_codec.ts";
export {
  LOCK_TABLE_LIMITS_DEFAULT,
  type LockTableLimits,
  NAME_BYTES_MAX,
  OWNER_BYTES_MAX,
  resolveLockTableLimits,
  TTL_MS_MAX,
} from "./limits.ts";
export { type LockOpProblem, lockOpProblem } from "./validate.ts";
export type * from "./types.ts";
