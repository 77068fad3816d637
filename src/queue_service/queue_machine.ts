import type { ReplicatedStateMachine } from "../consensus/raft_host.ts";
import { byteString } from "../kv/key.ts";
import {
  decodeQueueOp,
  QueueCodecError,
  type QueueLimits,
  type QueueOp,
  type QueueOutcome,
  QueueSlot,
  QueueTimer,
} from "../queues/mod.ts";

/** Queues announced at once at most (after a tick, on gaining leadership). */
const READY_QUEUES_PER_ANNOUNCE_MAX = 1024;

/** What one applied queue entry of a slot group produced: the op and its outcome. */
export interface QueueApplied {
  op: QueueOp | null;
  outcome: QueueOutcome;
}

/**
 * One slot's queue partitions as its part of the slot group's state machine: every replica
 * applies the committed ops; while this node leads, the timer maps its clock onto log time and
 * `onReady` hears of every queue that got a deliverable message (a push, a nack).
 */
export class QueueMachine implements ReplicatedStateMachine<QueueApplied> {
  slot: QueueSlot;
  readonly timer = new QueueTimer();
  /** True while this node leads the slot and the timer follows it (reset on gaining it). */
  tracking = false;
  readonly #limits: Partial<QueueLimits>;
  readonly #nowMs: () => number;
  readonly #onReady: (queueKey: string, count: number) => void;

  /**
   * `onReady` is called, while tracking, with the queue (byte string) of each push or nack that
   * made a message deliverable, and after a tick that handled events with every queue that has
   * deliverable messages (a delay ended, a visibility lapsed), with how many.
   */
  constructor(
    limits: Partial<QueueLimits>,
    nowMs: () => number,
    onReady: (queueKey: string, count: number) => void,
  ) {
    this.#limits = limits;
    this.#nowMs = nowMs;
    this.#onReady = onReady;
    this.slot = new QueueSlot(limits);
  }

  apply(index: number, data: Uint8Array): QueueApplied {
    let op: QueueOp;
    try {
      op = decodeQueueOp(data);
    } catch (error) {
      if (!(error instanceof QueueCodecError)) throw error;
      return { op: null, outcome: { kind: "invalid", message: error.message } };
    }
    const outcome = this.slot.apply(index, op);
    if (!this.tracking) return { op, outcome };
    if (op.op === "tick") {
      if (outcome.kind === "ticked" && outcome.events > 0) this.announceDeliverable();
    } else if (wakes(op, outcome)) {
      this.#onReady(byteString(op.queue), 1);
    }
    return { op, outcome };
  }

  /**
   * Announces every queue with deliverable messages (after a tick; and when this node starts
   * leading, so pops parked while the slot had no leader look again).
   */
  announceDeliverable(): void {
    for (const [queueKey, count] of this.slot.deliverableQueues(READY_QUEUES_PER_ANNOUNCE_MAX)) {
      this.#onReady(queueKey, count);
    }
  }

  skip(): void {}

  snapshot(): Uint8Array {
    return this.slot.snapshot();
  }

  restore(image: Uint8Array): void {
    this.slot = image.length === 0
      ? new QueueSlot(this.#limits)
      : QueueSlot.restore(image, this.#limits);
    // A snapshot installed while leading: log time carries on from the image's.
    if (this.tracking) this.timer.reset(this.slot, this.#nowMs());
  }
}

/** A push that added a ready message, or a nack that made one ready again. */
function wakes(op: QueueOp, outcome: QueueOutcome): boolean {
  if (op.op === "push") return outcome.kind === "pushed" && !outcome.duplicate && op.delayMs === 0;
  if (op.op === "nack") return outcome.kind === "done" && outcome.found && op.delayMs === 0;
  return false;
}
