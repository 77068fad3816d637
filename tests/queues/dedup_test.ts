import assert from "node:assert/strict";
import fc from "fast-check";
import { type QueueOp, QueueSlot } from "../../src/queues/mod.ts";

const QUEUE = new TextEncoder().encode("mail");
const WINDOW_MS = 1_000;

function push(nowMs: number, dedup: string): QueueOp {
  return {
    op: "push",
    queue: QUEUE,
    partition: 0,
    nowMs,
    payload: new TextEncoder().encode(`sent at ${nowMs}`),
    key: null,
    delayMs: 0,
    ttlMs: null,
    priority: "normal",
    dedupId: new TextEncoder().encode(dedup),
  };
}

Deno.test("queue dedup: a repeat inside the window returns the first id and adds nothing", () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ gapMs: fc.nat(700), id: fc.constantFrom("a", "b", "c") }), {
        maxLength: 60,
        size: "max",
      }),
      (pushes) => {
        const slot = new QueueSlot({ dedupWindowMs: WINDOW_MS });
        /** Per dedup id: when its current window started and the id it answers. */
        const first = new Map<string, { atMs: number; id: string }>();
        let nowMs = 0;
        pushes.forEach(({ gapMs, id }, i) => {
          nowMs += gapMs;
          const before = slot.stats(QUEUE, 0).pushed;
          const out = slot.apply(i + 1, push(nowMs, id));
          assert.ok(out.kind === "pushed");
          const seen = first.get(id);
          if (seen !== undefined && nowMs < seen.atMs + WINDOW_MS) {
            assert.deepEqual(out, { kind: "pushed", id: seen.id, duplicate: true });
            assert.equal(slot.stats(QUEUE, 0).pushed, before, "a duplicate added a message");
          } else {
            assert.equal(out.duplicate, false);
            assert.equal(slot.stats(QUEUE, 0).pushed, before + 1);
            first.set(id, { atMs: nowMs, id: out.id });
          }
        });
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("queue dedup: past dedupEntriesMax live ids a new id is refused and nothing changes", () => {
  const slot = new QueueSlot({ dedupEntriesMax: 2, dedupWindowMs: WINDOW_MS });
  assert.equal(slot.apply(1, push(0, "a")).kind, "pushed");
  assert.equal(slot.apply(2, push(10, "b")).kind, "pushed");
  const image = slot.snapshot().subarray(17);
  assert.deepEqual(slot.apply(3, push(20, "c")), {
    kind: "limit",
    limit: "dedupEntries",
    actual: 3,
    maximum: 2,
  });
  assert.deepEqual(slot.snapshot().subarray(17), image);
  // Repeats still answer inside the window; once "a" ages out, "c" fits.
  assert.deepEqual(slot.apply(4, push(30, "a")), { kind: "pushed", id: "0-1", duplicate: true });
  assert.deepEqual(slot.apply(5, push(1_000, "c")), {
    kind: "pushed",
    id: "0-3",
    duplicate: false,
  });
});
