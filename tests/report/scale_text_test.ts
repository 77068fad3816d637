import assert from "node:assert/strict";
import { computeBounds } from "../../bench/report/parts/scale/bounds.ts";
import type { CostRow, IdleRow, MemoryRow } from "../../bench/report/parts/scale/figures.ts";
import {
  boundsText,
  bytesText,
  costText,
  figure,
  idleText,
  memoryText,
} from "../../bench/report/parts/scale/text.ts";

Deno.test("figure keeps the precision a measurement carries", () => {
  assert.equal(figure(12_345.6), "12,346");
  assert.equal(figure(42.26), "42.3");
  assert.equal(figure(3.14159), "3.14");
  assert.equal(figure(0.012345), "0.012");
  assert.equal(bytesText(512), "512 B");
  assert.equal(bytesText(3 * 1024), "3.00 KiB");
  assert.equal(bytesText(80 * 1024 * 1024), "80.0 MiB");
});

Deno.test("boundsText is written from the inputs and names the binding bound", () => {
  const input = {
    cores: 2,
    serverCpuMsPerOp: 4,
    clientCpuMsPerOp: 1,
    fsyncP50Ms: 2,
    fsyncsPerOp: 2,
    clientCount: 64,
    measuredOpsPerSecond: 390,
  };
  const fsync = { count: 200, p50Ms: 2, p99Ms: 7.5 };
  const text = boundsText(input, computeBounds(input), fsync, 1.5);
  for (
    const expected of [
      "2.00 ms at p50",
      "7.50 ms at p99 (200 calls)",
      "500 cycles/s for the servers alone", // 2 x 1000 / 4
      "400 cycles/s with the load generator", // 2 x 1000 / 5
      "allows 250 cycles/s", // 1000 / (2 x 2)
      "16,000 cycles/s", // 250 x 64
      "390 cycles/s with 64 clients",
      "97.5 % of the cores",
      "CPU is the binding bound",
      "load average was 1.50 on 2 cores during the run: the cores were not oversubscribed",
    ]
  ) assert.ok(text.includes(expected), `missing "${expected}" in: ${text}`);
});

Deno.test("boundsText says round trips bind when neither ceiling is near", () => {
  const input = {
    cores: 2,
    serverCpuMsPerOp: 0.5,
    clientCpuMsPerOp: 0.5,
    fsyncP50Ms: 2,
    fsyncsPerOp: 2,
    clientCount: 64,
    measuredOpsPerSecond: 1000,
  };
  const text = boundsText(input, computeBounds(input), { count: 10, p50Ms: 2, p99Ms: 3 }, 30);
  assert.ok(text.includes("Neither ceiling binds"));
  assert.ok(text.includes("load average was 30.0 on 2 cores during the run: other work competed"));
  assert.ok(text.includes("4.00 cycles per fsync round"));
});

Deno.test("idleText gives each size and the slope per group once two sizes were measured", () => {
  const row = (slots: number, cpu: number, rssMiB: number): IdleRow => ({
    slots,
    groupsPerNode: slots + 1,
    cpuPercentMean: cpu,
    cpuPercentMax: cpu + 1,
    rssBytesMean: rssMiB * 1024 * 1024,
  });
  const one = idleText([row(16, 2, 80)]);
  assert.ok(one.includes("16 slots (17.0 groups per node): 2.00 % of one core"));
  assert.ok(!one.includes("further groups"));
  // 17 -> 257 groups: +2.4 % CPU and +48 MiB, i.e. 10 % per 1,000 and 204.8 KiB per group.
  const two = idleText([row(16, 2, 80), row(256, 4.4, 128)]);
  assert.ok(two.includes("every 1,000 further groups cost about 10.0 % of one core"), two);
  assert.ok(two.includes("each group added 205 KiB of RSS"), two);
  // Less CPU at more groups (noise): said as no growth, never as a negative cost.
  const noisy = idleText([row(16, 4, 80), row(256, 3, 128)]);
  assert.ok(noisy.includes("idle CPU did not grow with the groups"), noisy);
  assert.ok(!/-\d/.test(noisy), noisy);
});

Deno.test("memoryText gives the per-node range, roles where known, and the peers", () => {
  const rows: MemoryRow[] = [
    {
      item: "held lock",
      count: 50_000,
      leaderBytesPerItem: 900,
      followerBytesPerItem: 400,
      nodeBytesPerItem: [400, 900, 400],
      resentCount: 0,
    },
    {
      item: "queued message (256 B)",
      count: 50_000,
      leaderBytesPerItem: null,
      followerBytesPerItem: null,
      nodeBytesPerItem: [700, 650, 600],
      resentCount: 12,
    },
  ];
  const text = memoryText(rows, [{
    peer: "redis-server 7.0.15",
    item: "key with a 256 B value",
    count: 20_000,
    bytesPerItem: 441,
  }]);
  assert.ok(text.includes("a held lock 400 B to 900 B per node (leader 900 B, followers 400 B)"));
  assert.ok(text.includes("a queued message (256 B) 600 B to 700 B per node, over 50,000"));
  assert.ok(text.includes("redis-server 7.0.15 grew by 441 B"));
  assert.ok(text.includes("during the fills: queued message (256 B) 12 times"), text);
  assert.ok(!text.includes("held lock 0 times"), text);
});

Deno.test("costText lists only workloads that completed operations", () => {
  const row = (system: string, op: string, cpuMsPerOp: number | null): CostRow => ({
    system,
    op,
    clientCount: 16,
    operations: cpuMsPerOp === null ? 0 : 1000,
    seconds: 2,
    serverCpuMs: 1000 * (cpuMsPerOp ?? 0),
    clientCpuMs: 100,
    cpuMsPerOp,
    opsPerSecond: cpuMsPerOp === null ? 0 : 500,
    loadAverage1m: 1,
  });
  const text = costText([row("dsync-3", "SET", 1.25), row("etcd-3", "put", null)]);
  assert.ok(text.includes("dsync-3 SET 1.25 ms (500/s, 16 clients)"));
  assert.ok(!text.includes("etcd-3"));
  assert.equal(costText([row("etcd-3", "put", null)]), "CPU per operation: no workload completed.");
});
