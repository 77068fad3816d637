import assert from "node:assert/strict";
import { lockHistory, type Step } from "./test_histories.ts";
import { NEMESIS_KINDS, planNemesis } from "./nemesis.ts";
import { parseNemesisList } from "./runner/main.ts";
import { runChaos } from "./runner/run.ts";
import { judgeRun } from "./runner/verdict.ts";
import { judgeKvRun, judgeKvWriteBackRun } from "./runner/kv_verdict.ts";
import { HistoryRecorder } from "./history.ts";
import { ChaosCluster } from "./runner/harness.ts";
import { pairOperations } from "./history.ts";
import { sampleForTimeline } from "./runner/run.ts";

const TTL = "TTL 600000 WAIT 0";
const judge = { healMs: 0, recoveryMsMax: 1_000, unknownEffectWindowMs: 10_000 };

// ---- the verdict on hand-made histories (no processes) ----

Deno.test("verdict: a good history passes", () => {
  const events = lockHistory([
    [0, "invoke", `ACQUIRE L a EXCLUSIVE ${TTL}`],
    [0, "ok", 1],
    [0, "invoke", "RELEASE L a TOKEN 1"],
    [0, "ok", 1],
    [1, "invoke", `ACQUIRE L b EXCLUSIVE ${TTL}`],
    [1, "ok", 2],
    [2, "invoke", "INFO L"],
    [2, "ok", ["exclusive", [["b", 2, 600000]], []]],
  ]);
  const verdict = judgeRun(events, judge);
  assert.equal(verdict.status, "pass", verdict.text);
  assert.deepEqual(verdict.counts, { total: 4, ok: 4, fail: 0, info: 0 });
});

Deno.test("verdict: two exclusive grants at once fail every safety checker", () => {
  const events = lockHistory([
    [0, "invoke", `ACQUIRE L a EXCLUSIVE ${TTL}`],
    [0, "ok", 1],
    [1, "invoke", `ACQUIRE L b EXCLUSIVE ${TTL}`],
    [1, "ok", 2],
    [2, "invoke", "INFO L"],
    [2, "ok", ["exclusive", [["b", 2, 600000]], []]],
  ]);
  const verdict = judgeRun(events, judge);
  assert.equal(verdict.status, "fail");
  assert.equal(verdict.checks["linearizability"], "fail");
  assert.equal(verdict.checks["mutual-exclusion"], "fail");
  assert.equal(verdict.checks["final-reads"], "fail");
  assert.match(verdict.text, /^verdict: fail/);
  assert.match(verdict.text, /overlap/);
  assert.match(verdict.text, /missing-grant/);
});

Deno.test("verdict: an acknowledged release seen held fails", () => {
  const events = lockHistory([
    [0, "invoke", `ACQUIRE L a EXCLUSIVE ${TTL}`],
    [0, "ok", 1],
    [0, "invoke", "RELEASE L a TOKEN 1"],
    [0, "ok", 1],
    [1, "invoke", "INFO L"],
    [1, "ok", ["exclusive", [["a", 1, 600000]], []]],
  ]);
  const verdict = judgeRun(events, judge);
  assert.equal(verdict.status, "fail");
  assert.equal(verdict.checks["final-reads"], "fail");
  assert.match(verdict.text, /released-seen-held/);
});

Deno.test("verdict: no success after the heal fails recovery", () => {
  const events = lockHistory([
    [0, "invoke", `ACQUIRE L a EXCLUSIVE ${TTL}`],
    [0, "ok", 1],
    [1, "invoke", `ACQUIRE L b EXCLUSIVE ${TTL}`],
    [1, "fail", "NOQUORUM no quorum"],
  ]);
  const verdict = judgeRun(events, { ...judge, healMs: 15 });
  assert.equal(verdict.status, "fail");
  assert.equal(verdict.checks["recovery"], "fail");
});

