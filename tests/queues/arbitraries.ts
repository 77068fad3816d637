import fc from "fast-check";
import type { QueueLimits, QueueOp } from "../../src/queues/mod.ts";
import type { QueueModel } from "./model.ts";

const encoder = new TextEncoder();

/** Small limits, so that runs hit every one of them. */
export const LIMITS: QueueLimits = {
  payloadBytesMax: 16,
  partitionMessagesMax: 4,
  partitionBytesMax: 420,
  slotBytesMax: 900,
  queuesMax: 3,
  dedupEntriesMax: 2,
  dedupWindowMs: 3_000,
};

/** Queues the runs use (their dead queues appear by themselves). */
export const QUEUE_POOL: readonly Uint8Array[] = [encoder.encode("q"), encoder.encode("r")];
const KEY_POOL = [null, encoder.encode("a"), encoder.encode("b"), new Uint8Array()];
const DEDUP_POOL = [null, null, encoder.encode("x"), encoder.encode("y"), encoder.encode("z")];

/** One step: how far the leader's clock moves, then an op resolved against the model. */
export interface Step {
  /** Added to the model's log time; negative: a proposal stamped earlier (clamped). */
  advanceMs: number;
  kind: "push" | "deliver" | "ack" | "nack" | "touch" | "tick" | "config";
  queue: number;
  partition: number;
  payload: Uint8Array;
  key: number;
  delayMs: number;
  ttlMs: number | null;
  high: boolean;
  dedup: number;
  count: number;
  ms: number | null;
  /** Picks a live message of the model (or, 0 mod 7, a sequence that names none). */
  pick: number;
}

/** Steps weighted towards pushes and deliveries. */
export const stepArb: fc.Arbitrary<Step> = fc.record({
  advanceMs: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 800 }) },
    { weight: 1, arbitrary: fc.integer({ min: 2_000, max: 8_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: -500, max: -1 }) },
  ),
  kind: fc.constantFrom(
    "push",
    "push",
    "push",
    "push",
    "deliver",
    "deliver",
    "deliver",
    "ack",
    "ack",
    "nack",
    "touch",
    "tick",
    "tick",
    "config",
  ),
  queue: fc.nat(QUEUE_POOL.length - 1),
  partition: fc.nat(1),
  payload: fc.uint8Array({ maxLength: 20, size: "max" }),
  key: fc.nat(KEY_POOL.length - 1),
  delayMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2_000 })),
  ttlMs: fc.option(fc.integer({ min: 300, max: 6_000 }), { nil: null, freq: 2 }),
  high: fc.boolean(),
  dedup: fc.nat(DEDUP_POOL.length - 1),
  count: fc.integer({ min: 1, max: 4 }),
  ms: fc.option(fc.integer({ min: 100, max: 3_000 }), { nil: null }),
  pick: fc.nat(1_000),
});

/** The op of `step` at the model's state; live messages include dead queues'. */
export function opOfStep(step: Step, model: QueueModel): QueueOp {
  const nowMs = Math.max(0, model.time + step.advanceMs);
  let queue = QUEUE_POOL[step.queue]!;
  let partition = step.partition;
  switch (step.kind) {
    case "push":
      return {
        op: "push",
        queue,
        partition,
        nowMs,
        payload: step.payload,
        key: KEY_POOL[step.key]!,
        delayMs: step.delayMs,
        ttlMs: step.ttlMs,
        priority: step.high ? "high" : "normal",
        dedupId: DEDUP_POOL[step.dedup]!,
      };
    case "deliver":
      return {
        op: "deliver",
        queue,
        partition,
        nowMs,
        countMax: step.count,
        visibilityMs: step.ms,
      };
    case "tick":
      return { op: "tick", nowMs, eventsMax: step.count };
    case "config":
      return {
        op: "config",
        queue,
        partition,
        nowMs,
        maxDeliver: step.pick % 3 === 0 ? null : 1 + (step.pick % 4),
        visibilityMs: step.ms,
      };
  }
  const live = [...model.partitions.values()].flatMap((part) =>
    part.messages.map((m) => ({ part, m }))
  );
  let sequence = step.pick + 1_000;
  if (step.pick % 7 !== 0 && live.length > 0) {
    const { part, m } = live[step.pick % live.length]!;
    queue = bytesOfHex(part.name);
    partition = part.number;
    sequence = m.seq;
  }
  switch (step.kind) {
    case "ack":
      return { op: "ack", queue, partition, nowMs, sequence };
    case "nack":
      return { op: "nack", queue, partition, nowMs, sequence, delayMs: step.ms ?? 0 };
    default:
      return { op: "touch", queue, partition, nowMs, sequence, visibilityMs: step.ms ?? 500 };
  }
}

/** The bytes of a model hex name. */
export function bytesOfHex(hex: string): Uint8Array {
  return new Uint8Array((hex.match(/../g) ?? []).map((pair) => parseInt(pair, 16)));
}
