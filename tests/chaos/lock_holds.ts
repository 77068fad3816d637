/**
 * Derives from a history the intervals in which each grant was *certainly* held: from the reply of
 * its acquire (the grant existed by then) to the owner's first release attempt that may have taken
 * effect, a later acquire that replaced it, or its lease, whichever comes first. Replies are
 * validated by `parseLockInput`/`parseLockOutput`; operations of one owner on one lock are read
 * in invocation order.
 */
import type { HistoryOperation } from "./history.ts";
import { LEASE_MARGIN_MS_DEFAULT, parseLockInput, parseLockOutput } from "./lock_call.ts";
import type { LockInput, LockMode, LockOutput } from "./lock_model.ts";

/** How a hold ended, as far as the history shows. */
export type HoldEnd =
  /** No release attempt: the owner still believed it held the lock at the end. */
  | "open"
  /** A release (or a later 0 reply) proved the grant gone. */
  | "released"
  /** A release or upgrade with an unknown outcome: maybe gone, maybe not. */
  | "maybe-ended"
  /** The owner got another token for the lock, so this grant ended. */
  | "superseded"
  /** A release or refresh answered 0 (not held) without any earlier release attempt. */
  | "lost";

/** One grant (or one mode of it) and the interval it was certainly held. */
export interface LockHold {
  /** Lock name. */
  readonly lock: string;
  /** Owner name. */
  readonly owner: string;
  /** Fencing token. */
  readonly token: number;
  /** Mode of this hold; an in-place upgrade gives a second hold of the same grant. */
  readonly mode: LockMode;
  /** Holds of one grant share this id (0-based, unique per grant). */
  readonly grantId: number;
  /** `opIndex` of the acquire whose reply started this hold. */
  readonly acquireOpIndex: number;
  /**
   * ms after which the grant happened: the invocation of its acquire, or of an earlier acquire of
   * the same owner and lock whose reply was lost (it may have made this grant, applied late).
   */
  readonly acquireInvokeMs: number;
  /** ms the acquire's reply arrived: certainly held from then. */
  readonly heldFromMs: number;
  /** ms until which it was certainly held; Infinity when nothing ended it. */
  readonly heldUntilMs: number;
  /**
   * Earliest ms the lease may end, less the margin: the smallest `invokeMs + ttlMs` over the
   * renewals that may have been applied last (see `leaseBound`), minus `leaseMarginMs`.
   */
  readonly leaseUntilMs: number;
  /** The renewal (acquire, re-acquire or refresh) that gave `leaseUntilMs`. */
  readonly leaseFrom: Renewal;
  /** How the hold ended. */
  readonly end: HoldEnd;
  /** ms by which a reply proved the grant gone (`released`, `lost`), else null. */
  readonly goneByMs: number | null;
}

/** A renewal of a lease: the grant itself, a same-token re-acquire, or a refresh. */
export interface Renewal {
  /** `opIndex` of the operation. */
  readonly opIndex: number;
  /** Its invocation, ms: the earliest the server can have stamped it. */
  readonly invokeMs: number;
  /** Its completion, ms; null when its outcome is unknown (it may apply later, or never). */
  readonly completeMs: number | null;
  /** The TTL it sets. */
  readonly ttlMs: number;
}

/** Options of `deriveHolds`. */
export interface DeriveHoldsOptions {
  /** Subtracted from every lease bound (default `LEASE_MARGIN_MS_DEFAULT`). */
  readonly leaseMarginMs?: number;
}

type MutableHold = { -readonly [K in keyof LockHold]: LockHold[K] } & { renewals: Renewal[] };

/**
 * The renewal that bounds a lease from below. The lease ends at the last applied renewal's server
 * stamp plus its TTL, and a stamp is never before its invocation. Any renewal may have been applied
 * last except an acknowledged one followed, after its reply, by another acknowledged renewal; the
 * bound is the smallest `invokeMs + ttlMs` among the others (a later refresh may shorten a lease).
 */
export function leaseBound(renewals: readonly Renewal[]): Renewal {
  const acked = renewals.filter((r) => r.completeMs !== null);
  const candidates = renewals.filter((r) =>
    r.completeMs === null || !acked.some((later) => later.invokeMs > (r.completeMs as number))
  );
  let best: Renewal | undefined;
  for (const r of candidates) {
    if (best === undefined || r.invokeMs + r.ttlMs < best.invokeMs + best.ttlMs) best = r;
  }
  if (best === undefined) throw new RangeError("Cannot bound a lease without renewals");
  return best;
}

function renewalOf(op: HistoryOperation, ttlMs: number, known: boolean): Renewal {
  return {
    opIndex: op.opIndex,
    invokeMs: op.invokeMs,
    completeMs: known ? op.completeMs : null,
    ttlMs,
  };
}

interface OwnerOps {
  readonly holds: MutableHold[];
  /** Invocation ms of the owner's first acquire of the lock with a lost reply, or Infinity. */
  unknownAcquireMs: number;
  /** Holds that a later release or refresh can still reach, by token. */
  readonly live: Map<number, MutableHold>;
  /** Holds whose mode may have changed (an unknown upgrade or downgrade): never extended. */
  readonly frozen: Set<MutableHold>;
}

/** Parsed lock operation with the times the checkers need. */
interface TimedLockOp {
  readonly op: HistoryOperation;
  readonly input: LockInput;
  readonly output: LockOutput | undefined;
}

