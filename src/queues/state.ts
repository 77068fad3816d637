import { assert } from "../util/assert.ts";
import { EventHeap, type TimedItem } from "./event_heap.ts";
import {
  messageBytes,
  QUEUE_MAX_DELIVER_DEFAULT,
  QUEUE_VISIBILITY_MS_DEFAULT,
  type QueueLimits,
} from "./limits.ts";
import type { QueuePriority, QueueStats } from "./types.ts";

/** Where a live message is. Ready messages behind an earlier one of their key are not in a lane. */
export type MessageState = "ready" | "delayed" | "inflight";

/** One live message (ready, delayed or in flight) of a queue partition. */
export interface Message extends TimedItem {
  readonly kind: 0;
  readonly sequence: number;
  /** The partition that holds it. */
  readonly partition: Partition;
  readonly payload: Uint8Array;
  /** Byte string of the KEY, or null. */
  readonly key: string | null;
  readonly priority: QueuePriority;
  /** Log time when the TTL runs out, or null. */
  expiresAtMs: number | null;
  /** Deliveries so far (reset to 0 when moved to a dead queue). */
  deliveries: number;
  state: MessageState;
  /** delayed: ready at; inflight: visible again at; ready: 0. */
  dueAtMs: number;
}

/** A dedup id remembered until `deadlineMs`, naming the message its first push made. */
export interface DedupEntry extends TimedItem {
  readonly kind: 1;
  readonly dedupId: string;
  readonly partition: Partition;
}

/** One partition of one queue, as held by the slot its (queue, partition) maps to. */
export interface Partition {
  /** The queue name's byte string. */
  readonly name: string;
  readonly number: number;
  /** Live messages by sequence, in arrival order. */
  readonly messages: Map<number, Message>;
  /** Deliverable ready messages of each lane, in the order they became ready. */
  readonly high: Map<number, Message>;
  readonly normal: Map<number, Message>;
  /** Live keyed messages per key, in arrival order; only the first may be delivered. */
  readonly keys: Map<string, Map<number, Message>>;
  /** Dedup ids by byte string, in insertion order (= expiry order: log time never goes back). */
  readonly dedup: Map<string, DedupEntry>;
  readonly stats: QueueStats;
  /** Sum of messageBytes over live messages. */
  bytes: number;
  /** High deliveries in a row while normal messages were deliverable. */
  highStreak: number;
  maxDeliver: number;
  visibilityMs: number;
}

/** The replicated queue state of one slot. */
export interface SlotState {
  readonly limits: Readonly<QueueLimits>;
  /** Partitions by partitionKey(name, number), in creation order. */
  readonly partitions: Map<string, Partition>;
  /** Messages and dedup ids with a deadline. */
  readonly events: EventHeap<Message | DedupEntry>;
  /** The last message sequence handed out (slot-wide, never reused). */
  sequence: number;
  /** Log time: the largest `nowMs` applied. */
  timeMs: number;
  appliedIndex: number;
  /** Sum of partition bytes. */
  bytes: number;
}

/** An empty slot state. */
export function createSlotState(limits: Readonly<QueueLimits>): SlotState {
  return {
    limits,
    partitions: new Map(),
    events: new EventHeap(),
    sequence: 0,
    timeMs: 0,
    appliedIndex: 0,
    bytes: 0,
  };
}

/** The map key of a queue partition. */
export function partitionKey(name: string, number: number): string {
  return `${number}/${name}`;
}

/** An empty partition with the default configuration. */
export function createPartition(name: string, number: number): Partition {
  return {
    name,
    number,
    messages: new Map(),
    high: new Map(),
    normal: new Map(),
    keys: new Map(),
    dedup: new Map(),
    stats: emptyStats(),
    bytes: 0,
    highStreak: 0,
    maxDeliver: QUEUE_MAX_DELIVER_DEFAULT,
    visibilityMs: QUEUE_VISIBILITY_MS_DEFAULT,
  };
}

