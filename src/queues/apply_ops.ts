import { byteString } from "../kv/key.ts";
import { messageBytes, QUEUE_DELIVER_DROPS_MAX, QUEUE_HIGH_PER_NORMAL } from "./limits.ts";
import {
  addMessage,
  createPartition,
  type Message,
  type Partition,
  partitionKey,
  removeMessage,
  setState,
  type SlotState,
} from "./state.ts";
import { deadQueueName, messageId } from "./routing.ts";
import type {
  DeliveredMessage,
  QueueAckOp,
  QueueConfigOp,
  QueueDeliverOp,
  QueueLimitRefusal,
  QueueNackOp,
  QueueOutcome,
  QueuePushOp,
  QueueTickOp,
  QueueTouchOp,
} from "./types.ts";

const NOT_FOUND: QueueOutcome = Object.freeze({ kind: "done", found: false });
const FOUND: QueueOutcome = Object.freeze({ kind: "done", found: true });

/** The partition `name`/`number`, or undefined. */
export function findPartition(
  slot: SlotState,
  name: string,
  number: number,
): Partition | undefined {
  return slot.partitions.get(partitionKey(name, number));
}

/** PUSH at log time `nowMs`: dedup first, then the limits, then the message. */
export function applyPush(slot: SlotState, op: QueuePushOp, nowMs: number): QueueOutcome {
  const name = byteString(op.queue);
  let partition = findPartition(slot, name, op.partition);
  const dedupId = op.dedupId === null ? null : byteString(op.dedupId);
  if (partition !== undefined && dedupId !== null) {
    const seen = partition.dedup.get(dedupId);
    if (seen !== undefined && seen.deadlineMs > nowMs) {
      return { kind: "pushed", id: messageId(op.partition, seen.sequence), duplicate: true };
    }
  }
  const key = op.key === null ? null : byteString(op.key);
  const refusal = pushRefusal(slot, partition, op, key?.length ?? 0, nowMs);
  if (refusal !== null) return refusal;
  if (partition === undefined) partition = newPartition(slot, name, op.partition);
  // Only now: a refused push changes nothing, not even the dedup ids a tick would forget.
  if (dedupId !== null) forgetExpiredDedup(slot, partition, nowMs);
  slot.sequence += 1;
  const sequence = slot.sequence;
  const delayed = op.delayMs > 0;
  const message: Message = {
    kind: 0,
    sequence,
    partition,
    payload: op.payload,
    key,
    priority: op.priority,
    expiresAtMs: op.ttlMs === null ? null : nowMs + op.ttlMs,
    deliveries: 0,
    state: delayed ? "delayed" : "ready",
    dueAtMs: delayed ? nowMs + op.delayMs : 0,
    deadlineMs: 0,
    heapSlot: -1,
  };
  addMessage(slot, partition, message);
  partition.stats.pushed += 1;
  if (dedupId !== null) {
    const entry = {
      kind: 1 as const,
      sequence,
      dedupId,
      partition,
      deadlineMs: nowMs + slot.limits.dedupWindowMs,
      heapSlot: -1,
    };
    partition.dedup.set(dedupId, entry);
    slot.events.push(entry);
  }
  return { kind: "pushed", id: messageId(op.partition, sequence), duplicate: false };
}

function newPartition(slot: SlotState, name: string, number: number): Partition {
  const partition = createPartition(name, number);
  slot.partitions.set(partitionKey(name, number), partition);
  return partition;
}

function pushRefusal(
  slot: SlotState,
  partition: Partition | undefined,
  op: QueuePushOp,
  keyBytes: number,
  nowMs: number,
): QueueLimitRefusal | null {
  const limits = slot.limits;
  if (op.payload.length > limits.payloadBytesMax) {
    return refusal("payloadBytes", op.payload.length, limits.payloadBytesMax);
  }
  if (partition === undefined && slot.partitions.size + 1 > limits.queuesMax) {
    return refusal("queues", slot.partitions.size + 1, limits.queuesMax);
  }
  const count = (partition?.messages.size ?? 0) + 1;
  if (count > limits.partitionMessagesMax) {
    return refusal("partitionMessages", count, limits.partitionMessagesMax);
  }
  const bytes = messageBytes(op.payload.length, keyBytes);
  const partitionBytes = (partition?.bytes ?? 0) + bytes;
  if (partitionBytes > limits.partitionBytesMax) {
    return refusal("partitionBytes", partitionBytes, limits.partitionBytesMax);
  }
  if (slot.bytes + bytes > limits.slotBytesMax) {
    return refusal("slotBytes", slot.bytes + bytes, limits.slotBytesMax);
  }
  if (op.dedupId === null || partition === undefined) return null;
  const dedupCount = liveDedupCount(partition, nowMs) + 1;
  if (dedupCount > limits.dedupEntriesMax) {
    return refusal("dedupEntries", dedupCount, limits.dedupEntriesMax);
  }
  return null;
}

