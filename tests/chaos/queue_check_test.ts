import assert from "node:assert/strict";
import { checkQueueHistory, type QueueCheckOptions } from "./queue_check.ts";
import { parseStatsReply } from "./queue_history.ts";
import { queueOps, type Step } from "./test_histories.ts";

const Q: QueueCheckOptions = { queue: "q" };

/** Final STATS of q and q:dead (flat name/value pairs) with the given live/dropped counts. */
function finalStats(
  process: number,
  q: { ready?: number; inflight?: number; delayed?: number; dropped?: number } = {},
): Step[] {
  const pairs = (s: typeof q) => [
    ...["ready", s.ready ?? 0, "inflight", s.inflight ?? 0, "delayed", s.delayed ?? 0],
    ...["dead", 0, "pushed", 0, "acked", 0, "redelivered", 0, "dropped", s.dropped ?? 0],
  ];
  return [
    [process, "invoke", "STATS q"],
    [process, "ok", pairs(q)],
    [process, "invoke", "STATS q:dead"],
    [process, "ok", pairs({})],
  ];
}

function check(steps: readonly Step[], options: QueueCheckOptions = Q) {
  return checkQueueHistory(queueOps(steps), options);
}

function failedChecks(steps: readonly Step[], options: QueueCheckOptions = Q): string[] {
  const result = check(steps, options);
  return Object.entries(result.checks).filter(([, v]) => v !== "pass").map(([k, v]) => `${k} ${v}`);
}

Deno.test("queue check: ack, nack, lapse and touch pass; redeliveries are counted", () => {
  const result = check([
    [0, "invoke", "PUSH q m1 KEY k"],
    [0, "ok", "0-1"],
    [0, "invoke", "PUSH q m2"],
    [0, "ok", "1-2"],
    [0, "invoke", "PUSH q m3 KEY k"],
    [0, "ok", "0-3"],
    [1, "invoke", "POP q VISIBILITY 100 COUNT 2"],
    [1, "ok", [["0-1", "m1", 1], ["1-2", "m2", 1]]],
    [1, "invoke", "NACK q 0-1"], // m1 back to ready
    [1, "ok", 1],
    [1, "invoke", "TOUCH q 1-2 1000"],
    [1, "ok", 1],
    [1, "invoke", "ACK q 1-2"],
    [1, "ok", 1],
    [2, "invoke", "POP q VISIBILITY 100 COUNT 1"],
    [2, "ok", [["0-1", "m1", 2]]], // redelivered after the nack, counted
    [2, "invoke", "ACK q 0-1"],
    [2, "ok", 1],
    [2, "invoke", "POP q VISIBILITY 100 COUNT 1"],
    [2, "ok", [["0-3", "m3", 1]]], // visibility lapses: never acked
    [3, "invoke", "POP q VISIBILITY 100 COUNT 1"],
    [3, "ok", [["0-3", "m3", 2]]],
    [3, "invoke", "ACK q 0-3"],
    [3, "ok", 1],
    [3, "invoke", "ACK q 0-3"],
    [3, "ok", 0], // already acked
    ...finalStats(4),
  ]);
  assert.deepEqual(
    result.checks,
    {
      "queue-deliveries": "pass",
      "queue-no-loss": "pass",
      "queue-ack": "pass",
      "queue-key-order": "pass",
    },
    result.text,
  );
  assert.equal(result.duplicates.extraDeliveries, 2);
  assert.equal(result.duplicates.messagesRedelivered, 2);
  assert.equal(result.duplicates.uncounted, 0);
  assert.equal(result.duplicates.enqueuedTwice, 0);
  assert.deepEqual(result.duplicates.top, [
    { payload: "m1", deliveries: 2 },
    { payload: "m3", deliveries: 2 },
  ]);
  assert.match(result.text, /2 extra deliveries of 2 messages/);
});