Deno.test("verdict: harness problems, too few operations or a search bound are inconclusive", () => {
  const events = lockHistory([
    [0, "invoke", `ACQUIRE L a EXCLUSIVE ${TTL}`],
    [0, "ok", 1],
  ]);
  const broken = judgeRun(events, { ...judge, harnessErrors: ["restart of n2: no PING"] });
  assert.equal(broken.status, "inconclusive");
  assert.match(broken.text, /restart of n2/);
  assert.equal(judgeRun(events, { ...judge, okCountMin: 10 }).status, "inconclusive");
  const steps: Step[] = [];
  for (let p = 0; p < 12; p++) steps.push([p, "invoke", `ACQUIRE L o${p} SHARED ${TTL}`]);
  for (let p = 0; p < 12; p++) steps.push([p, "info", "TIMEOUT"]);
  steps.push([20, "invoke", "INFO L"], [20, "ok", ["none", [], []]]);
  const bounded = judgeRun(lockHistory(steps), {
    ...judge,
    unknownEffectWindowMs: Number.POSITIVE_INFINITY,
    statesExploredMax: 3,
  });
  assert.equal(bounded.checks["linearizability"], "unknown", bounded.text);
  assert.equal(bounded.status, "inconclusive");
});

Deno.test("kv verdict: a register history passes; a stale read fails with its counterexample", () => {
  let nowMs = 0;
  const recorder = new HistoryRecorder(() => nowMs++);
  recorder.invoke(0, "SET", ["k0", "0.0"]);
  recorder.ok(0, "OK");
  recorder.invoke(1, "GET", ["k0"]);
  recorder.ok(1, "0.0");
  const good = judgeKvRun(recorder.events(), judge);
  assert.equal(good.status, "pass", good.text);
  recorder.invoke(0, "SET", ["k0", "0.1"]);
  recorder.ok(0, "OK");
  recorder.invoke(1, "GET", ["k0"]);
  recorder.ok(1, "0.0");
  const stale = judgeKvRun(recorder.events(), judge);
  assert.equal(stale.status, "fail", stale.text);
  assert.ok(stale.text.includes('read "0.0", but the value is "0.1"'), stale.text);
});

Deno.test("kv-back verdict: a write lost in the faults passes; a stale read after them, a read of a failed SET or final reads that disagree fail", () => {
  let nowMs = 0;
  const recorder = new HistoryRecorder(() => nowMs++);
  const record = (
    process: number,
    op: string,
    args: string[],
    type: "ok" | "fail",
    result: string | null,
  ) => {
    recorder.invoke(process, op, args);
    if (type === "ok") recorder.ok(process, result);
    else recorder.fail(process, result ?? "");
  };
  // The fault phase: 0.1 acknowledged on one node, then lost (a later read sees 0.0).
  record(0, "SET", ["k0", "0.0"], "ok", "OK");
  record(0, "SET", ["k0", "0.1"], "ok", "OK");
  record(1, "GET", ["k0"], "ok", "0.0");
  const calmFromEvent = recorder.events().length;
  record(2, "SET", ["k0", "r0.0"], "ok", "OK");
  record(1, "GET", ["k0"], "ok", "r0.0");
  const fromEvent = recorder.events().length;
  record(3, "GET", ["k0"], "ok", "r0.0");
  record(3, "GET", ["k0"], "ok", "r0.0");
  const finalReads = { fromEvent, toEvent: recorder.events().length };
  const options = { ...judge, afterTheFaults: { calmFromEvent, finalReads } };
  const good = judgeKvWriteBackRun(recorder.events(), options);
  assert.equal(good.status, "pass", good.text);
  assert.equal(judgeKvRun(recorder.events(), judge).status, "fail", "not linearizable as a whole");
  // A stale read after the faults.
  const stale = new HistoryRecorder(() => nowMs++);
  for (const event of recorder.events().slice(0, calmFromEvent + 2)) {
    if (event.type === "invoke") stale.invoke(event.process, event.op, event.args);
    else if (event.type === "ok") stale.ok(event.process, event.result);
  }
  stale.invoke(1, "GET", ["k0"]);
  stale.ok(1, "0.0");
  const staleVerdict = judgeKvWriteBackRun(stale.events(), {
    ...judge,
    afterTheFaults: { calmFromEvent, finalReads: { fromEvent: 0, toEvent: 0 } },
  });
  assert.equal(staleVerdict.checks["kv-linearizability-after-faults"], "fail", staleVerdict.text);
  // A read of a SET that failed, and final reads that disagree.
  record(0, "SET", ["k0", "0.2"], "fail", "TRYAGAIN no leader");
  record(1, "GET", ["k0"], "ok", "0.2");
  const finalFrom = recorder.events().length;
  record(3, "GET", ["k0"], "ok", "r0.0");
  record(3, "GET", ["k0"], "ok", "0.0");
  const bad = judgeKvWriteBackRun(recorder.events(), {
    ...judge,
    afterTheFaults: { calmFromEvent, finalReads: { fromEvent: finalFrom, toEvent: finalFrom + 4 } },
  });
  assert.equal(bad.checks["write-back-values"], "fail");
  assert.match(bad.text, /returned 0\.2, whose SET failed/);
  assert.match(bad.text, /final reads of k0 disagree/);
});

