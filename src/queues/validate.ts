import {
  QUEUE_DEDUP_BYTES_MAX,
  QUEUE_KEY_BYTES_MAX,
  QUEUE_MAX_DELIVER_MAX,
  QUEUE_MS_MAX,
  QUEUE_NAME_BYTES_MAX,
  QUEUE_PARTITIONS_MAX,
  QUEUE_POP_COUNT_MAX,
  QUEUE_TICK_EVENTS_MAX,
  QUEUE_TIME_MS_MAX,
} from "./limits.ts";
import type { QueueInvalid, QueueOp } from "./types.ts";

/**
 * What is wrong with `op` by the fixed rules (lengths, ranges), or null. The configured limits
 * (payload, partition and slot sizes) are the slot's to check when it applies the op.
 */
export function queueOpProblem(op: QueueOp): QueueInvalid | null {
  if (!inRange(op.nowMs, 0, QUEUE_TIME_MS_MAX)) return invalid(`nowMs ${op.nowMs} is out of range`);
  if (op.op === "tick") {
    return inRange(op.eventsMax, 1, QUEUE_TICK_EVENTS_MAX) ? null : invalid("eventsMax");
  }
  const target = bytesProblem(op.queue, "queue", 1, QUEUE_NAME_BYTES_MAX) ??
    (inRange(op.partition, 0, QUEUE_PARTITIONS_MAX - 1) ? null : invalid("partition"));
  if (target !== null) return target;
  switch (op.op) {
    case "push":
      if (!(op.payload instanceof Uint8Array)) return invalid("payload is not bytes");
      if (op.priority !== "high" && op.priority !== "normal") return invalid("priority");
      if (!isMs(op.delayMs, 0)) return invalid(`delayMs ${op.delayMs} is out of range`);
      if (op.ttlMs !== null && !isMs(op.ttlMs, 1)) return invalid(`ttlMs ${op.ttlMs}`);
      return (op.key === null ? null : bytesProblem(op.key, "key", 0, QUEUE_KEY_BYTES_MAX)) ??
        (op.dedupId === null ? null : bytesProblem(op.dedupId, "dedup", 1, QUEUE_DEDUP_BYTES_MAX));
    case "deliver":
      if (!inRange(op.countMax, 1, QUEUE_POP_COUNT_MAX)) return invalid("countMax");
      if (op.visibilityMs !== null && !isMs(op.visibilityMs, 1)) return invalid("visibilityMs");
      return null;
    case "ack":
      return sequenceProblem(op.sequence);
    case "nack":
      return sequenceProblem(op.sequence) ?? (isMs(op.delayMs, 0) ? null : invalid("delayMs"));
    case "touch":
      return sequenceProblem(op.sequence) ??
        (isMs(op.visibilityMs, 1) ? null : invalid("visibilityMs"));
    case "config":
      if (op.maxDeliver !== null && !inRange(op.maxDeliver, 1, QUEUE_MAX_DELIVER_MAX)) {
        return invalid("maxDeliver");
      }
      if (op.visibilityMs !== null && !isMs(op.visibilityMs, 1)) return invalid("visibilityMs");
      return null;
    default:
      return invalid(`unknown op ${(op as { op: unknown }).op}`);
  }
}

/** Whether `ms` is a duration in min..QUEUE_MS_MAX. */
function isMs(ms: number, min: number): boolean {
  return inRange(ms, min, QUEUE_MS_MAX);
}

function inRange(value: number, min: number, max: number): boolean {
  return Number.isSafeInteger(value) && value >= min && value <= max;
}

function sequenceProblem(sequence: number): QueueInvalid | null {
  return inRange(sequence, 1, Number.MAX_SAFE_INTEGER) ? null : invalid("sequence");
}

function bytesProblem(
  bytes: Uint8Array,
  what: string,
  min: number,
  max: number,
): QueueInvalid | null {
  if (!(bytes instanceof Uint8Array)) return invalid(`${what} is not bytes`);
  if (bytes.length < min || bytes.length > max) {
    return invalid(`${what} length ${bytes.length} is not in ${min}..${max}`);
  }
  return null;
}

function invalid(message: string): QueueInvalid {
  return { kind: "invalid", message };
}