/** All counters zero. */
export function emptyStats(): QueueStats {
  return {
    ready: 0,
    inflight: 0,
    delayed: 0,
    dead: 0,
    pushed: 0,
    acked: 0,
    redelivered: 0,
    dropped: 0,
  };
}

/** Bytes `message` costs. */
export function bytesOf(message: Message): number {
  return messageBytes(message.payload.length, message.key?.length ?? 0);
}

/** The event deadline of a message in its state: delay/visibility end or TTL, the earlier. */
export function eventDeadline(message: Message): number | null {
  const due = message.state === "ready" ? null : message.dueAtMs;
  const ttl = message.expiresAtMs;
  if (due === null) return ttl;
  return ttl === null ? due : Math.min(due, ttl);
}

/** Whether `message` is the first live message of its key (or has none): it may be delivered. */
export function isKeyHead(partition: Partition, message: Message): boolean {
  if (message.key === null) return true;
  const first = partition.keys.get(message.key)?.keys().next();
  return first !== undefined && first.done !== true && first.value === message.sequence;
}

/** The lane of `message`. */
export function laneOf(partition: Partition, message: Message): Map<number, Message> {
  return message.priority === "high" ? partition.high : partition.normal;
}

/**
 * Adds a new message in `state` to `partition` (arrival order, key order, counts, bytes,
 * lane when deliverable, event heap).
 */
export function addMessage(slot: SlotState, partition: Partition, message: Message): void {
  assert(message.partition === partition, "message added to another partition");
  assert(!partition.messages.has(message.sequence), "message added twice");
  partition.messages.set(message.sequence, message);
  if (message.key !== null) {
    let chain = partition.keys.get(message.key);
    if (chain === undefined) partition.keys.set(message.key, chain = new Map());
    chain.set(message.sequence, message);
  }
  const bytes = bytesOf(message);
  partition.bytes += bytes;
  slot.bytes += bytes;
  partition.stats[message.state] += 1;
  if (message.state === "ready" && isKeyHead(partition, message)) {
    laneOf(partition, message).set(message.sequence, message);
  }
  slot.events.reschedule(message, eventDeadline(message));
}

/** Moves a live message to `state` (ready at the lane's tail when deliverable). */
export function setState(
  slot: SlotState,
  partition: Partition,
  message: Message,
  state: MessageState,
  dueAtMs: number,
): void {
  laneOf(partition, message).delete(message.sequence);
  partition.stats[message.state] -= 1;
  message.state = state;
  message.dueAtMs = state === "ready" ? 0 : dueAtMs;
  partition.stats[state] += 1;
  if (state === "ready" && isKeyHead(partition, message)) {
    laneOf(partition, message).set(message.sequence, message);
  }
  slot.events.reschedule(message, eventDeadline(message));
}

/**
 * Takes a live message out of `partition`; the next message of its key, if ready, joins its
 * lane. The caller counts why it left (acked, dead, dropped).
 */
export function removeMessage(slot: SlotState, partition: Partition, message: Message): void {
  assert(partition.messages.get(message.sequence) === message, "removing an unknown message");
  partition.messages.delete(message.sequence);
  laneOf(partition, message).delete(message.sequence);
  partition.stats[message.state] -= 1;
  const bytes = bytesOf(message);
  partition.bytes -= bytes;
  slot.bytes -= bytes;
  assert(partition.bytes >= 0 && slot.bytes >= 0, "queue bytes went negative");
  if (message.heapSlot !== -1) slot.events.remove(message);
  if (message.key === null) return;
  const chain = partition.keys.get(message.key)!;
  const wasHead = chain.keys().next().value === message.sequence;
  chain.delete(message.sequence);
  if (chain.size === 0) {
    partition.keys.delete(message.key);
    return;
  }
  const next = chain.values().next().value!;
  if (wasHead && next.state === "ready") laneOf(partition, next).set(next.sequence, next);
}
