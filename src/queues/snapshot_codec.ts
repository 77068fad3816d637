import type { BinaryReader } from "../../protocol/binary/mod.ts";
import { BinaryWriter } from "../../protocol/binary/mod.ts";
import { bytesOfString, byteString } from "../kv/key.ts";
import { readQueueBinary } from "./codec_error.ts";
import {
  QUEUE_DEDUP_BYTES_MAX,
  QUEUE_KEY_BYTES_MAX,
  QUEUE_MAX_DELIVER_MAX,
  QUEUE_MS_MAX,
  QUEUE_NAME_BYTES_MAX,
  QUEUE_PARTITIONS_MAX,
  QUEUE_TIME_MS_MAX,
  type QueueLimits,
} from "./limits.ts";
import {
  addMessage,
  createPartition,
  createSlotState,
  type Message,
  type MessageState,
  type Partition,
  partitionKey,
  type SlotState,
} from "./state.ts";

/** Version byte leading every queue slot snapshot. */
export const QUEUE_SNAPSHOT_VERSION = 1;

const CONTEXT = "queue snapshot";
const STATES: readonly MessageState[] = ["ready", "delayed", "inflight"];
const FLAG_KEY = 1;
const FLAG_HIGH = 2;
/** Smallest encodings, to refuse counts the remaining bytes cannot hold. */
const PARTITION_BYTES_MIN = 4 + 2 + 4 + 8 + 4 + 5 * 8 + 3 * 4;
const MESSAGE_BYTES_MIN = 8 + 1 + 4 + 1 + 8 + 8 + 4;
const DEDUP_BYTES_MIN = 4 + 8 + 8;
const COUNTERS = ["dead", "pushed", "acked", "redelivered", "dropped"] as const;

/**
 * Encodes a slot: u8 version, u53 applied index, u53 log time, u53 sequence, u32 partition
 * count, then per partition (creation order): name, u16 number, u32 maxDeliver, u53
 * visibilityMs, u32 highStreak, u53 dead/pushed/acked/redelivered/dropped, u32 message count
 * and messages in arrival order (u53 sequence, u8 flags 1 key 2 high, [key], payload, u8 state,
 * u53 dueAtMs, u53 expiresAtMs (0: none), u32 deliveries), the high then the normal lane as
 * u32 count + u53 sequences, u32 dedup count + (id, u53 sequence, u53 deadline) in order.
 */
export function encodeSlotState(state: SlotState): Uint8Array {
  const writer = new BinaryWriter(64 + state.bytes);
  writer.u8(QUEUE_SNAPSHOT_VERSION).u53(state.appliedIndex).u53(state.timeMs).u53(state.sequence);
  writer.u32(state.partitions.size);
  for (const partition of state.partitions.values()) writePartition(writer, partition);
  return writer.copy();
}

function writePartition(writer: BinaryWriter, partition: Partition): void {
  writer.u32Bytes(bytesOfString(partition.name)).u16(partition.number);
  writer.u32(partition.maxDeliver).u53(partition.visibilityMs).u32(partition.highStreak);
  for (const counter of COUNTERS) writer.u53(partition.stats[counter]);
  writer.u32(partition.messages.size);
  for (const message of partition.messages.values()) {
    writer.u53(message.sequence);
    writer.u8(
      (message.key === null ? 0 : FLAG_KEY) | (message.priority === "high" ? FLAG_HIGH : 0),
    );
    if (message.key !== null) writer.u32Bytes(bytesOfString(message.key));
    writer.u32Bytes(message.payload).u8(STATES.indexOf(message.state));
    writer.u53(message.dueAtMs).u53(message.expiresAtMs ?? 0).u32(message.deliveries);
  }
  for (const lane of [partition.high, partition.normal]) {
    writer.u32(lane.size);
    for (const sequence of lane.keys()) writer.u53(sequence);
  }
  writer.u32(partition.dedup.size);
  for (const entry of partition.dedup.values()) {
    writer.u32Bytes(bytesOfString(entry.dedupId)).u53(entry.sequence).u53(entry.deadlineMs);
  }
}

/**
 * Decodes and validates a snapshot into a fresh state with `limits`: names, keys and ids in
 * their length bounds, unique partitions and sequences, states and times in range, lanes that
 * list exactly the deliverable ready messages, dedup ids in deadline order. The configured
 * limits are not checked (a slot may hold more than lowered limits allow; it cannot grow).
 * Throws a QueueCodecError on bad bytes.
 */
export function decodeSlotState(bytes: Uint8Array, limits: Readonly<QueueLimits>): SlotState {
  return readQueueBinary(bytes, CONTEXT, (reader) => {
    const version = reader.u8();
    if (version !== QUEUE_SNAPSHOT_VERSION) throw reader.error(`unknown version ${version}`);
    const state = createSlotState(limits);
    state.appliedIndex = reader.u53();
    state.timeMs = reader.u53();
    if (state.timeMs > QUEUE_TIME_MS_MAX) throw reader.error(`log time ${state.timeMs}`);
    state.sequence = reader.u53();
    const count = countOf(reader, PARTITION_BYTES_MIN);
    const sequences = new Set<number>();
    for (let i = 0; i < count; i++) readPartition(reader, state, sequences);
    return state;
  });
}

function countOf(reader: BinaryReader, itemBytesMin: number): number {
  const count = reader.u32();
  if (count * itemBytesMin > reader.remainingBytes) {
    throw reader.error(`count ${count} exceeds what ${reader.remainingBytes} bytes hold`);
  }
  return count;
}