Deno.test("queue check: an acked push never delivered, final stats empty, is lost", () => {
  const steps: Step[] = [
    [0, "invoke", "PUSH q m1"],
    [0, "ok", "0-1"],
    [0, "invoke", "PUSH q m2"],
    [0, "ok", "0-2"],
    [1, "invoke", "POP q COUNT 32"],
    [1, "ok", [["0-1", "m1", 1]]],
    ...finalStats(2),
  ];
  const result = check(steps);
  assert.equal(result.checks["queue-no-loss"], "fail");
  const lost = result.reports["no-loss"]!.violations;
  assert.equal(lost.length, 1);
  assert.equal(lost[0]!.kind, "lost");
  assert.match(lost[0]!.message, /m2 \(id 0-2\)/);
  // The same history, where the message is delivered from the dead-letter queue: not lost.
  const dead: Step[] = [
    ...steps.slice(0, 6),
    [1, "invoke", "POP q:dead COUNT 32"],
    [1, "ok", [["0-9", "m2", 1]]],
    ...finalStats(2),
  ];
  assert.deepEqual(failedChecks(dead), []);
});

Deno.test("queue check: what the final stats count is not lost; no stats: unknown", () => {
  const pushed: Step[] = [
    [0, "invoke", "PUSH q m1"],
    [0, "ok", "0-1"],
    [0, "invoke", "PUSH q m2"],
    [0, "ok", "0-2"],
  ];
  assert.deepEqual(failedChecks([...pushed, ...finalStats(1, { ready: 1, inflight: 1 })]), []);
  assert.deepEqual(failedChecks([...pushed, ...finalStats(1, { ready: 1 })]), [
    "queue-no-loss fail",
  ]);
  assert.deepEqual(failedChecks(pushed), ["queue-no-loss unknown"]);
  // Only q's stats, not q:dead's: still unknown.
  assert.deepEqual(failedChecks([...pushed, ...finalStats(1, { ready: 2 }).slice(0, 2)]), [
    "queue-no-loss unknown",
  ]);
});

Deno.test("queue check: only a push with TTL may be accounted as dropped", () => {
  const steps = (ttl: string): Step[] => [
    [0, "invoke", `PUSH q m1${ttl}`],
    [0, "ok", "0-1"],
    ...finalStats(1, { dropped: 1 }),
  ];
  assert.deepEqual(failedChecks(steps(" TTL 100")), []);
  assert.deepEqual(failedChecks(steps("")), ["queue-no-loss fail"]);
});

Deno.test("queue check: failed pushes, and unknown ones, need not be delivered", () => {
  assert.deepEqual(
    failedChecks([
      [0, "invoke", "PUSH q m1"],
      [0, "info", "TIMEOUT client-side"],
      [1, "invoke", "PUSH q m2"],
      [1, "fail", "TRYAGAIN no leader"],
      ...finalStats(2),
    ]),
    [],
  );
});

Deno.test("queue check: a delivery no push sent, or of a failed push, is a violation", () => {
  const result = check([
    [0, "invoke", "PUSH q m1"],
    [0, "fail", "NOQUORUM"],
    [1, "invoke", "POP q COUNT 2"],
    [1, "ok", [["0-1", "m1", 1], ["0-2", "ghost", 1]]],
    ...finalStats(2),
  ]);
  assert.equal(result.checks["queue-deliveries"], "fail");
  assert.deepEqual(result.reports["deliveries"]!.violations.map((v) => v.kind), [
    "failed-push-delivered",
    "phantom",
  ]);
});

Deno.test("queue check: a POP invoked after an acked ACK may not deliver the message", () => {
  const base: Step[] = [
    [0, "invoke", "PUSH q m1"],
    [0, "ok", "0-1"],
    [1, "invoke", "POP q VISIBILITY 10"],
    [1, "ok", [["0-1", "m1", 1]]],
  ];
  const after = check([
    ...base,
    [1, "invoke", "ACK q 0-1"],
    [1, "ok", 1],
    [2, "invoke", "POP q"],
    [2, "ok", [["0-1", "m1", 2]]],
    ...finalStats(3),
  ]);
  assert.equal(after.checks["queue-ack"], "fail");
  assert.match(after.reports["ack"]!.violations[0]!.message, /q 0-1 \(m1, delivery 2\)/);
  // Concurrent with the ACK (invoked before it completed): may have come first.
  assert.deepEqual(
    failedChecks([
      ...base,
      [1, "invoke", "ACK q 0-1"],
      [2, "invoke", "POP q"],
      [1, "ok", 1],
      [2, "ok", [["0-1", "m1", 2]]],
      ...finalStats(3),
    ]),
    [],
  );
  // An ACK of unknown outcome, or answered 0, proves nothing.
  for (const end of [[1, "info", "TIMEOUT"], [1, "ok", 0]] as Step[]) {
    assert.deepEqual(
      failedChecks([
        ...base,
        [1, "invoke", "ACK q 0-1"],
        end,
        [2, "invoke", "POP q"],
        [2, "ok", [["0-1", "m1", 2]]],
        ...finalStats(3),
      ]),
      [],
    );
  }
});

