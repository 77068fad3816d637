import type { BinaryReader } from "../../protocol/binary/mod.ts";
import { BinaryWriter } from "../../protocol/binary/mod.ts";
import { assert } from "../util/assert.ts";
import { QueueCodecError, readQueueBinary } from "./codec_error.ts";
import { QUEUE_DEDUP_BYTES_MAX, QUEUE_KEY_BYTES_MAX, QUEUE_NAME_BYTES_MAX } from "./limits.ts";
import type { QueueOp, QueuePushOp } from "./types.ts";
import { queueOpProblem } from "./validate.ts";

/** Version byte leading every encoded queue op. */
export const QUEUE_OP_VERSION = 1;

const CONTEXT = "queue op";
const OP_CODES: Readonly<Record<QueueOp["op"], number>> = {
  push: 1,
  deliver: 2,
  ack: 3,
  nack: 4,
  touch: 5,
  config: 6,
  tick: 7,
};
const FLAG_KEY = 1;
const FLAG_DEDUP = 2;
const FLAG_HIGH = 4;

/**
 * Encodes an op: u8 version, u8 op code; tick: u53 nowMs, u32 eventsMax; every other op: queue
 * (u32 length + bytes), u16 partition, u53 nowMs, then push: payload, u8 flags (1 key, 2 dedup,
 * 4 high), [key], [dedup id], u53 delayMs, u53 ttlMs (0: none); deliver: u16 countMax, u53
 * visibilityMs (0: the queue's); ack: u53 sequence; nack: u53 sequence, u53 delayMs; touch: u53
 * sequence, u53 visibilityMs; config: u53 maxDeliver, u53 visibilityMs (0: unchanged). Throws a
 * RangeError for an op that queueOpProblem finds wrong (a proposer's bug).
 */
export function encodeQueueOp(op: QueueOp): Uint8Array {
  const problem = queueOpProblem(op);
  if (problem !== null) throw new RangeError(`Cannot encode ${CONTEXT}: ${problem.message}`);
  const lengthBytes = queueOpBytes(op);
  const writer = new BinaryWriter(lengthBytes);
  writer.u8(QUEUE_OP_VERSION).u8(OP_CODES[op.op]);
  if (op.op === "tick") {
    writer.u53(op.nowMs).u32(op.eventsMax);
  } else {
    writer.u32Bytes(op.queue).u16(op.partition).u53(op.nowMs);
    switch (op.op) {
      case "push":
        writePush(writer, op);
        break;
      case "deliver":
        writer.u16(op.countMax).u53(op.visibilityMs ?? 0);
        break;
      case "ack":
        writer.u53(op.sequence);
        break;
      case "nack":
        writer.u53(op.sequence).u53(op.delayMs);
        break;
      case "touch":
        writer.u53(op.sequence).u53(op.visibilityMs);
        break;
      case "config":
        writer.u53(op.maxDeliver ?? 0).u53(op.visibilityMs ?? 0);
        break;
    }
  }
  assert(writer.lengthBytes === lengthBytes, "queueOpBytes disagrees with the encoding");
  return writer.view();
}

function writePush(writer: BinaryWriter, op: QueuePushOp): void {
  const flags = (op.key === null ? 0 : FLAG_KEY) | (op.dedupId === null ? 0 : FLAG_DEDUP) |
    (op.priority === "high" ? FLAG_HIGH : 0);
  writer.u32Bytes(op.payload).u8(flags);
  if (op.key !== null) writer.u32Bytes(op.key);
  if (op.dedupId !== null) writer.u32Bytes(op.dedupId);
  writer.u53(op.delayMs).u53(op.ttlMs ?? 0);
}

/** The exact length of encodeQueueOp(op) in bytes, without encoding (to check an entry limit). */
export function queueOpBytes(op: QueueOp): number {
  if (op.op === "tick") return 2 + 8 + 4;
  const head = 2 + 4 + op.queue.length + 2 + 8;
  switch (op.op) {
    case "push":
      return head + 4 + op.payload.length + 1 + (op.key === null ? 0 : 4 + op.key.length) +
        (op.dedupId === null ? 0 : 4 + op.dedupId.length) + 16;
    case "deliver":
      return head + 2 + 8;
    case "ack":
      return head + 8;
    case "nack":
    case "touch":
    case "config":
      return head + 16;
  }
}

/** Decodes encodeQueueOp output; throws a QueueCodecError "Cannot decode queue op: ..." on bad bytes. */
export function decodeQueueOp(bytes: Uint8Array): QueueOp {
  const op = readQueueBinary(bytes, CONTEXT, readOp);
  const problem = queueOpProblem(op);
  if (problem !== null) throw new QueueCodecError(`Cannot decode ${CONTEXT}: ${problem.message}`);
  return op;
}

function readOp(reader: BinaryReader): QueueOp {
  const version = reader.u8();
  if (version !== QUEUE_OP_VERSION) throw reader.error(`unknown version ${version}`);
  const code = reader.u8();
  if (code === OP_CODES.tick) return { op: "tick", nowMs: reader.u53(), eventsMax: reader.u32() };
  const queue = reader.u32Bytes(QUEUE_NAME_BYTES_MAX);
  const partition = reader.u16();
  const nowMs = reader.u53();
  const target = { queue, partition, nowMs };
  switch (code) {
    case OP_CODES.push:
      return readPush(reader, target);
    case OP_CODES.deliver: {
      const countMax = reader.u16();
      return { op: "deliver", ...target, countMax, visibilityMs: orNull(reader.u53()) };
    }
    case OP_CODES.ack:
      return { op: "ack", ...target, sequence: reader.u53() };
    case OP_CODES.nack: {
      const sequence = reader.u53();
      return { op: "nack", ...target, sequence, delayMs: reader.u53() };
    }
    case OP_CODES.touch: {
      const sequence = reader.u53();
      return { op: "touch", ...target, sequence, visibilityMs: reader.u53() };
    }
    case OP_CODES.config: {
      const maxDeliver = orNull(reader.u53());
      return { op: "config", ...target, maxDeliver, visibilityMs: orNull(reader.u53()) };
    }
    default:
      throw reader.error(`unknown op code ${code}`);
  }
}

function readPush(
  reader: BinaryReader,
  target: { queue: Uint8Array; partition: number; nowMs: number },
): QueuePushOp {
  const payload = reader.u32Bytes();
  const flags = reader.u8();
  if (flags > (FLAG_KEY | FLAG_DEDUP | FLAG_HIGH)) throw reader.error(`unknown flags ${flags}`);
  const key = (flags & FLAG_KEY) !== 0 ? reader.u32Bytes(QUEUE_KEY_BYTES_MAX) : null;
  const dedupId = (flags & FLAG_DEDUP) !== 0 ? reader.u32Bytes(QUEUE_DEDUP_BYTES_MAX) : null;
  const delayMs = reader.u53();
  const ttlMs = orNull(reader.u53());
  const priority = (flags & FLAG_HIGH) !== 0 ? "high" : "normal";
  return { op: "push", ...target, payload, key, delayMs, ttlMs, priority, dedupId };
}

function orNull(value: number): number | null {
  return value === 0 ? null : value;
}