function readPartition(reader: BinaryReader, state: SlotState, sequences: Set<number>): void {
  const name = byteString(readSized(reader, 1, QUEUE_NAME_BYTES_MAX, "queue name"));
  const number = reader.u16();
  if (number >= QUEUE_PARTITIONS_MAX) throw reader.error(`partition ${number}`);
  if (state.partitions.has(partitionKey(name, number))) throw reader.error("partition twice");
  const partition = createPartition(name, number);
  state.partitions.set(partitionKey(name, number), partition);
  partition.maxDeliver = reader.u32();
  partition.visibilityMs = reader.u53();
  partition.highStreak = reader.u32();
  if (partition.maxDeliver < 1 || partition.maxDeliver > QUEUE_MAX_DELIVER_MAX) {
    throw reader.error(`maxDeliver ${partition.maxDeliver}`);
  }
  if (partition.visibilityMs < 1 || partition.visibilityMs > QUEUE_MS_MAX) {
    throw reader.error(`visibilityMs ${partition.visibilityMs}`);
  }
  for (const counter of COUNTERS) partition.stats[counter] = reader.u53();
  const count = countOf(reader, MESSAGE_BYTES_MIN);
  for (let i = 0; i < count; i++) readMessage(reader, state, partition, sequences);
  for (const lane of [partition.high, partition.normal]) readLane(reader, partition, lane);
  const deliverable =
    [...partition.messages.values()].filter((m) =>
      m.state === "ready" && (m.key === null || partition.keys.get(m.key)!.keys().next().value ===
          m.sequence)
    ).length;
  if (deliverable !== partition.high.size + partition.normal.size) {
    throw reader.error("lanes do not list every deliverable message");
  }
  readDedup(reader, state, partition);
}

function readMessage(
  reader: BinaryReader,
  state: SlotState,
  partition: Partition,
  sequences: Set<number>,
): void {
  const sequence = reader.u53();
  if (sequence < 1 || sequence > state.sequence || sequences.has(sequence)) {
    throw reader.error(`message sequence ${sequence}`);
  }
  sequences.add(sequence);
  const flags = reader.u8();
  if (flags > (FLAG_KEY | FLAG_HIGH)) throw reader.error(`unknown flags ${flags}`);
  const key = (flags & FLAG_KEY) !== 0
    ? byteString(readSized(reader, 0, QUEUE_KEY_BYTES_MAX, "key"))
    : null;
  const payload = reader.u32Bytes();
  const stateCode = reader.u8();
  const messageState = STATES[stateCode];
  if (messageState === undefined) throw reader.error(`unknown message state ${stateCode}`);
  const dueAtMs = reader.u53();
  const expiresAtMs = reader.u53();
  const deliveries = reader.u32();
  const timeMax = QUEUE_TIME_MS_MAX + QUEUE_MS_MAX;
  if (
    (messageState === "ready") !== (dueAtMs === 0) || dueAtMs > timeMax || expiresAtMs > timeMax
  ) {
    throw reader.error(`message ${sequence} times`);
  }
  const message: Message = {
    kind: 0,
    sequence,
    partition,
    payload,
    key,
    priority: (flags & FLAG_HIGH) !== 0 ? "high" : "normal",
    expiresAtMs: expiresAtMs === 0 ? null : expiresAtMs,
    deliveries,
    state: messageState,
    dueAtMs,
    deadlineMs: 0,
    heapSlot: -1,
  };
  // Lanes are read next, in their own order: take the message out of the lane addMessage used.
  addMessage(state, partition, message);
  partition.high.delete(sequence);
  partition.normal.delete(sequence);
}

function readLane(reader: BinaryReader, partition: Partition, lane: Map<number, Message>): void {
  const count = countOf(reader, 8);
  for (let i = 0; i < count; i++) {
    const sequence = reader.u53();
    const message = partition.messages.get(sequence);
    const wanted = lane === partition.high ? "high" : "normal";
    if (
      message === undefined || message.state !== "ready" || message.priority !== wanted ||
      lane.has(sequence)
    ) throw reader.error(`lane lists message ${sequence}`);
    lane.set(sequence, message);
  }
}

function readDedup(reader: BinaryReader, state: SlotState, partition: Partition): void {
  const count = countOf(reader, DEDUP_BYTES_MIN);
  let lastMs = 0;
  for (let i = 0; i < count; i++) {
    const dedupId = byteString(readSized(reader, 1, QUEUE_DEDUP_BYTES_MAX, "dedup id"));
    const sequence = reader.u53();
    const deadlineMs = reader.u53();
    if (partition.dedup.has(dedupId) || sequence < 1 || sequence > state.sequence) {
      throw reader.error(`dedup id ${i}`);
    }
    if (deadlineMs < lastMs || deadlineMs > QUEUE_TIME_MS_MAX + QUEUE_MS_MAX) {
      throw reader.error(`dedup deadline ${deadlineMs} out of order`);
    }
    lastMs = deadlineMs;
    const entry = { kind: 1 as const, sequence, dedupId, partition, deadlineMs, heapSlot: -1 };
    partition.dedup.set(dedupId, entry);
    state.events.push(entry);
  }
}

function readSized(reader: BinaryReader, min: number, max: number, what: string): Uint8Array {
  const bytes = reader.u32Bytes(max);
  if (bytes.length < min) throw reader.error(`${what} shorter than ${min} bytes`);
  return bytes;
}
