import assert from "node:assert/strict";
import {
  type TimelineFacts,
  timelineParagraph,
  type TrialFacts,
  trialsParagraph,
} from "../../bench/report/parts/failures/text.ts";
import { failuresSummary, failuresTables } from "../../bench/report/parts/failures/tables.ts";
import { timelineChart, timelineFacts } from "../../bench/report/parts/failures/facts.ts";

const TIMELINE: TimelineFacts = {
  fault: "kill -9 of the group's leader",
  victim: "n2",
  victimLed: ["locks", "SETs"],
  leaderMoves: [
    { leaderId: "n1", what: "locks", afterFaultSeconds: 0.44 },
    { leaderId: "n2", what: "SETs", afterFaultSeconds: 7.25 },
  ],
  baselineLocksPerSecond: 412.25,
  duringLocksPerSecond: 37.5,
  afterLocksPerSecond: 399,
  lockGap: { lengthMs: 843.6, startSeconds: 0 },
  setGap: { lengthMs: 12_345, startSeconds: 5.25 },
};

const TRIALS: TrialFacts = {
  count: 5,
  detection: { best: 11, median: 22, worst: 33 },
  election: { best: 100, median: 200, worst: 300 },
  firstSuccess: { best: 150, median: 250, worst: 350 },
  etcd: {
    version: "etcd 9.9.9",
    count: 4,
    election: { best: 1_000, median: 1_100, worst: 1_200 },
    firstSuccess: { best: 1_500, median: 1_750, worst: 2_000 },
  },
};

Deno.test("timeline paragraph: quotes the measured rates, gaps and node", () => {
  const text = timelineParagraph(TIMELINE);
  const figures = [
    "412/s",
    "37.5/s",
    "399/s",
    "844 ms, from the fault on",
    "12.3 s, beginning 5.3 s",
  ];
  for (const figure of [...figures, "n2 led the groups of the locks and the SETs at the fault"]) {
    assert.ok(text.includes(figure), `${figure} missing in: ${text}`);
  }
  assert.ok(
    text.includes("moved: locks to n1 at 0.4 s, SETs to n2 at 7.3 s after the fault"),
    text,
  );
  assert.ok(text.includes("back to n2"), text);
  assert.ok(!timelineParagraph({ ...TIMELINE, setGap: null }).includes("acknowledged SET"));
  const unhealed = timelineParagraph({ ...TIMELINE, afterLocksPerSecond: null });
  assert.ok(unhealed.includes("37.5/s after the fault (not healed"), unhealed);
  const none = timelineParagraph({ ...TIMELINE, victimLed: [] });
  assert.ok(none.includes("n2 led neither of the load's groups"), none);
  const still = timelineParagraph({ ...TIMELINE, leaderMoves: [] });
  assert.ok(still.includes("leader changed") && !still.includes("back to"), still);
});

Deno.test("trials paragraph: medians and worsts of dsync and etcd, then the claims", () => {
  const text = trialsParagraph(TRIALS);
  for (const figure of ["5 trials", "22 ms", "33 ms", "200 ms", "250 ms", "350 ms"]) {
    assert.ok(text.includes(figure), `${figure} missing in: ${text}`);
  }
  for (const figure of ["etcd 9.9.9", "4 trials", "1100 ms", "1750 ms", "2000 ms"]) {
    assert.ok(text.includes(figure), `${figure} missing in: ${text}`);
  }
  assert.ok(text.includes("3.2 s") && text.includes("4.1 s") && text.includes("7.3 s"));
  const alone = trialsParagraph({ ...TRIALS, count: 1, etcd: null });
  assert.ok(alone.includes("1 trial ") && !alone.includes("etcd"), alone);
});

Deno.test("summary rows: medians, lower is better so the ratio is etcd / dsync", () => {
  const rows = failuresSummary(TRIALS);
  assert.deepEqual(rows.map((row) => [row.dsync, row.peer, row.peerValue, row.ratio, row.claim]), [
    [22, null, null, null, "failure detection 3.2 s"],
    [200, "etcd 9.9.9", 1_100, 5.5, "election 4.1 s"],
    [250, "etcd 9.9.9", 1_750, 7, "recovery 7.3 s"],
  ]);
  assert.ok(rows.every((row) => row.primitive === "failover"));
  assert.deepEqual(failuresSummary({ ...TRIALS, etcd: null }).map((row) => row.ratio), [
    null,
    null,
    null,
  ]);
  assert.deepEqual(failuresSummary(null), []);
});

Deno.test("tables: one row per fault; trials as best/median/worst with '-' for etcd detection", () => {
  const [timelines, trials] = failuresTables([TIMELINE], TRIALS);
  assert.deepEqual(timelines!.rows, [[
    "kill -9 of the group's leader",
    412.3,
    37.5,
    399,
    844,
    0,
    12345,
  ]]);
  assert.deepEqual(trials!.rows[0], [
    "detection (leader marked down)",
    11,
    22,
    33,
    null,
    null,
    null,
    3200,
  ]);
  assert.deepEqual(trials!.rows[2], [
    "first success (lock granted)",
    150,
    250,
    350,
    1500,
    1750,
    2000,
    7300,
  ]);
  assert.equal(trials!.columns.length, trials!.rows[0]!.length);
  assert.deepEqual(failuresTables([], null), []);
});

Deno.test("timeline chart and facts: marks at the faults, rates per phase from the completions", () => {
  // 10 cycles/s for 3 s, nothing for 1 s after the fault at 3 s, 20/s after the heal at 4 s.
  const locks = [
    ...Array.from({ length: 30 }, (_, i) => 1_000 + i * 100 + 50),
    ...Array.from({ length: 40 }, (_, i) => 5_000 + i * 50 + 25),
  ];
  const run = {
    victim: "n1",
    victimLed: ["locks"],
    startMs: 1_000,
    faultAtMs: 4_000,
    healAtMs: 5_000,
    endMs: 7_000,
    events: [{ atMs: 4_000, label: "kill -9 n1" }, { atMs: 5_000, label: "restart n1" }],
    leaderEvents: [{ atMs: 2_000, label: "n1 leads locks" }, {
      atMs: 4_500,
      label: "n2 leads SETs",
    }],
    lockCompletionsMs: locks,
    setCompletionsMs: [],
    setClientCount: 0,
    healed: true,
  };
  const chart = timelineChart("failures-kill", "Kill", run);
  assert.deepEqual(chart.marks, [
    { x: 1, label: "n1 leads locks" },
    { x: 3, label: "kill -9 n1" },
    { x: 3.5, label: "n2 leads SETs" },
    { x: 4, label: "restart n1" },
  ]);
  assert.equal(chart.series.length, 1);
  assert.equal(chart.series[0]!.points.length, 60);
  const facts = timelineFacts("kill", run);
  assert.equal(facts.baselineLocksPerSecond, 10);
  assert.equal(facts.duringLocksPerSecond, 0);
  assert.equal(facts.afterLocksPerSecond, 20);
  // from the fault at 4000 to the first cycle after it at 5025
  assert.deepEqual(facts.lockGap, { lengthMs: 1_025, startSeconds: 0 });
  assert.equal(facts.setGap, null);
  assert.deepEqual(facts.leaderMoves, [{ leaderId: "n2", what: "SETs", afterFaultSeconds: 0.5 }]);
  assert.equal(timelineFacts("kill", { ...run, healed: false }).afterLocksPerSecond, null);
});