function refusal(limit: QueueLimitRefusal["limit"], actual: number, maximum: number) {
  return { kind: "limit" as const, limit, actual, maximum };
}

/** Dedup ids of `partition` still inside their window at `nowMs`. */
function liveDedupCount(partition: Partition, nowMs: number): number {
  let expired = 0;
  for (const entry of partition.dedup.values()) {
    if (entry.deadlineMs > nowMs) break;
    expired += 1;
  }
  return partition.dedup.size - expired;
}

/** Removes the dedup ids of `partition` whose window ended by `nowMs` (they are in order). */
function forgetExpiredDedup(slot: SlotState, partition: Partition, nowMs: number): void {
  for (const entry of partition.dedup.values()) {
    if (entry.deadlineMs > nowMs) return;
    partition.dedup.delete(entry.dedupId);
    slot.events.remove(entry);
  }
}

/**
 * DELIVER: up to countMax messages, picked one at a time: the heads of both lanes, high unless
 * QUEUE_HIGH_PER_NORMAL highs were delivered in a row while a normal one was deliverable.
 * Messages whose TTL ran out by `nowMs` are dropped on the way (at most QUEUE_DELIVER_DROPS_MAX).
 */
export function applyDeliver(slot: SlotState, op: QueueDeliverOp, nowMs: number): QueueOutcome {
  const partition = findPartition(slot, byteString(op.queue), op.partition);
  const messages: DeliveredMessage[] = [];
  if (partition === undefined) return { kind: "delivered", messages };
  const visibilityMs = op.visibilityMs ?? partition.visibilityMs;
  let drops = 0;
  while (messages.length < op.countMax && drops < QUEUE_DELIVER_DROPS_MAX) {
    const message = pickNext(partition);
    if (message === undefined) break;
    if (message.expiresAtMs !== null && message.expiresAtMs <= nowMs) {
      drop(slot, partition, message);
      drops += 1;
      continue;
    }
    countPick(partition, message);
    message.deliveries += 1;
    if (message.deliveries > 1) partition.stats.redelivered += 1;
    setState(slot, partition, message, "inflight", nowMs + visibilityMs);
    messages.push({
      id: messageId(partition.number, message.sequence),
      payload: message.payload,
      deliveries: message.deliveries,
    });
  }
  return { kind: "delivered", messages };
}

/** The message the ratio rule serves next, or undefined when no lane has one. */
function pickNext(partition: Partition): Message | undefined {
  const high = partition.high.values().next().value;
  const normal = partition.normal.values().next().value;
  if (high === undefined) return normal;
  if (normal === undefined) return high;
  return partition.highStreak >= QUEUE_HIGH_PER_NORMAL ? normal : high;
}

/** Keeps the streak of highs served while a normal message was deliverable. */
function countPick(partition: Partition, message: Message): void {
  if (message.priority === "high" && partition.normal.size > 0) partition.highStreak += 1;
  else partition.highStreak = 0;
}

/** ACK: removes a live message (in flight, or back to ready or delayed after a lapse or nack). */
export function applyAck(slot: SlotState, op: QueueAckOp, nowMs: number): QueueOutcome {
  const found = liveMessage(slot, op, nowMs);
  if (found === undefined) return NOT_FOUND;
  const [partition, message] = found;
  removeMessage(slot, partition, message);
  partition.stats.acked += 1;
  return FOUND;
}

/** NACK: an in-flight message is ready again (delayed with DELAY), or dead after MAXDELIVER. */
export function applyNack(slot: SlotState, op: QueueNackOp, nowMs: number): QueueOutcome {
  const found = liveMessage(slot, op, nowMs);
  if (found === undefined || found[1].state !== "inflight") return NOT_FOUND;
  const [partition, message] = found;
  giveBack(slot, partition, message, nowMs, op.delayMs);
  return FOUND;
}

