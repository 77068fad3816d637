import { byteString } from "../kv/key.ts";
import { assert, assertionFailed } from "../util/assert.ts";
import {
  applyAck,
  applyConfig,
  applyDeliver,
  applyNack,
  applyPush,
  applyTick,
  applyTouch,
  findPartition,
} from "./apply_ops.ts";
import {
  QUEUE_MAX_DELIVER_DEFAULT,
  QUEUE_VISIBILITY_MS_DEFAULT,
  type QueueLimits,
  resolveQueueLimits,
} from "./limits.ts";
import { decodeSlotState, encodeSlotState } from "./snapshot_codec.ts";
import {
  bytesOf,
  createSlotState,
  emptyStats,
  isKeyHead,
  laneOf,
  type SlotState,
} from "./state.ts";
import type { QueueOp, QueueOutcome, QueueStats } from "./types.ts";
import { queueOpProblem } from "./validate.ts";

/** One live message as tests and diagnostics see it. */
export interface MessageView {
  readonly sequence: number;
  readonly state: "ready" | "delayed" | "inflight";
  readonly deliveries: number;
  readonly key: string | null;
  readonly priority: "high" | "normal";
  readonly payload: Uint8Array;
  /** Delay end or visibility deadline (log time); 0 when ready. */
  readonly dueAtMs: number;
  readonly expiresAtMs: number | null;
}

/**
 * The queue partitions of one slot: a pure, deterministic state machine (see mod.ts for the
 * semantics). Payloads handed in by ops and out by deliveries are shared, never copied.
 */
export class QueueSlot {
  #state: SlotState;

  /** An empty slot with `limits` (defaults filled in). */
  constructor(limits: Partial<QueueLimits> = {}) {
    this.#state = createSlotState(resolveQueueLimits(limits));
  }

  /** Restores a slot from snapshot() output; throws a QueueCodecError on bad bytes. */
  static restore(bytes: Uint8Array, limits: Partial<QueueLimits> = {}): QueueSlot {
    const slot = new QueueSlot(limits);
    slot.#state = decodeSlotState(bytes, slot.#state.limits);
    return slot;
  }

