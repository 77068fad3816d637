import assert from "node:assert/strict";
import type { CostRow, MemoryRow } from "../../bench/report/parts/scale/figures.ts";
import {
  COST_OPS,
  costChart,
  memoryChart,
  scaleSummary,
} from "../../bench/report/parts/scale/section.ts";

function cost(system: string, op: string, cpuMsPerOp: number | null): CostRow {
  return {
    system,
    op,
    clientCount: 64,
    operations: 100,
    seconds: 1,
    serverCpuMs: 100 * (cpuMsPerOp ?? 0),
    clientCpuMs: 10,
    cpuMsPerOp,
    opsPerSecond: 100,
    loadAverage1m: 1.5,
  };
}

const LINE: MemoryRow = {
  item: "cached line (256 B, written through n1)",
  count: 20_000,
  leaderBytesPerItem: null,
  followerBytesPerItem: null,
  nodeBytesPerItem: [2000, 1500, 1400],
  resentCount: 0,
};

Deno.test("costChart puts each system's operation at its x and leaves out what did not run", () => {
  const chart = costChart([
    cost("dsync-3", "lock cycle", 3),
    cost("dsync-3", "GET", 0.2),
    cost("etcd-3", "put", 0.5),
    cost("etcd-3", "lock cycle", null),
  ]);
  assert.equal(chart.kind, "bar");
  assert.deepEqual(chart.series.map((s) => s.name), ["dsync-3", "etcd-3"]);
  const xOf = (label: string) => COST_OPS.findIndex((entry) => entry.label === label) + 1;
  assert.deepEqual(chart.series[0]!.points, [{ x: xOf("lock cycle"), y: 3 }, {
    x: xOf("GET"),
    y: 0.2,
  }]);
  assert.deepEqual(chart.series[1]!.points, [{ x: xOf("SET / put"), y: 0.5 }]);
  for (const entry of COST_OPS) assert.ok(chart.xTitle.includes(entry.label));
});

Deno.test("memoryChart puts the peer's bytes per key beside the cached line", () => {
  const chart = memoryChart([LINE], [{
    peer: "redis-server 7.0.15",
    item: "key",
    count: 1,
    bytesPerItem: 441,
  }]);
  assert.deepEqual(chart.series.map((s) => s.points), [
    [{ x: 1, y: 2000 }],
    [{ x: 1, y: 1400 }],
    [{ x: 1, y: 441 }],
  ]);
});

Deno.test("scaleSummary ratios are peer / dsync where lower is better", () => {
  const rows = scaleSummary(
    [cost("dsync-3", "lock cycle", 2), cost("etcd-3", "lock cycle", 3)],
    [LINE],
    [{ peer: "redis-server 7.0.15", item: "key", count: 1, bytesPerItem: 500 }],
    "etcd 3.4.23",
  );
  assert.equal(rows[0]!.primitive, "locks");
  assert.equal(rows[0]!.peer, "etcd 3.4.23");
  assert.equal(rows[0]!.ratio, 1.5);
  assert.equal(rows[1]!.primitive, "cache");
  assert.equal(rows[1]!.dsync, 2000);
  assert.equal(rows[1]!.ratio, 0.25);
});

Deno.test("scaleSummary has no peer value where the peer did not run", () => {
  const rows = scaleSummary([cost("dsync-3", "lock cycle", 2)], [], [], null);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.peer, null);
  assert.equal(rows[0]!.peerValue, null);
  assert.equal(rows[0]!.ratio, null);
});
