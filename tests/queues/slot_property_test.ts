import assert from "node:assert/strict";
import fc from "fast-check";
import { type QueueOutcome, QueueSlot } from "../../src/queues/mod.ts";
import { bytesOfHex, LIMITS, opOfStep, type Step, stepArb } from "./arbitraries.ts";
import { hexOf, QueueModel } from "./model.ts";

/** The slot's partitions, views and stats equal the model's. */
function assertSame(slot: QueueSlot, model: QueueModel): void {
  slot.checkInvariants();
  assert.equal(slot.partitionCount, model.partitions.size);
  assert.equal(slot.bytes, model.bytes());
  assert.equal(slot.timeMs, model.time);
  assert.equal(slot.sequence, model.sequence);
  for (const part of model.partitions.values()) {
    const queue = bytesOfHex(part.name);
    assert.deepEqual(slot.stats(queue, part.number), model.stats(part));
    const views = slot.messages(queue, part.number).map((v) => [
      v.sequence,
      v.state,
      v.deliveries,
      v.key === null ? null : hexOf(Uint8Array.from(v.key, (c) => c.charCodeAt(0))),
      v.priority,
      v.dueAtMs,
      v.expiresAtMs,
    ]);
    assert.deepEqual(
      views,
      part.messages.map((
        m,
      ) => [m.seq, m.state, m.deliveries, m.key, m.priority, m.dueAt, m.expiresAt]),
    );
    const lanes = model.lane(part, "high").length + model.lane(part, "normal").length;
    assert.equal(slot.deliverableCount(queue, part.number), lanes);
  }
}

/** The replicated content a refusal must leave alone: all but the applied index and log time. */
function content(slot: QueueSlot): Uint8Array {
  return slot.snapshot().subarray(17);
}

/** Checks that hold on the slot's own outputs, whatever the model says. */
class Observer {
  /** Per partition and key, the sequences in the order of their first delivery. */
  readonly firstDeliveries = new Map<string, number[]>();
  readonly delivered = new Set<string>();
  readonly pushedIds = new Set<string>();
  readonly ackedIds = new Set<string>();

  see(slot: QueueSlot, model: QueueModel, op: ReturnType<typeof opOfStep>, out: QueueOutcome) {
    if (out.kind === "pushed" && !out.duplicate) {
      this.pushedIds.add(`${hexOf(op.op === "tick" ? new Uint8Array() : op.queue)}/${out.id}`);
    }
    if (op.op === "ack" && out.kind === "done" && out.found) {
      const id = `${op.partition}-${op.sequence}`;
      assert.ok(!this.ackedIds.has(id), `${id} acked twice`);
      this.ackedIds.add(id);
    }
    for (const part of model.partitions.values()) {
      const queue = bytesOfHex(part.name);
      const s = slot.stats(queue, part.number);
      // Counts add up: every message that entered is in exactly one place.
      assert.equal(s.pushed, s.acked + s.dead + s.dropped + s.ready + s.inflight + s.delayed);
      // At most one message of a key in flight, and only the first live one of its key.
      const views = slot.messages(queue, part.number);
      for (const v of views) {
        if (v.state !== "inflight" || v.key === null) continue;
        const first = views.find((x) => x.key === v.key)!;
        assert.equal(
          first.sequence,
          v.sequence,
          `key ${v.key}: ${v.sequence} in flight behind ${first.sequence}`,
        );
      }
    }
    if (out.kind !== "delivered" || op.op !== "deliver") return;
    const name = hexOf(op.queue);
    for (const message of out.messages) {
      const sequence = Number(message.id.split("-")[1]);
      const view = slot.messages(op.queue, op.partition).find((v) => v.sequence === sequence)!;
      if (message.deliveries !== 1 || view.key === null) continue;
      const slotKey = `${op.partition}|${name}|${view.key}`;
      const order = this.firstDeliveries.get(slotKey) ?? [];
      // Per-key order of first deliveries (pushed queues only: dead queues keep arrival order).
      if (!name.endsWith(hexOf(new TextEncoder().encode(":dead")))) {
        assert.ok(order.every((s) => s < sequence), `key order: ${sequence} after ${order}`);
      }
      order.push(sequence);
      this.firstDeliveries.set(slotKey, order);
    }
  }
}