/** TOUCH: an in-flight message stays invisible until `nowMs + visibilityMs`. */
export function applyTouch(slot: SlotState, op: QueueTouchOp, nowMs: number): QueueOutcome {
  const found = liveMessage(slot, op, nowMs);
  if (found === undefined || found[1].state !== "inflight") return NOT_FOUND;
  const [partition, message] = found;
  setState(slot, partition, message, "inflight", nowMs + op.visibilityMs);
  return FOUND;
}

/** CONFIG: MAXDELIVER and the default visibility of the partition (created if new). */
export function applyConfig(slot: SlotState, op: QueueConfigOp): QueueOutcome {
  const name = byteString(op.queue);
  let partition = findPartition(slot, name, op.partition);
  if (partition === undefined) {
    if (slot.partitions.size + 1 > slot.limits.queuesMax) {
      return refusal("queues", slot.partitions.size + 1, slot.limits.queuesMax);
    }
    partition = newPartition(slot, name, op.partition);
  }
  if (op.maxDeliver !== null) partition.maxDeliver = op.maxDeliver;
  if (op.visibilityMs !== null) partition.visibilityMs = op.visibilityMs;
  return { kind: "configured" };
}

/**
 * TICK: handles up to eventsMax due events in (deadline, sequence) order. A message event is
 * its TTL running out (dropped), its delay ending (ready) or its visibility lapsing (ready, or
 * dead after MAXDELIVER deliveries); a dedup event forgets the id.
 */
export function applyTick(slot: SlotState, op: QueueTickOp, nowMs: number): QueueOutcome {
  let events = 0;
  for (let item = slot.events.peek(); item !== undefined; item = slot.events.peek()) {
    if (item.deadlineMs > nowMs) return { kind: "ticked", events, more: false };
    if (events >= op.eventsMax) return { kind: "ticked", events, more: true };
    events += 1;
    if (item.kind === 1) {
      item.partition.dedup.delete(item.dedupId);
      slot.events.remove(item);
      continue;
    }
    const partition = item.partition;
    if (item.expiresAtMs !== null && item.expiresAtMs <= nowMs) drop(slot, partition, item);
    else if (item.state === "delayed") setState(slot, partition, item, "ready", 0);
    else giveBack(slot, partition, item, nowMs, 0);
  }
  return { kind: "ticked", events, more: false };
}

/** The live message named by an ack/nack/touch, dropping it first if its TTL ran out. */
function liveMessage(
  slot: SlotState,
  op: QueueAckOp | QueueNackOp | QueueTouchOp,
  nowMs: number,
): [Partition, Message] | undefined {
  const partition = findPartition(slot, byteString(op.queue), op.partition);
  const message = partition?.messages.get(op.sequence);
  if (partition === undefined || message === undefined) return undefined;
  if (message.expiresAtMs !== null && message.expiresAtMs <= nowMs) {
    drop(slot, partition, message);
    return undefined;
  }
  return [partition, message];
}

/** An in-flight message comes back (lapse or nack): dead after MAXDELIVER, else ready/delayed. */
function giveBack(
  slot: SlotState,
  partition: Partition,
  message: Message,
  nowMs: number,
  delayMs: number,
): void {
  if (message.deliveries >= partition.maxDeliver) {
    moveToDead(slot, partition, message);
    return;
  }
  if (delayMs > 0) setState(slot, partition, message, "delayed", nowMs + delayMs);
  else setState(slot, partition, message, "ready", 0);
}

function drop(slot: SlotState, partition: Partition, message: Message): void {
  removeMessage(slot, partition, message);
  partition.stats.dropped += 1;
}

/**
 * Moves a message to partition `partition.number` of `<queue>:dead` (colocated by routing), ready,
 * with no TTL and no deliveries, keeping its sequence, key and priority. The dead queue's limits
 * do not refuse it: the message is already counted in the slot. When the dead queue's name would
 * be longer than QUEUE_NAME_BYTES_MAX, the message is discarded (still counted as dead).
 */
function moveToDead(slot: SlotState, partition: Partition, message: Message): void {
  removeMessage(slot, partition, message);
  partition.stats.dead += 1;
  const deadName = deadQueueName(partition.name);
  if (deadName === null) return;
  const dead = findPartition(slot, deadName, partition.number) ??
    newPartition(slot, deadName, partition.number);
  addMessage(slot, dead, {
    ...message,
    partition: dead,
    expiresAtMs: null,
    deliveries: 0,
    state: "ready",
    dueAtMs: 0,
    heapSlot: -1,
  });
  dead.stats.pushed += 1;
}