Deno.test("nemesis list: aliases expand, unknown names are refused", () => {
  assert.deepEqual(parseNemesisList("partition,kill"), [
    "partition-majority",
    "partition-bridge",
    "isolate-leader",
    "kill",
  ]);
  assert.deepEqual(new Set(parseNemesisList("all")), new Set(NEMESIS_KINDS));
  assert.deepEqual(parseNemesisList("loss,delay"), ["link-loss-oneway", "link-delay"]);
  assert.throws(() => parseNemesisList("kill,flood"), /Unknown nemesis "flood"/);
  assert.throws(() => parseNemesisList(""), /No nemesis/);
});

Deno.test("timeline sample: keeps the bound, unknown outcomes first, in history order", () => {
  const steps: Step[] = [];
  for (let i = 0; i < 50; i++) {
    steps.push([0, "invoke", "INFO L", 1], [0, i % 10 === 0 ? "info" : "ok", ["none", [], []], 1]);
  }
  const ops = pairOperations(lockHistory(steps));
  const shown = sampleForTimeline(ops, 20);
  assert.equal(shown.length, 20);
  assert.equal(shown.filter((op) => op.outcome === "info").length, 5);
  assert.deepEqual(
    shown.map((op) => op.opIndex),
    [...shown.map((op) => op.opIndex)].sort((a, b) => a - b),
  );
});

Deno.test("harness: refuses a cluster size outside 1..5", async () => {
  await assert.rejects(() => ChaosCluster.start({ nodeCount: 6 }), /6 nodes is not in 1..5/);
});

// ---- short real runs (about 25 s each) with fixed seeds ----

const RUN_MS = 22_000;
/** The lease run is shorter: its checks add a few seconds, and CI time adds up. */
const LEASE_RUN_MS = 18_000;
/** The kv run is short too: it adds one more process run to CI. */
const KV_RUN_MS = 15_000;
/** The queue run as well; its drain after the heal adds at least 4 s. */
const QUEUE_RUN_MS = 12_000;

async function shortRun(
  seed: number,
  kinds: Parameters<typeof planNemesis>[0]["kinds"],
  workload: "basic" | "lease" | "kv" | "kv-back" | "queue" = "basic",
  runMs = RUN_MS,
) {
  const lines: string[] = [];
  const result = await runChaos({
    timeMs: runMs,
    seed,
    kinds,
    workload,
    log: (l) => lines.push(l),
  });
  assert.equal(result.verdict.status, "pass", `${lines.join("\n")}\n${result.verdict.text}`);
  assert.ok(result.faultCount >= 3, `only ${result.faultCount} faults applied`);
  assert.ok(result.verdict.counts.ok > 100, `only ${result.verdict.counts.ok} ok operations`);
  return result;
}

Deno.test("chaos run: partitions, bridge, leader isolation and link delay", async () => {
  await shortRun(11, ["partition-majority", "partition-bridge", "isolate-leader", "link-delay"]);
});

Deno.test("chaos run: kill -9, pause and restart", async () => {
  await shortRun(12, ["kill", "pause", "restart"]);
});

