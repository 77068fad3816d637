import assert from "node:assert/strict";
import {
  QUEUE_CLAIM,
  type QueueFacts,
  type QueueRow,
  queueSectionBody,
} from "../../bench/report/parts/queues/section.ts";

const FACTS: QueueFacts = {
  natsVersion: "nats-server: v2.9.10",
  payloadBytes: 256,
  pushSeconds: 4,
  batchCount: 32,
  summaryProducers: 64,
  summaryNodes: 3,
};

function level(
  kind: QueueRow["kind"],
  nodes: number,
  phase: QueueRow["phase"],
  clients: number,
  messagesPerSecond: number,
  p99Ms = 10,
): QueueRow {
  return {
    kind,
    system: kind === "dsync" ? `dsync ${nodes} nodes` : `NATS ${nodes} servers R3`,
    nodes,
    phase,
    clients,
    messages: Math.round(messagesPerSecond * 4),
    messagesPerSecond,
    p50Ms: p99Ms / 2,
    p99Ms,
    errors: 0,
    firstError: null,
    loadAverage1m: 1,
  };
}

const ROWS: QueueRow[] = [
  level("dsync", 3, "push", 16, 400),
  level("nats", 3, "push", 16, 2_000),
  level("nats", 3, "push", 64, 4_000, 30),
  level("dsync", 3, "push", 64, 1_000, 120),
  level("dsync", 3, "push", 1, 50),
  level("dsync", 3, "pop+ack", 16, 900),
  level("nats", 3, "pop+ack", 16, 3_000),
  level("dsync", 1, "push", 64, 2_500),
];

Deno.test("the push summary row compares dsync and NATS at 64 producers on 3 nodes", () => {
  const { summary } = queueSectionBody(ROWS, FACTS);
  const push = summary.find((row) => row.measure.startsWith("push"))!;
  assert.equal(push.dsync, 1_000);
  assert.equal(push.peerValue, 4_000);
  assert.equal(push.ratio, 0.25);
  assert.equal(push.claim, QUEUE_CLAIM);
  assert.match(push.peer!, /NATS 3 servers R3 \(nats-server: v2\.9\.10\)/);
  assert.match(push.measure, /64 producers, 3 nodes/);
});

Deno.test("the pop+ack summary row compares the consume levels of the same cluster size", () => {
  const { summary } = queueSectionBody(ROWS, FACTS);
  const pop = summary.find((row) => row.measure.startsWith("pop+ack"))!;
  assert.equal(pop.dsync, 900);
  assert.equal(pop.peerValue, 3_000);
  assert.equal(pop.ratio, 0.3);
  assert.match(pop.measure, /16 consumers \(COUNT 32\), 3 nodes/);
});

Deno.test("without NATS rows the summary has no peer and no ratio", () => {
  const dsyncOnly = ROWS.filter((row) => row.kind === "dsync");
  const { summary, text } = queueSectionBody(dsyncOnly, { ...FACTS, natsVersion: null });
  assert.equal(summary.length, 2);
  for (const row of summary) {
    assert.equal(row.peer, null);
    assert.equal(row.peerValue, null);
    assert.equal(row.ratio, null);
  }
  assert.ok(!text.some((paragraph) => /x NATS/.test(paragraph)));
});

Deno.test("the text is written from the measured values", () => {
  const { text } = queueSectionBody(ROWS, FACTS);
  const all = text.join("\n");
  assert.match(all, /dsync stored 1,000 msgs\/s \(p99 120\.0 ms\)/);
  assert.match(all, /NATS 4,000 msgs\/s \(p99 30\.0 ms\)/);
  assert.match(all, /0\.25x NATS/);
  assert.match(all, /best push level was 2,500 msgs\/s with 64 producers on 1 node\./);
  assert.match(all, /fsynced on a majority/);
  assert.match(all, /v2\.9\.10 acknowledges/);
  const other = queueSectionBody(
    ROWS.map((row) => ({ ...row, messagesPerSecond: row.messagesPerSecond * 2 })),
    FACTS,
  ).text.join("\n");
  assert.match(other, /dsync stored 2,000 msgs\/s/);
});

Deno.test("charts: one push line per system, points in producer order, a log x axis", () => {
  const { charts } = queueSectionBody(ROWS, FACTS);
  const push = charts.find((chart) => chart.id === "queues-push-throughput")!;
  assert.equal(push.xScale, "log");
  assert.deepEqual(push.series.map((s) => s.name), [
    "dsync 3 nodes",
    "NATS 3 servers R3",
    "dsync 1 nodes",
  ]);
  assert.deepEqual(push.series[0]!.points, [
    { x: 1, y: 50 },
    { x: 16, y: 400 },
    { x: 64, y: 1_000 },
  ]);
  const consume = charts.find((chart) => chart.id === "queues-consume")!;
  assert.equal(consume.kind, "bar");
  assert.deepEqual(consume.series.map((s) => s.points), [[{ x: 3, y: 900 }], [{ x: 3, y: 3_000 }]]);
});

Deno.test("failed calls are named in the text", () => {
  const failed = { ...level("dsync", 5, "push", 256, 10), errors: 7, firstError: "-TRYAGAIN x" };
  const { text } = queueSectionBody([...ROWS, failed], FACTS);
  assert.match(
    text.join("\n"),
    /7 calls failed, in: dsync 5 nodes push 256 \(first: -TRYAGAIN x\)\./,
  );
});
