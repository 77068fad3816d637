import {
  decodeQueueOp,
  encodeQueueOp,
  QUEUE_OP_VERSION,
  QueueSlot,
  QueueTimer,
} from "../../src/queues/mod.ts";
import type { Entry, NodeId } from "../../src/raft/mod.ts";
import type { SimApp } from "./app.ts";
import type { QueueSimHistory } from "./queue_sim_history.ts";

/** What every host's queue app shares with the workload. */
export interface QueueAppContext {
  /** The cross-node record of applied outcomes and client observations. */
  history: QueueSimHistory;
  /** Virtual now in ms (the host clock the leader's QueueTimer reads). */
  nowMs(): number;
  /** True while node `id` leads the group. */
  isLeader(id: NodeId): boolean;
  /** Proposes `bytes` through the production host of `id`; resolves with the applied index. */
  propose(id: NodeId, bytes: Uint8Array): Promise<unknown>;
  /** Replaces the production slot's apply (mutation tests); null: the production one. */
  mutant: QueueMutant | null;
}

/** A deliberately broken partition state machine: applies `op` on `slot` its own way. */
export type QueueMutant = (
  node: NodeId,
  slot: QueueSlot,
  index: number,
  bytes: Uint8Array,
  leading: boolean,
) => ReturnType<QueueSlot["apply"]>;

/**
 * One host's replicated queue slot: the production `QueueSlot` fed with the committed entries
 * that carry an encoded queue op (first byte QUEUE_OP_VERSION), plus the production leader timer
 * (`QueueTimer`) on the virtual clock: while this host leads, each tick proposes what fell due
 * (delays ending, visibility lapsing, TTLs), so time enters only through the log.
 */
export class QueueApp implements SimApp {
  /** Host id. */
  readonly id: NodeId;
  /** The production leader timer of this host. */
  readonly timer = new QueueTimer();
  #slot: QueueSlot;
  #leading = false;
  readonly #ctx: QueueAppContext;

  /** Restores the slot from `image` (empty: a new slot); a restore must round-trip exactly. */
  constructor(id: NodeId, index: number, image: Uint8Array, ctx: QueueAppContext) {
    this.id = id;
    this.#ctx = ctx;
    this.#slot = image.length === 0 ? new QueueSlot() : QueueSlot.restore(image);
    ctx.history.onRestore(id, index, image, this.#slot.snapshot());
  }

  /** The slot (read-only use outside apply). */
  get slot(): QueueSlot {
    return this.#slot;
  }

  /** Applies a committed entry; other entries are skipped. */
  apply(entry: Entry): void {
    if (entry.kind !== "normal" || entry.data[0] !== QUEUE_OP_VERSION) return;
    const mutant = this.#ctx.mutant;
    const outcome = mutant === null
      ? this.#slot.apply(entry.index, decodeQueueOp(entry.data))
      : mutant(this.id, this.#slot, entry.index, entry.data, this.#ctx.isLeader(this.id));
    this.#ctx.history.onApply(this.id, entry.index, decodeQueueOp(entry.data), outcome);
  }

  /** The slot's snapshot bytes. */
  snapshot(): Uint8Array {
    return this.#slot.snapshot();
  }

  /** The leader's timer: maps the clock on taking the lead, proposes a due tick. */
  tick(): void {
    if (!this.ensureLeading()) return;
    const tick = this.timer.due(this.#slot, this.#ctx.nowMs());
    if (tick === null) return;
    this.#ctx.propose(this.id, encodeQueueOp(tick)).then(
      () => this.timer.settled(null),
      () => this.timer.settled(null),
    );
  }

  /** True while this host leads; the first call after taking the lead resets the timer. */
  ensureLeading(): boolean {
    const leading = this.#ctx.isLeader(this.id);
    if (leading && !this.#leading) this.timer.reset(this.#slot, this.#ctx.nowMs());
    this.#leading = leading;
    return leading;
  }
}