Deno.test("chaos run: wiped minority re-joined by the documented procedure, kills, restarts", async () => {
  await shortRun(5, ["wipe-minority", "kill", "restart"]);
});

// Regression (seed 13): wiping n3, then n2, each after the previous one re-joined, used to lose
// quorum: CLUSTER ADD blocked on the learner's catch-up, timed out, and the joiner exited while
// staying a member. ADD now answers once the learner is added (the leader promotes it when caught
// up) and --join retries until the add is confirmed.
Deno.test("chaos run: wipes in a row keep the cluster available (seed 13)", async () => {
  await shortRun(13, ["wipe-minority", "kill"]);
});

// Short leases refreshed 5-25 ms before they end, waits, clients leaving mid-wait, upgrades and
// downgrades, nested waits (deadlock attempts), abandoned leases; faults that move leadership.
// Before expiries named the renewal they expire, a refresh committed just ahead of an expiry was
// answered 1 and the expiry freed the lock anyway: this run failed with grants inside leases.
Deno.test("chaos run: leases under leader changes, pauses and kills (lease workload)", async () => {
  const kinds = ["isolate-leader", "pause", "kill", "link-delay"] as const;
  const result = await shortRun(21, [...kinds], "lease", LEASE_RUN_MS);
  const counts = result.leaseCounts!;
  assert.ok(counts.refreshesNearEnd >= 20, JSON.stringify(counts));
  assert.ok(counts.waits >= 50 && counts.disconnectsMidWait >= 5, JSON.stringify(counts));
  assert.ok(counts.nestedWaits >= 5 && counts.modeChanges >= 5, JSON.stringify(counts));
});

// GET/SET/DEL on six keys in different slots under leader isolation, partitions, a pause and a
// wiped member re-joined (slot replicas move); checked per key as a register. With reads served
// by a leader without its ReadIndex round (a deposed leader answers from its own state), this
// seed fails with a stale read; seeds 32 and 33 did not catch that, so it is a probe, not a proof.
Deno.test("chaos run: key-value registers stay linearizable per key (kv workload)", async () => {
  const kinds = ["isolate-leader", "partition-majority", "pause", "wipe-minority"] as const;
  const result = await shortRun(31, [...kinds], "kv", KV_RUN_MS);
  assert.equal(result.verdict.checks["kv-linearizability"], "pass", result.verdict.text);
});

// The same registers with write-back caches: a write acknowledged on its node may be lost in the
// faults, so the run then goes on healed (kv_write_back.ts) and that phase must be linearizable,
// every value read must come from a SET that did not fail, and every node's final reads agree.
// With a local DEL answering 1 for a missing key (fixed 2026-12-01) this seed fails.
Deno.test("chaos run: write-back registers agree and are linearizable after the faults (kv-back workload)", async () => {
  const kinds = ["isolate-leader", "partition-majority", "pause", "wipe-minority"] as const;
  const result = await shortRun(31, [...kinds], "kv-back", KV_RUN_MS);
  assert.equal(result.verdict.checks["kv-linearizability-after-faults"], "pass");
  assert.equal(result.verdict.checks["write-back-values"], "pass");
  const local = /(\d+) writes acknowledged locally, (\d+) WriteBacks/.exec(result.verdict.text);
  assert.ok(Number(local?.[1]) >= 100 && Number(local?.[2]) >= 20, result.verdict.text);
});

// Producers (keyed and not) and consumers that ack, nack, let visibility lapse and touch, under a
// leader kill, isolation and a pause; the drain then accounts for every acknowledged push.
Deno.test("chaos run: no acknowledged push lost, acks and key order hold (queue workload)", async () => {
  const kinds = ["isolate-leader", "kill", "pause"] as const;
  const result = await shortRun(41, [...kinds], "queue", QUEUE_RUN_MS);
  for (const check of ["queue-deliveries", "queue-no-loss", "queue-ack", "queue-key-order"]) {
    assert.equal(result.verdict.checks[check], "pass", `${check}\n${result.verdict.text}`);
  }
  // The drain took every acknowledged push back by payload, not only by the final counts.
  assert.match(result.verdict.text, /delivered, none missing/, result.verdict.text);
});
