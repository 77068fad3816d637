import assert from "node:assert/strict";
import {
  CACHE_CLAIM,
  type CacheFacts,
  type CacheRow,
  cacheSectionBody,
  type MixedRow,
} from "../../bench/report/parts/cache/section.ts";

const FACTS: CacheFacts = {
  redisVersion: "redis-server 7.0.15",
  summaryClients: 50,
  keyCount: 1_000,
  mixedKeyCount: 10_000,
  mixedExponent: 0.99,
  readSharePercent: 90,
  mixedSeconds: 8,
};

function run(
  system: CacheRow["system"],
  op: CacheRow["op"],
  clients: number,
  rps: number,
  hitRatio: number | null = null,
): CacheRow {
  return { system, op, clients, requests: 1_000, rps, p50Ms: 1, p99Ms: 4, hitRatio };
}

const ROWS: CacheRow[] = [
  run("dsync", "GET", 1, 3_000, 1),
  run("redis", "GET", 1, 9_000),
  run("ceiling", "GET", 1, 12_000),
  run("dsync", "GET", 50, 8_000, 0.995),
  run("redis", "GET", 50, 40_000),
  run("ceiling", "GET", 50, 32_000),
  run("dsync", "SET", 50, 1_000),
  run("dsync write-back", "SET", 50, 6_000),
  run("redis", "SET", 50, 5_000),
  run("ceiling", "SET", 50, 30_000),
];

const MIXED: MixedRow[] = [
  {
    mode: "write-through",
    clients: 48,
    opsPerSecond: 4_200,
    p50Ms: 5,
    p99Ms: 40,
    hitRatio: 0.8,
    errors: 0,
  },
  {
    mode: "write-back",
    clients: 48,
    opsPerSecond: 5_100,
    p50Ms: 4,
    p99Ms: 30,
    hitRatio: null,
    errors: 2,
  },
];

Deno.test("summary: GET against the ceiling and redis at -c 50, SET against aof always, mixed", () => {
  const { summary } = cacheSectionBody(ROWS, MIXED, FACTS);
  assert.equal(summary.length, 4);
  const [ceiling, redis, set, mixed] = summary;
  assert.equal(ceiling!.dsync, 8_000);
  assert.equal(ceiling!.peerValue, 32_000);
  assert.equal(ceiling!.ratio, 0.25);
  assert.equal(ceiling!.claim, CACHE_CLAIM);
  assert.equal(redis!.peer, "redis-server 7.0.15");
  assert.equal(redis!.ratio, 0.2);
  assert.match(set!.measure, /SET ops\/s write-through, -c 50 -P 1/);
  assert.equal(set!.ratio, 0.2);
  assert.equal(set!.peer, "redis-server 7.0.15 appendfsync always");
  assert.equal(mixed!.dsync, 4_200);
  assert.equal(mixed!.peer, null);
  assert.equal(mixed!.ratio, null);
  assert.match(mixed!.measure, /mixed 90\/10 GET\/SET ops\/s, Zipf keys, 48 clients on 3 nodes/);
});

Deno.test("without peers the summary keeps dsync's figures and no ratio", () => {
  const dsyncOnly = ROWS.filter((row) => row.system === "dsync");
  const { summary } = cacheSectionBody(dsyncOnly, [], { ...FACTS, redisVersion: null });
  assert.equal(summary.length, 3);
  for (const row of summary) {
    assert.equal(row.peer, null);
    assert.equal(row.ratio, null);
  }
});

Deno.test("the text is written from the measured values", () => {
  const all = cacheSectionBody(ROWS, MIXED, FACTS).text.join("\n");
  assert.match(
    all,
    /GET from a warm line reached 8,000 ops\/s \(p99 4\.00 ms, hit ratio 99\.5 %\)/,
  );
  assert.match(all, /0\.25x the minimal Deno server \(32,000 ops\/s\)/);
  assert.match(all, /0\.20x redis-server \(40,000 ops\/s\)/);
  assert.match(all, /1,000 ops\/s at 50 clients/);
  assert.match(all, /write-back node acknowledges locally: 6,000 ops\/s .*6\.0x write-through/);
  assert.match(all, /write-through: 4,200 ops\/s, p99 40\.0 ms, hit ratio 80\.0 %\./);
  assert.match(all, /write-back: 5,100 ops\/s, p99 30\.0 ms, hit ratio -, 2 error replies\./);
  const doubled = cacheSectionBody(
    ROWS.map((row) => ({ ...row, rps: row.rps * 2 })),
    MIXED,
    FACTS,
  ).text.join("\n");
  assert.match(doubled, /reached 16,000 ops\/s/);
});

Deno.test("charts: GET and SET lines per system on a log x axis, a mixed bar chart", () => {
  const { charts } = cacheSectionBody(ROWS, MIXED, FACTS);
  const get = charts.find((chart) => chart.id === "cache-get-throughput")!;
  assert.equal(get.xScale, "log");
  assert.equal(get.series.length, 3);
  assert.deepEqual(get.series[0]!.points, [{ x: 1, y: 3_000 }, { x: 50, y: 8_000 }]);
  const set = charts.find((chart) => chart.id === "cache-set-throughput")!;
  assert.equal(set.series.length, 4);
  assert.ok(set.series.some((series) => /write-back/.test(series.name)));
  const mixed = charts.find((chart) => chart.id === "cache-mixed")!;
  assert.equal(mixed.kind, "bar");
  assert.deepEqual(mixed.series.map((series) => series.points[0]!.y), [4_200, 5_100]);
});
