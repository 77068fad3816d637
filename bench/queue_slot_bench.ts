/**
 * Queue slot costs: applying 100,000 pushes (decoded from their entry bytes, as replicas do),
 * delivering them 100 at a time, acking them, a tick that redelivers 100,000 lapsed messages, and
 * a snapshot and a restore of 100,000 live messages. Messages per iteration are in each name.
 */
import { decodeQueueOp, encodeQueueOp, type QueueOp, QueueSlot } from "../src/queues/mod.ts";

const MESSAGE_COUNT = 100_000;
const encoder = new TextEncoder();
const QUEUE = encoder.encode("orders");
const PAYLOAD = new Uint8Array(64).fill(42);
const LIMITS = { partitionMessagesMax: MESSAGE_COUNT, queuesMax: 100 };
const PUSH_ENTRIES = Array.from({ length: MESSAGE_COUNT }, (_, i) =>
  encodeQueueOp({
    op: "push",
    queue: QUEUE,
    partition: i % 8,
    nowMs: 1,
    payload: PAYLOAD,
    key: i % 4 === 0 ? encoder.encode(`customer:${i % 1000}`) : null,
    delayMs: 0,
    ttlMs: 600_000,
    priority: i % 5 === 0 ? "high" : "normal",
    dedupId: null,
  }));

function filledSlot(): QueueSlot {
  const slot = new QueueSlot(LIMITS);
  PUSH_ENTRIES.forEach((entry, i) => slot.apply(i + 1, decodeQueueOp(entry)));
  return slot;
}

/** Delivers everything deliverable, 100 per op; returns the ack ops. */
function deliverAll(slot: QueueSlot, nowMs: number): QueueOp[] {
  const acks: QueueOp[] = [];
  let index = slot.appliedIndex;
  for (let partition = 0; partition < 8; partition++) {
    for (;;) {
      const out = slot.apply(++index, {
        op: "deliver",
        queue: QUEUE,
        partition,
        nowMs,
        countMax: 100,
        visibilityMs: 1_000,
      });
      if (out.kind !== "delivered" || out.messages.length === 0) break;
      for (const m of out.messages) {
        const sequence = Number(m.id.split("-")[1]);
        acks.push({ op: "ack", queue: QUEUE, partition, nowMs, sequence });
      }
    }
  }
  return acks;
}

const FILLED = filledSlot();
const IMAGE = FILLED.snapshot();

Deno.bench("queue: decode and apply 100,000 pushes", () => {
  filledSlot();
});

Deno.bench("queue: 100,000 pushes, delivered 100 per op and acked", () => {
  const slot = filledSlot();
  let index = slot.appliedIndex + 10_000;
  for (const ack of deliverAll(slot, 2)) slot.apply(++index, ack);
});

Deno.bench("queue: 100,000 pushes, delivered, all lapse; ticks make them ready again", () => {
  const slot = filledSlot();
  deliverAll(slot, 2);
  let index = slot.appliedIndex;
  for (;;) {
    const out = slot.apply(++index, { op: "tick", nowMs: 5_000, eventsMax: 1_000 });
    if (out.kind !== "ticked" || !out.more) break;
  }
});

Deno.bench(`queue: snapshot of 100,000 messages (${(IMAGE.length / 1e6).toFixed(1)} MB)`, () => {
  FILLED.snapshot();
});

Deno.bench("queue: restore 100,000 messages", () => {
  QueueSlot.restore(IMAGE, LIMITS);
});
