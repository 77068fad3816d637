import type { LockApplyResult, LockOp, LockTable } from "../locks/mod.ts";
import { type DueOp, LeaseTracker } from "./lease_tracker.ts";

/** What the expiry timer needs of its node; the simulator passes its virtual clock. */
export interface LeaseExpiryContext {
  /** True while this node leads the group holding the lock table. */
  isLeader(): boolean;
  /** The applied lock table. */
  table(): LockTable;
  /** Proposes an expiry or wait cancel; settles once applied or failed. */
  propose(op: DueOp): Promise<unknown>;
  /** This node's clock in ms. */
  nowMs(): number;
  /** Longest client wait: a new leader gives every parked wait this long. */
  waitMaxMs: number;
  /** Called when a proposal failed (it is proposed again once due). */
  onProposeError(error: unknown): void;
}

/**
 * The leader's expiry timer: a `LeaseTracker` kept in step with the applied log on every node;
 * on becoming leader it resets the deadlines (every lease counts from now), then each `check()`
 * proposes what fell due. The node calls `check()` every `expiryCheckMs`.
 */
export class LeaseExpiry {
  /** Deadlines of leases and waits by this node's clock. */
  readonly tracker = new LeaseTracker();
  readonly #ctx: LeaseExpiryContext;
  #wasLeader = false;

  /** Starts as a non-leader with nothing tracked. */
  constructor(ctx: LeaseExpiryContext) {
    this.#ctx = ctx;
  }

  /** Every node: follows one applied lock operation. */
  applied(op: LockOp, waitMs: number, result: LockApplyResult): void {
    this.tracker.applied(op, waitMs, result, this.#ctx.table(), this.#ctx.nowMs());
  }

  /** Leader: proposes expiries of leases and waits that ran out (from its own start). */
  check(): void {
    const ctx = this.#ctx;
    const leader = ctx.isLeader();
    if (leader && !this.#wasLeader) this.tracker.reset(ctx.table(), ctx.nowMs(), ctx.waitMaxMs);
    this.#wasLeader = leader;
    if (!leader) return;
    for (const op of this.tracker.due(ctx.nowMs())) {
      ctx.propose(op).catch((error) => ctx.onProposeError(error)).finally(() =>
        this.tracker.settled(op)
      );
    }
  }
}
