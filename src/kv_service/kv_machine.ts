import type { ReplicatedStateMachine } from "../consensus/raft_host.ts";
import {
  decodeKvOp,
  KvCodecError,
  KvExpiryTracker,
  type KvLimits,
  type KvOp,
  type KvOutcome,
  KvSlot,
} from "../kv/mod.ts";

/** What one applied entry of a slot group produced: the op and its outcome. */
export interface KvApplied {
  op: KvOp | null;
  outcome: KvOutcome;
}

/**
 * One slot's key-value store as its Raft group's state machine: every replica applies the
 * committed ops; while this node leads, the leader-side expiry tracker follows each of them.
 */
export class KvMachine implements ReplicatedStateMachine<KvApplied> {
  slot: KvSlot;
  readonly tracker = new KvExpiryTracker();
  /** True while the tracker follows the slot (this node leads and reset it). */
  tracking = false;
  readonly #limits: Partial<KvLimits>;
  readonly #nowMs: () => number;

  constructor(limits: Partial<KvLimits>, nowMs: () => number) {
    this.#limits = limits;
    this.#nowMs = nowMs;
    this.slot = new KvSlot(limits);
  }

  apply(index: number, data: Uint8Array): KvApplied {
    let op: KvOp;
    try {
      op = decodeKvOp(data);
    } catch (error) {
      if (!(error instanceof KvCodecError)) throw error;
      this.slot.apply(index, { op: "del", keys: [] });
      return { op: null, outcome: { kind: "invalid", message: error.message } };
    }
    const outcome = this.slot.apply(index, op);
    if (this.tracking) this.tracker.applied(op, this.slot, this.#nowMs());
    return { op, outcome };
  }

  skip(): void {}

  snapshot(): Uint8Array {
    return this.slot.snapshot();
  }

  restore(image: Uint8Array): void {
    this.slot = image.length === 0 ? new KvSlot(this.#limits) : KvSlot.restore(image, this.#limits);
    // A snapshot installed while leading: deadlines count again from now.
    if (this.tracking) this.tracker.reset(this.slot, this.#nowMs());
  }
}