const keyed: Step[] = [
  [0, "invoke", "PUSH q a KEY k"],
  [0, "ok", "0-1"],
  [0, "invoke", "PUSH q b KEY k"],
  [0, "ok", "0-2"],
];

Deno.test("queue check: per key, a later push first delivered before an earlier one fails", () => {
  const result = check([
    ...keyed,
    [1, "invoke", "POP q"],
    [1, "ok", [["0-2", "b", 1]]],
    [1, "invoke", "POP q"],
    [1, "ok", [["0-1", "a", 1]]],
    ...finalStats(2),
  ]);
  assert.equal(result.checks["queue-key-order"], "fail", result.text);
  assert.match(result.reports["key-order"]!.violations[0]!.message, /key k: b .* before a/);
  // The earlier one never delivered at all: an order violation (and a lost message).
  assert.deepEqual(
    failedChecks([
      ...keyed,
      [1, "invoke", "POP q"],
      [1, "ok", [["0-2", "b", 1]]],
      ...finalStats(2),
    ]),
    ["queue-no-loss fail", "queue-key-order fail"],
  );
  // In order, or on different keys: passes.
  const inOrder: Step[] = [
    ...keyed,
    [1, "invoke", "POP q"],
    [1, "ok", [["0-1", "a", 1]]],
    [1, "invoke", "POP q"],
    [1, "ok", [["0-2", "b", 1]]],
    ...finalStats(2),
  ];
  assert.deepEqual(failedChecks(inOrder), []);
  const twoKeys = inOrder.map((s) =>
    s[2] === "PUSH q b KEY k" ? [0, "invoke", "PUSH q b KEY j"] : s
  );
  const swapped: Step[] = [
    ...twoKeys.slice(0, 4) as Step[],
    [1, "invoke", "POP q"],
    [1, "ok", [["0-2", "b", 1]]],
    [1, "invoke", "POP q"],
    [1, "ok", [["0-1", "a", 1]]],
    ...finalStats(2),
  ];
  assert.deepEqual(failedChecks(swapped), []);
});

Deno.test("queue check: concurrent pushes of a key have no order to keep", () => {
  assert.deepEqual(
    failedChecks([
      [0, "invoke", "PUSH q a KEY k"],
      [1, "invoke", "PUSH q b KEY k"],
      [0, "ok", "0-1"],
      [1, "ok", "0-2"],
      [2, "invoke", "POP q"],
      [2, "ok", [["0-2", "b", 1]]],
      [2, "invoke", "POP q"],
      [2, "ok", [["0-1", "a", 1]]],
      ...finalStats(3),
    ]),
    [],
  );
});

Deno.test("queue check: an unknown POP may have delivered the earlier message first", () => {
  const steps: Step[] = [
    ...keyed,
    [3, "invoke", "POP q", 5_000], // its reply is lost: it may have taken a
    [3, "info", "TIMEOUT client-side"],
    [1, "invoke", "POP q"],
    [1, "ok", [["0-2", "b", 1]]],
    [1, "invoke", "POP q"],
    [1, "ok", [["0-1", "a", 2]]],
    ...finalStats(2),
  ];
  assert.deepEqual(failedChecks(steps), []);
  // With an effect window, an unknown POP invoked long before the push cannot excuse it.
  const early: Step[] = [
    [3, "invoke", "POP q", 5_000],
    [3, "info", "TIMEOUT client-side"],
    ...keyed,
    [1, "invoke", "POP q"],
    [1, "ok", [["0-2", "b", 1]]],
    [1, "invoke", "POP q"],
    [1, "ok", [["0-1", "a", 2]]],
    ...finalStats(2),
  ];
  assert.deepEqual(failedChecks(early), []);
  assert.deepEqual(failedChecks(early, { queue: "q", unknownEffectWindowMs: 1_000 }), [
    "queue-key-order fail",
  ]);
  // An unknown POP of another queue excuses nothing.
  assert.deepEqual(
    failedChecks(steps.map((s) => (s[2] === "POP q" && s[0] === 3 ? [3, "invoke", "POP r"] : s))),
    ["queue-key-order fail"],
  );
});

