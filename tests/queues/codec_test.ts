import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeQueueOp,
  encodeQueueOp,
  QUEUE_MS_MAX,
  QUEUE_TIME_MS_MAX,
  QueueCodecError,
  type QueueOp,
  queueOpBytes,
  QueueSlot,
} from "../../src/queues/mod.ts";
import { LIMITS, opOfStep, stepArb } from "./arbitraries.ts";
import { QueueModel } from "./model.ts";

const queue = fc.uint8Array({ minLength: 1, maxLength: 40 });
const target = {
  queue,
  partition: fc.integer({ min: 0, max: 1023 }),
  nowMs: fc.integer({ min: 0, max: QUEUE_TIME_MS_MAX }),
};
const ms = fc.integer({ min: 1, max: QUEUE_MS_MAX });
const sequence = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });

const opArb: fc.Arbitrary<QueueOp> = fc.oneof(
  fc.record({
    op: fc.constant("push" as const),
    ...target,
    payload: fc.uint8Array({ maxLength: 100 }),
    key: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }),
    delayMs: fc.oneof(fc.constant(0), ms),
    ttlMs: fc.option(ms, { nil: null }),
    priority: fc.constantFrom("high" as const, "normal" as const),
    dedupId: fc.option(fc.uint8Array({ minLength: 1, maxLength: 40 }), { nil: null }),
  }),
  fc.record({
    op: fc.constant("deliver" as const),
    ...target,
    countMax: fc.integer({ min: 1, max: 1000 }),
    visibilityMs: fc.option(ms, { nil: null }),
  }),
  fc.record({ op: fc.constant("ack" as const), ...target, sequence }),
  fc.record({
    op: fc.constant("nack" as const),
    ...target,
    sequence,
    delayMs: fc.oneof(fc.constant(0), ms),
  }),
  fc.record({ op: fc.constant("touch" as const), ...target, sequence, visibilityMs: ms }),
  fc.record({
    op: fc.constant("config" as const),
    ...target,
    maxDeliver: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: null }),
    visibilityMs: fc.option(ms, { nil: null }),
  }),
  fc.record({
    op: fc.constant("tick" as const),
    nowMs: target.nowMs,
    eventsMax: fc.integer({ min: 1, max: 100_000 }),
  }),
);

/** `value` as plain JSON-able data (records have no prototype; bytes as arrays). */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_, v) => (v instanceof Uint8Array ? [...v] : v)));
}

/** Decoding succeeds or throws a QueueCodecError "Cannot decode <context>: ..."; nothing else. */
function decodesOrRefuses<T>(decode: () => T, context: string): T | null {
  try {
    return decode();
  } catch (error) {
    assert.ok(error instanceof QueueCodecError, `not a QueueCodecError: ${error}`);
    assert.ok(error.message.startsWith(`Cannot decode ${context}: `), error.message);
    return null;
  }
}

Deno.test("queue op codec: every valid op round-trips; queueOpBytes is its length", () => {
  fc.assert(
    fc.property(opArb, (op) => {
      const bytes = encodeQueueOp(op);
      assert.equal(bytes.length, queueOpBytes(op));
      assert.deepEqual(plain(decodeQueueOp(bytes)), plain(op));
    }),
    { numRuns: 500 },
  );
});

Deno.test("queue op codec: truncations, a trailing byte and any garbage are refused typed", () => {
  fc.assert(
    fc.property(opArb, fc.nat(255), (op, extra) => {
      const bytes = encodeQueueOp(op);
      for (let length = 0; length < bytes.length; length++) {
        assert.throws(() => decodeQueueOp(bytes.subarray(0, length)), QueueCodecError);
      }
      assert.throws(() => decodeQueueOp(Uint8Array.of(...bytes, extra)), QueueCodecError);
    }),
    { numRuns: 100 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      decodesOrRefuses(() => decodeQueueOp(bytes), "queue op");
    }),
    { numRuns: 2_000 },
  );
  // A version byte then an op code, then garbage: reaches every op's reader.
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.uint8Array({ maxLength: 80 }), (code, rest) => {
      decodesOrRefuses(() => decodeQueueOp(Uint8Array.of(1, code, ...rest)), "queue op");
    }),
    { numRuns: 2_000 },
  );
});

Deno.test("queue op codec: encoding refuses an op that is out of range", () => {
  assert.throws(
    () => encodeQueueOp({ op: "tick", nowMs: 0, eventsMax: 0 }),
    RangeError,
  );
  assert.throws(
    () =>
      encodeQueueOp({
        op: "ack",
        queue: new Uint8Array(),
        partition: 0,
        nowMs: 0,
        sequence: 1,
      }),
    RangeError,
  );
});

/** A slot after random steps (its snapshot has messages in every state, lanes, dedup ids). */
function slotAfter(steps: Parameters<typeof opOfStep>[0][]): QueueSlot {
  const slot = new QueueSlot(LIMITS);
  const model = new QueueModel(LIMITS);
  steps.forEach((step, i) => {
    const op = opOfStep(step, model);
    slot.apply(i + 1, op);
    model.apply(op);
  });
  return slot;
}

Deno.test("queue snapshot: restore gives the same bytes and the same future", () => {
  fc.assert(
    fc.property(
      fc.array(stepArb, { maxLength: 60, size: "max" }),
      fc.array(stepArb, { maxLength: 30, size: "max" }),
      (before, after) => {
        const slot = slotAfter(before);
        const image = slot.snapshot();
        const restored = QueueSlot.restore(image, LIMITS);
        restored.checkInvariants();
        assert.deepEqual(restored.snapshot(), image);
        assert.equal(restored.nextEventMs, slot.nextEventMs);
        const model = new QueueModel(LIMITS);
        after.forEach((step, i) => {
          const op = opOfStep(step, model);
          model.apply(op);
          assert.deepEqual(restored.apply(1_000 + i, op), slot.apply(1_000 + i, op));
        });
        assert.deepEqual(restored.snapshot(), slot.snapshot());
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("queue snapshot: garbage and corrupted snapshots are refused typed or restore sound", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      decodesOrRefuses(() => QueueSlot.restore(bytes, LIMITS), "queue snapshot");
    }),
    { numRuns: 2_000 },
  );
  fc.assert(
    fc.property(
      fc.array(stepArb, { maxLength: 40, size: "max" }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      fc.nat(),
      (steps, at, xor, cut) => {
        const image = slotAfter(steps).snapshot();
        const corrupted = image.slice();
        corrupted[at % image.length]! ^= xor;
        for (const bytes of [corrupted, image.subarray(0, cut % image.length)]) {
          const slot = decodesOrRefuses(() => QueueSlot.restore(bytes, LIMITS), "queue snapshot");
          if (slot === null) continue;
          slot.checkInvariants();
          assert.deepEqual(slot.snapshot(), bytes);
        }
      },
    ),
    { numRuns: 500 },
  );
});