/** Runs `steps` on a slot, a model and (from `snapshotAt`) a restored copy, checking each op. */
function run(steps: Step[], snapshotAt: number): void {
  const slot = new QueueSlot(LIMITS);
  const model = new QueueModel(LIMITS);
  const observer = new Observer();
  let restored: QueueSlot | null = null;
  steps.forEach((step, i) => {
    if (i === snapshotAt) {
      const image = slot.snapshot();
      restored = QueueSlot.restore(image, LIMITS);
      assert.deepEqual(restored.snapshot(), image, "snapshot -> restore -> snapshot");
    }
    const op = opOfStep(step, model);
    const before = content(slot);
    const outcome = slot.apply(i + 1, op);
    assert.deepEqual(outcome, model.apply(op), `step ${i}: ${step.kind}`);
    if (restored !== null) assert.deepEqual((restored as QueueSlot).apply(i + 1, op), outcome);
    if (outcome.kind === "limit") {
      assert.deepEqual(content(slot), before, "a refusal changed the slot");
    }
    assertSame(slot, model);
    observer.see(slot, model, op, outcome);
  });
  if (restored !== null) assert.deepEqual((restored as QueueSlot).snapshot(), slot.snapshot());
  drain(slot, model, observer, steps.length + 1);
}

/**
 * Never lost: after the steps, time runs far ahead and every queue is popped and acked until
 * the slot is empty. Every pushed id was then acked exactly once or dropped by its TTL (dead
 * letters are acked in the dead queue under the same id).
 */
function drain(slot: QueueSlot, model: QueueModel, observer: Observer, firstIndex: number): void {
  let index = firstIndex;
  let nowMs = model.time + 1_000_000;
  const apply = (op: Parameters<QueueSlot["apply"]>[1]) => {
    const outcome = slot.apply(index++, op);
    assert.deepEqual(outcome, model.apply(op));
    observer.see(slot, model, op, outcome);
    return outcome;
  };
  for (let round = 0; round < 100 && slot.bytes > 0; round++) {
    nowMs += 1;
    while (true) {
      const tick = apply({ op: "tick", nowMs, eventsMax: 50 });
      if (tick.kind === "ticked" && !tick.more) break;
    }
    for (const part of [...model.partitions.values()]) {
      const queue = bytesOfHex(part.name);
      const out = apply({
        op: "deliver",
        queue,
        partition: part.number,
        nowMs,
        countMax: 50,
        visibilityMs: 1,
      });
      if (out.kind !== "delivered") continue;
      for (const m of out.messages) {
        const sequence = Number(m.id.split("-")[1]);
        apply({ op: "ack", queue, partition: part.number, nowMs, sequence });
      }
    }
  }
  assert.equal(slot.bytes, 0, "the drain emptied the slot");
  let dropped = 0;
  let acked = 0;
  for (const part of model.partitions.values()) {
    const s = slot.stats(bytesOfHex(part.name), part.number);
    dropped += s.dropped;
    acked += s.acked;
    assert.equal(s.ready + s.inflight + s.delayed, 0);
  }
  assert.equal(acked, observer.ackedIds.size);
  assert.equal(acked + dropped, observer.pushedIds.size, "every pushed message acked or dropped");
}

Deno.test("queue slot: any op sequence equals the model; counts add up; keys in order; nothing lost", () => {
  fc.assert(
    fc.property(fc.array(stepArb, { maxLength: 80, size: "max" }), fc.nat(80), (steps, at) => {
      run(steps, at);
    }),
    { numRuns: 300 },
  );
});

Deno.test("queue slot: the runs above reach every outcome and every limit", () => {
  // Guards the property against arbitraries that never reach a branch.
  const seen = new Set<string>();
  fc.assert(
    fc.property(fc.array(stepArb, { maxLength: 80, size: "max" }), (steps) => {
      const slot = new QueueSlot(LIMITS);
      const model = new QueueModel(LIMITS);
      steps.forEach((step, i) => {
        const op = opOfStep(step, model);
        const outcome = slot.apply(i + 1, op);
        model.apply(op);
        seen.add(outcome.kind === "limit" ? `limit:${outcome.limit}` : outcome.kind);
        if (outcome.kind === "pushed" && outcome.duplicate) seen.add("duplicate");
        if (outcome.kind === "done") seen.add(`${op.op}:${outcome.found}`);
        if (outcome.kind === "ticked" && outcome.more) seen.add("tick:more");
        if (outcome.kind === "delivered" && outcome.messages.some((m) => m.deliveries > 1)) {
          seen.add("redelivered");
        }
      });
      for (const part of model.partitions.values()) {
        if (part.stats.dead > 0) seen.add("dead");
        if (part.stats.dropped > 0) seen.add("dropped");
      }
    }),
    { numRuns: 300, seed: 1 },
  );
  const expected = [
    "pushed",
    "duplicate",
    "delivered",
    "redelivered",
    "configured",
    "ticked",
    "tick:more",
    "ack:true",
    "ack:false",
    "nack:true",
    "nack:false",
    "touch:true",
    "touch:false",
    "dead",
    "dropped",
    "limit:payloadBytes",
    "limit:partitionMessages",
    "limit:partitionBytes",
    "limit:slotBytes",
    "limit:queues",
    "limit:dedupEntries",
  ];
  assert.deepEqual(expected.filter((kind) => !seen.has(kind)), []);
});
