import assert from "node:assert/strict";
import { locksSection } from "../../bench/report/parts/locks/section.ts";
import type { LockLevel } from "../../bench/load/lock_levels.ts";

function level(system: "dsync" | "etcd", nodeCount: number, clients: number, cps: number) {
  const measured: LockLevel = {
    target: `${system}-${nodeCount} leader`,
    clients,
    cycles: Math.round(cps * 5),
    notGranted: 0,
    errors: 0,
    firstError: null,
    aborted: false,
    seconds: 5,
    cyclesPerSecond: cps,
    p50Ms: clients / 2,
    p95Ms: clients,
    p99Ms: clients * 2 + (system === "etcd" ? 10 : 0),
    maxMs: clients * 3,
    system,
    nodeCount,
    route: "leader",
    loadAverage1m: 1,
    serverCpuMsPerCycle: 0.5,
    clientCpuMsPerCycle: 0.1,
  };
  return measured;
}

const INPUT = {
  summaryClients: 64,
  etcdVersion: "etcd 3.4.23",
  lockTtlMs: 30_000,
  lockWaitMs: 5_000,
  nameCount: 1_000,
  secondsPerLevel: 5,
};

const LEVELS = [
  level("dsync", 1, 1, 100),
  level("dsync", 3, 1, 50),
  level("etcd", 3, 1, 80),
  level("dsync", 1, 64, 900),
  level("dsync", 3, 64, 600),
  level("etcd", 3, 64, 400),
];

Deno.test("locks summary: dsync 3 nodes over etcd 3 nodes at the summary client count", () => {
  const { summary } = locksSection({ ...INPUT, levels: LEVELS });
  assert.equal(summary.length, 2);
  const [throughput, p99] = summary;
  assert.equal(throughput!.dsync, 600);
  assert.equal(throughput!.peerValue, 400);
  assert.equal(throughput!.ratio, 1.5);
  assert.equal(throughput!.peer, "etcd 3.4.23, 3 nodes");
  assert.equal(throughput!.claim, "1,200 lock ops/s on 3 nodes");
  // Lower is better for latency: etcd's p99 over dsync's.
  assert.equal(p99!.ratio, (64 * 2 + 10) / (64 * 2));
});

Deno.test("locks summary without etcd keeps dsync's row with no peer", () => {
  const levels = LEVELS.filter((l) => l.system === "dsync");
  const [throughput] = locksSection({ ...INPUT, levels, etcdVersion: null }).summary;
  assert.equal(throughput!.peer, null);
  assert.equal(throughput!.ratio, null);
  assert.equal(throughput!.dsync, 600);
});

Deno.test("locks charts: one series per system and size, clients on a log axis", () => {
  const { charts } = locksSection({ ...INPUT, levels: LEVELS });
  assert.deepEqual(charts.map((chart) => chart.id), ["locks-throughput", "locks-p99"]);
  const throughput = charts[0]!;
  assert.equal(throughput.xScale, "log");
  assert.deepEqual(throughput.series.map((s) => s.name), [
    "dsync 1 node",
    "dsync 3 nodes",
    "etcd 3 nodes",
  ]);
  assert.deepEqual(throughput.series[1]!.points, [{ x: 1, y: 50 }, { x: 64, y: 600 }]);
});

Deno.test("locks text is written from the measured figures", () => {
  const { text } = locksSection({ ...INPUT, levels: LEVELS });
  const all = text.join("\n");
  assert.ok(all.includes("dsync peaks at 900 cycles/s on 1 node (at 64 clients)"), all);
  assert.ok(all.includes("600 cycles/s with a p99 of 128 ms, etcd 400 cycles/s"), all);
  assert.ok(all.includes("dsync does 1.50x etcd's cycles"), all);
});
