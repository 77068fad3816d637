import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeQueueOp,
  encodeQueueOp,
  type QueueOp,
  QueueSlot,
  QueueTimer,
} from "../../src/queues/mod.ts";

const QUEUE = new TextEncoder().encode("jobs");

function push(nowMs: number, delayMs = 0): QueueOp {
  return {
    op: "push",
    queue: QUEUE,
    partition: 0,
    nowMs,
    payload: new Uint8Array([1]),
    key: null,
    delayMs,
    ttlMs: null,
    priority: "normal",
    dedupId: null,
  };
}

Deno.test("queue timer: log time continues from the slot's across a reset and never goes back", () => {
  const slot = new QueueSlot();
  slot.apply(1, push(5_000));
  const timer = new QueueTimer();
  timer.reset(slot, 10);
  assert.equal(timer.nowMs(10), 5_000);
  assert.equal(timer.nowMs(110.7), 5_100);
  assert.equal(timer.nowMs(50), 5_100, "a host reading behind an earlier one");
});

Deno.test("queue timer: due() proposes one tick at the deadline until settled; dueBefore() always", () => {
  const slot = new QueueSlot();
  const timer = new QueueTimer(7);
  timer.reset(slot, 1_000);
  slot.apply(1, push(timer.nowMs(1_000), 500));
  assert.equal(timer.nextDueHostMs(slot), 1_500);
  assert.equal(timer.due(slot, 1_499), null);
  const tick = timer.due(slot, 1_500);
  assert.deepEqual(tick, { op: "tick", nowMs: 500, eventsMax: 7 });
  assert.equal(timer.due(slot, 1_600), null, "one tick in flight");
  assert.notEqual(timer.dueBefore(slot, 1_600), null, "a pop still gets its own tick");
  timer.settled(null);
  assert.notEqual(timer.due(slot, 1_600), null, "a failed tick is proposed again");
  const outcome = slot.apply(2, tick!);
  timer.settled(outcome);
  assert.deepEqual(outcome, { kind: "ticked", events: 1, more: false });
  assert.equal(timer.due(slot, 1_700), null);
  assert.equal(timer.nextDueHostMs(slot), null);
  assert.equal(slot.readyCount(QUEUE, 0), 1);
});

/**
 * Two replicas apply one log; the leader changes at a random moment, the new leader's host clock
 * has another origin, and the election takes a random time. A popped message is redelivered
 * never before its visibility has passed in real time, with its delivery count carried on.
 */
Deno.test("queue timer: across a leader change a visibility is never cut short and counts survive", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 1_500 }),
      fc.integer({ min: 0, max: 5_000 }),
      fc.integer({ min: -1_000_000, max: 1_000_000 }),
      (crashAfterMs, electionMs, originB) => {
        const replicas = [new QueueSlot(), new QueueSlot()];
        let index = 0;
        const commit = (op: QueueOp) => {
          const bytes = encodeQueueOp(op);
          index += 1;
          const outcomes = replicas.map((r) => r.apply(index, decodeQueueOp(bytes)));
          assert.deepEqual(outcomes[0], outcomes[1]);
          return outcomes[0]!;
        };
        const visibilityMs = 1_000;
        const timerA = new QueueTimer();
        const hostA = (realMs: number) => realMs + 3_000_000;
        timerA.reset(replicas[0]!, hostA(0));
        commit(push(timerA.nowMs(hostA(0))));
        const first = commit({
          op: "deliver",
          queue: QUEUE,
          partition: 0,
          nowMs: timerA.nowMs(hostA(100)),
          countMax: 1,
          visibilityMs,
        });
        assert.ok(first.kind === "delivered" && first.messages[0]!.deliveries === 1);
        let realMs = 100;
        let redeliveredAtMs: number | null = null;
        // A ticks until it crashes, then B leads after the election, every 10 ms of real time.
        const timerB = new QueueTimer();
        const hostB = (ms: number) => ms + originB;
        let bLeads = false;
        let lastCommitRealMs = 100;
        let gapMs = 0;
        while (redeliveredAtMs === null && realMs < 20_000) {
          realMs += 10;
          const crashed = realMs > 100 + crashAfterMs;
          if (crashed && realMs < 100 + crashAfterMs + electionMs) continue;
          if (crashed && !bLeads) {
            timerB.reset(replicas[1]!, hostB(realMs));
            bLeads = true;
            gapMs = realMs - lastCommitRealMs;
          }
          const [timer, host] = bLeads ? [timerB, hostB(realMs)] : [timerA, hostA(realMs)];
          const tick = timer.due(replicas[1]!, host);
          if (tick !== null) timer.settled(commit(tick));
          const pop = commit({
            op: "deliver",
            queue: QUEUE,
            partition: 0,
            nowMs: timer.nowMs(host),
            countMax: 1,
            visibilityMs,
          });
          lastCommitRealMs = realMs;
          if (pop.kind === "delivered" && pop.messages.length > 0) {
            assert.equal(pop.messages[0]!.deliveries, 2, "delivery count carried on");
            redeliveredAtMs = realMs;
          }
        }
        assert.ok(redeliveredAtMs !== null, "redelivered");
        assert.ok(
          redeliveredAtMs - 100 >= visibilityMs,
          `redelivered after ${redeliveredAtMs - 100}`,
        );
        // Longer by at most the gap between the old leader's last entry and the new one's start.
        assert.ok(redeliveredAtMs - 100 <= visibilityMs + gapMs + 10);
      },
    ),
    { numRuns: 200 },
  );
});