Deno.test("queue check: a TTL'd earlier push does not order later ones", () => {
  assert.deepEqual(
    failedChecks([
      [0, "invoke", "PUSH q a KEY k TTL 50"],
      [0, "ok", "0-1"],
      [0, "invoke", "PUSH q b KEY k"],
      [0, "ok", "0-2"],
      [1, "invoke", "POP q"],
      [1, "ok", [["0-2", "b", 1]]],
      ...finalStats(2, { dropped: 1 }),
    ]),
    [],
  );
});

Deno.test("queue check: duplicates the delivery count missed, and a push stored twice", () => {
  const result = check([
    [0, "invoke", "PUSH q m1"],
    [0, "ok", "0-1"],
    [1, "invoke", "POP q VISIBILITY 10"],
    [1, "ok", [["0-1", "m1", 1]]],
    [1, "invoke", "POP q VISIBILITY 10"],
    [1, "ok", [["0-1", "m1", 1]]], // delivered again, count not raised
    [1, "invoke", "POP q VISIBILITY 10"],
    [1, "ok", [["0-7", "m1", 1]]], // the same push under a second id
    ...finalStats(2),
  ]);
  assert.deepEqual(Object.values(result.checks), ["pass", "pass", "pass", "pass"]);
  assert.equal(result.duplicates.extraDeliveries, 2);
  assert.equal(result.duplicates.uncounted, 2);
  assert.equal(result.duplicates.enqueuedTwice, 1);
  assert.match(result.text, /m1: delivered 3 times/);
});

Deno.test("queue check: replies a command cannot give are refused", () => {
  assert.throws(
    () => check([[1, "invoke", "POP q"], [1, "ok", [["0-1", "m1"]]]]),
    /not \[id, payload, delivery-count\]/,
  );
  assert.throws(() => check([[1, "invoke", "POP q"], [1, "ok", "OK"]]), /not an array/);
  assert.throws(() => check([[1, "invoke", "POP q"], [1, "ok", [["0-1", "m", 0]]]]), /below 1/);
  assert.throws(() => check([[0, "invoke", "PUSH q m1"], [0, "ok", 7]]), /not an id/);
  assert.throws(() => check([[0, "invoke", "ACK q 0-1"], [0, "ok", 2]]), /not 0 or 1/);
  assert.throws(() => check([[0, "invoke", "PUSH q m1 BOGUS"], [0, "ok", "0-1"]]), /bad option/);
  assert.throws(() => check([], { queue: "q", unknownEffectWindowMs: -1 }), RangeError);
});

Deno.test("queue check: STATS replies parse flat and as pairs, the last one counts", () => {
  const flat = queueOps([[0, "invoke", "STATS q"], [0, "ok", ["ready", 3, "inflight", 1]]]);
  const nested = queueOps([[0, "invoke", "STATS q"], [0, "ok", [["ready", 3], ["inflight", 1]]]]);
  assert.deepEqual(parseStatsReply(flat[0]!), { ready: 3, inflight: 1 });
  assert.deepEqual(parseStatsReply(nested[0]!), { ready: 3, inflight: 1 });
  assert.throws(
    () => parseStatsReply(queueOps([[0, "invoke", "STATS q"], [0, "ok", ["ready"]]])[0]!),
    /name\/value/,
  );
  // An earlier reading that counted the message does not excuse a later empty one.
  const steps: Step[] = [
    [0, "invoke", "PUSH q m1"],
    [0, "ok", "0-1"],
    ...finalStats(1, { ready: 1 }),
    ...finalStats(1),
  ];
  assert.deepEqual(failedChecks(steps), ["queue-no-loss fail"]);
});

Deno.test("queue check: in one POP's reply, a key's messages stand in push order", () => {
  const reply = (first: string, second: string): Step[] => [
    ...keyed,
    [1, "invoke", "POP q COUNT 2"],
    [1, "ok", [[first === "a" ? "0-1" : "0-2", first, 1], [
      second === "a" ? "0-1" : "0-2",
      second,
      1,
    ]]],
    ...finalStats(2),
  ];
  assert.deepEqual(failedChecks(reply("a", "b")), []);
  const result = check(reply("b", "a"));
  assert.equal(result.checks["queue-key-order"], "fail");
  assert.match(result.reports["key-order"]!.violations[0]!.message, /ahead of it in that reply/);
});