/** The holds of every grant in `ops` (ok acquires with a token). */
export function deriveHolds(
  ops: readonly HistoryOperation[],
  options: DeriveHoldsOptions = {},
): LockHold[] {
  const marginMs = options.leaseMarginMs ?? LEASE_MARGIN_MS_DEFAULT;
  const byOwner = new Map<string, TimedLockOp[]>();
  for (const op of ops) {
    if (!op.op.toUpperCase().startsWith("LOCK.") || op.outcome === "fail") continue;
    const input = parseLockInput(op.op, op.args);
    if (input.kind === "info") continue;
    const output = op.outcome === "ok" ? parseLockOutput(input, op.result, op.opIndex) : undefined;
    const key = JSON.stringify([input.lock, input.owner]);
    const list = byOwner.get(key) ?? [];
    list.push({ op, input, output });
    byOwner.set(key, list);
  }
  const holds: MutableHold[] = [];
  let grantCount = 0;
  const nextGrantId = () => grantCount++;
  for (const list of byOwner.values()) {
    const state: OwnerOps = {
      holds: [],
      live: new Map(),
      frozen: new Set(),
      unknownAcquireMs: Infinity,
    };
    for (const item of list) applyOwnerOp(state, item, nextGrantId);
    holds.push(...state.holds);
  }
  return holds
    .map(({ renewals, ...hold }) => {
      const leaseFrom = leaseBound(renewals);
      const leaseUntilMs = leaseFrom.invokeMs + leaseFrom.ttlMs - marginMs;
      return {
        ...hold,
        leaseFrom,
        leaseUntilMs,
        heldUntilMs: Math.min(hold.heldUntilMs, leaseUntilMs),
      };
    })
    .sort((a, b) => a.acquireOpIndex - b.acquireOpIndex || a.heldFromMs - b.heldFromMs);
}

function applyOwnerOp(state: OwnerOps, item: TimedLockOp, nextGrantId: () => number): void {
  const { op, input, output } = item;
  if (input.kind === "acquire") {
    if (typeof output === "number") acquired(state, item, output, nextGrantId);
    else if (output === undefined) {
      state.unknownAcquireMs = Math.min(state.unknownAcquireMs, op.invokeMs);
      for (const hold of state.live.values()) {
        if (hold.mode === input.mode) hold.renewals.push(renewalOf(op, input.ttlMs, false));
      }
      // An unknown upgrade or downgrade may have changed the grant: certain until its invocation.
      for (const hold of state.live.values()) {
        if (hold.mode !== input.mode) {
          endHold(hold, "maybe-ended", op.invokeMs, null);
          state.frozen.add(hold);
        }
      }
    }
    return;
  }
  if (input.kind !== "release" && input.kind !== "refresh") return;
  const targets = input.token === null
    ? [...state.live.values()]
    : [state.live.get(input.token)].filter((hold) => hold !== undefined);
  for (const hold of targets) {
    if (output === undefined && input.kind === "refresh") {
      hold.renewals.push(renewalOf(op, input.ttlMs, false)); // may have been applied
    } else if (output === true && input.kind === "refresh") {
      // Without a token, a 1 may be about another grant (one whose reply was lost).
      if (input.token === null && hold.end !== "open") {
        hold.renewals.push(renewalOf(op, input.ttlMs, false));
        continue;
      }
      hold.renewals.push(renewalOf(op, input.ttlMs, true));
      if (hold.end === "maybe-ended" && !state.frozen.has(hold)) {
        hold.heldUntilMs = Math.max(hold.heldUntilMs, op.invokeMs); // still held when applied
      }
    } else if (output === true) {
      endHold(hold, "released", op.invokeMs, op.completeMs);
      state.live.delete(hold.token);
    } else if (output === false) {
      endHold(hold, hold.end === "maybe-ended" ? "released" : "lost", op.invokeMs, op.completeMs);
      state.live.delete(hold.token);
    } else if (input.kind === "release") {
      endHold(hold, "maybe-ended", op.invokeMs, null);
    }
  }
}

function acquired(
  state: OwnerOps,
  item: TimedLockOp,
  token: number,
  nextGrantId: () => number,
): void {
  const { op, input } = item;
  if (input.kind !== "acquire" || op.completeMs === null) return;
  const same = state.live.get(token);
  if (same !== undefined && same.mode === input.mode) {
    // A repeated acquire of a held grant: it was still held when this one was applied.
    same.renewals.push(renewalOf(op, input.ttlMs, true));
    if (same.end === "maybe-ended" && !state.frozen.has(same)) {
      same.heldUntilMs = Math.max(same.heldUntilMs, op.invokeMs);
    }
    return;
  }
  // A new token, or the same one in another mode (an upgrade or downgrade in place): the old
  // hold is certain only until this acquire was invoked.
  for (const hold of state.live.values()) endHold(hold, "superseded", op.invokeMs, null);
  state.live.clear();
  const hold: MutableHold = {
    lock: input.lock,
    owner: input.owner,
    token,
    mode: input.mode,
    grantId: same === undefined ? nextGrantId() : same.grantId,
    acquireOpIndex: op.opIndex,
    acquireInvokeMs: same === undefined
      ? Math.min(op.invokeMs, state.unknownAcquireMs)
      : same.acquireInvokeMs,
    heldFromMs: op.completeMs,
    heldUntilMs: Number.POSITIVE_INFINITY,
    leaseUntilMs: Number.POSITIVE_INFINITY, // set from `renewals` at the end
    leaseFrom: renewalOf(op, input.ttlMs, true),
    renewals: [renewalOf(op, input.ttlMs, true)],
    end: "open",
    goneByMs: null,
  };
  state.holds.push(hold);
  state.live.set(token, hold);
}

function endHold(hold: MutableHold, end: HoldEnd, untilMs: number, goneByMs: number | null): void {
  hold.heldUntilMs = Math.min(hold.heldUntilMs, untilMs);
  if (hold.end === "open" || hold.end === "maybe-ended") hold.end = end;
  if (goneByMs !== null) hold.goneByMs = goneByMs;
}