  /** The replicated state as bytes (restore() reads it back; byte-identical round trip). */
  snapshot(): Uint8Array {
    return encodeSlotState(this.#state);
  }

  /**
   * Applies one committed op at log index `index` (never below the last; several ops may share
   * an entry). Log time becomes max(its time, op.nowMs) first. Never throws for any op: a
   * malformed one is `invalid`, a limit `limit`, and neither changes anything else.
   */
  apply(index: number, op: QueueOp): QueueOutcome {
    const state = this.#state;
    assert(Number.isSafeInteger(index) && index >= state.appliedIndex, "applied index went back");
    state.appliedIndex = index;
    const problem = queueOpProblem(op);
    if (problem !== null) return problem;
    const nowMs = Math.max(state.timeMs, op.nowMs);
    state.timeMs = nowMs;
    switch (op.op) {
      case "push":
        return applyPush(state, op, nowMs);
      case "deliver":
        return applyDeliver(state, op, nowMs);
      case "ack":
        return applyAck(state, op, nowMs);
      case "nack":
        return applyNack(state, op, nowMs);
      case "touch":
        return applyTouch(state, op, nowMs);
      case "config":
        return applyConfig(state, op);
      case "tick":
        return applyTick(state, op, nowMs);
    }
  }

  /** Counters of partition `partition` of `queue` (all zero when it does not exist). */
  stats(queue: Uint8Array, partition: number): QueueStats {
    const found = findPartition(this.#state, byteString(queue), partition);
    return found === undefined ? emptyStats() : { ...found.stats };
  }

  /** Ready messages of the partition (QUEUE.LEN sums it over partitions). */
  readyCount(queue: Uint8Array, partition: number): number {
    return findPartition(this.#state, byteString(queue), partition)?.stats.ready ?? 0;
  }

  /** Messages a deliver could take now (lanes); may be below readyCount (keys wait in turn). */
  deliverableCount(queue: Uint8Array, partition: number): number {
    const found = findPartition(this.#state, byteString(queue), partition);
    return found === undefined ? 0 : found.high.size + found.normal.size;
  }

  /**
   * Queues (as byte strings) with deliverable messages, each with how many, summed over their
   * partitions; at most `countMax` queues. The leader announces them after a tick, which may have
   * made delayed or lapsed messages ready.
   */
  deliverableQueues(countMax: number): Map<string, number> {
    const queues = new Map<string, number>();
    for (const partition of this.#state.partitions.values()) {
      const count = partition.high.size + partition.normal.size;
      if (count === 0) continue;
      if (!queues.has(partition.name) && queues.size >= countMax) break;
      queues.set(partition.name, (queues.get(partition.name) ?? 0) + count);
    }
    return queues;
  }

  /** The live messages of a partition in arrival order (tests, diagnostics). */
  messages(queue: Uint8Array, partition: number): MessageView[] {
    const found = findPartition(this.#state, byteString(queue), partition);
    if (found === undefined) return [];
    return [...found.messages.values()].map((m) => ({
      sequence: m.sequence,
      state: m.state,
      deliveries: m.deliveries,
      key: m.key,
      priority: m.priority,
      payload: m.payload,
      dueAtMs: m.dueAtMs,
      expiresAtMs: m.expiresAtMs,
    }));
  }

  /** MAXDELIVER and default visibility of a partition (defaults when it does not exist). */
  config(queue: Uint8Array, partition: number): { maxDeliver: number; visibilityMs: number } {
    const found = findPartition(this.#state, byteString(queue), partition);
    return {
      maxDeliver: found?.maxDeliver ?? QUEUE_MAX_DELIVER_DEFAULT,
      visibilityMs: found?.visibilityMs ?? QUEUE_VISIBILITY_MS_DEFAULT,
    };
  }

  /** The earliest event deadline in log time (a delay, visibility, TTL or dedup id), or null. */
  get nextEventMs(): number | null {
    return this.#state.events.peek()?.deadlineMs ?? null;
  }

  /** Log time: the largest nowMs applied. */
  get timeMs(): number {
    return this.#state.timeMs;
  }

  /** Log index of the last applied op. */
  get appliedIndex(): number {
    return this.#state.appliedIndex;
  }

  /** The last message sequence handed out. */
  get sequence(): number {
    return this.#state.sequence;
  }

  /** Bytes of every live message of the slot. */
  get bytes(): number {
    return this.#state.bytes;
  }

  /** Queue partitions the slot holds. */
  get partitionCount(): number {
    return this.#state.partitions.size;
  }

  /** The limits every replica of this slot applies. */
  get limits(): Readonly<QueueLimits> {
    return this.#state.limits;
  }

  /** Recomputes what the slot keeps incrementally and crashes on a difference (tests). */
  checkInvariants(): void {
    const state = this.#state;
    let slotBytes = 0;
    let events = 0;
    for (const partition of state.partitions.values()) {
      const counts = { ready: 0, delayed: 0, inflight: 0 };
      let bytes = 0;
      let lanes = 0;
      for (const message of partition.messages.values()) {
        counts[message.state] += 1;
        bytes += bytesOf(message);
        if (message.heapSlot !== -1) events += 1;
        const inLane = laneOf(partition, message).has(message.sequence);
        const shouldBe = message.state === "ready" && isKeyHead(partition, message);
        if (inLane !== shouldBe) assertionFailed(`message ${message.sequence} lane membership`);
        if (inLane) lanes += 1;
      }
      events += partition.dedup.size;
      const { ready, delayed, inflight } = partition.stats;
      if (ready !== counts.ready || delayed !== counts.delayed || inflight !== counts.inflight) {
        assertionFailed(`partition counts ${ready}/${delayed}/${inflight} differ from recount`);
      }
      if (lanes !== partition.high.size + partition.normal.size) assertionFailed("lane sizes");
      if (bytes !== partition.bytes) assertionFailed(`partition bytes ${partition.bytes}`);
      slotBytes += bytes;
    }
    if (slotBytes !== state.bytes) {
      assertionFailed(`slot bytes ${state.bytes}, recount ${slotBytes}`);
    }
    if (events !== state.events.size) assertionFailed(`events ${state.events.size} vs ${events}`);
  }
}
