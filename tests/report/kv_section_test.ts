import assert from "node:assert/strict";
import { DSYNC_KV_LABEL, kvSection } from "../../bench/report/parts/kv/section.ts";
import type { KvLevel } from "../../bench/report/parts/kv/measure.ts";

function level(system: string, op: "set" | "get", clients: number, ops: number): KvLevel {
  return {
    target: system,
    clients,
    cycles: ops * 4,
    notGranted: 0,
    errors: 0,
    firstError: null,
    aborted: false,
    seconds: 4,
    cyclesPerSecond: ops,
    p50Ms: 1,
    p95Ms: 2,
    p99Ms: 3,
    maxMs: 4,
    system,
    op,
    serverCpuMsPerOp: 0.25,
    loadAverage1m: 1,
  };
}

const LEVELS = [
  level(DSYNC_KV_LABEL, "set", 64, 300),
  level("etcd 3 nodes", "set", 64, 600),
  level("redis-server", "set", 64, 1200),
  level(DSYNC_KV_LABEL, "get", 64, 2000),
  level("etcd 3 nodes", "get", 64, 1000),
];

const INPUT = {
  summaryClients: 64,
  peerNames: {
    "etcd 3 nodes": "etcd 3.4.23, 3 nodes",
    "redis-server": "redis-server 7.0.15, appendfsync always",
  },
  keyCount: 1_000,
  valueBytes: 100,
  secondsPerLevel: 4,
};

Deno.test("kv summary: one row per operation and peer measured, ratios dsync over peer", () => {
  const { summary } = kvSection({ ...INPUT, levels: LEVELS });
  assert.deepEqual(
    summary.map((row) => [row.measure, row.peer, row.ratio]),
    [
      ["SET ops/s, 64 clients", "etcd 3.4.23, 3 nodes", 0.5],
      ["SET ops/s, 64 clients", "redis-server 7.0.15, appendfsync always", 0.25],
      ["GET ops/s, 64 clients", "etcd 3.4.23, 3 nodes", 2],
    ],
  );
});

Deno.test("kv summary without any peer keeps dsync's rows with no peer", () => {
  const levels = LEVELS.filter((level) => level.system === DSYNC_KV_LABEL);
  const { summary } = kvSection({ ...INPUT, levels, peerNames: {} });
  assert.deepEqual(summary.map((row) => [row.measure, row.dsync, row.peer]), [
    ["SET ops/s, 64 clients", 300, null],
    ["GET ops/s, 64 clients", 2000, null],
  ]);
});

Deno.test("kv charts: SET and GET throughput per system, p99 per system and operation", () => {
  const { charts } = kvSection({ ...INPUT, levels: LEVELS });
  assert.deepEqual(charts.map((chart) => chart.id), [
    "kv-set-throughput",
    "kv-get-throughput",
    "kv-p99",
  ]);
  assert.equal(charts[0]!.series.length, 3);
  assert.equal(charts[1]!.series.length, 2);
  assert.equal(charts[2]!.series.length, 5);
});

Deno.test("kv text is written from the measured figures", () => {
  const all = kvSection({ ...INPUT, levels: LEVELS }).text.join("\n");
  assert.ok(all.includes("SET at 64 clients: dsync 300/s"), all);
  assert.ok(all.includes("redis-server 1,200/s (p99 3 ms, dsync 0.250x)"), all);
});
