/**
 * The cache section's charts, tables, summary rows and text, written from measured runs only
 * (pure: no I/O, no clock).
 */
import type { Chart, Series, SummaryRow, Table } from "../../results.ts";

/** Who a redis-benchmark run measured. */
export type CacheSystem = "dsync" | "dsync write-back" | "redis" | "ceiling";

/** One redis-benchmark run (`-P 1`). */
export interface CacheRow {
  system: CacheSystem;
  op: "GET" | "SET";
  clients: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** dsync GET only: hits / (hits + misses) over the run, from CACHE.STATS. */
  hitRatio: number | null;
}

/** One mixed-workload run on a 3-node cluster. */
export interface MixedRow {
  /** "write-through" or "write-back". */
  mode: string;
  clients: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Over the run, all nodes summed; null when CACHE.STATS could not be read. */
  hitRatio: number | null;
  errors: number;
}

/** What the text needs beside the rows. */
export interface CacheFacts {
  /** "redis-server 7.0.15", or null when it did not run. */
  redisVersion: string | null;
  /** Client count of the summary rows (the earlier measurements' -c 50). */
  summaryClients: number;
  /** Keys of the GET/SET runs (`-r`). */
  keyCount: number;
  mixedKeyCount: number;
  mixedExponent: number;
  readSharePercent: number;
  mixedSeconds: number;
}

/** The founding documents' claim this section answers. */
export const CACHE_CLAIM = "8,000 cache ops/s on 3 nodes";

/** Display names of the systems. */
export const CACHE_SYSTEM_NAMES: Record<CacheSystem, string> = {
  dsync: "dsync 3 nodes, cache (write-through)",
  "dsync write-back": "dsync 3 nodes, cache write-back (owned lines)",
  redis: "redis-server (appendfsync always)",
  ceiling: "minimal Deno RESP server (ceiling)",
};

/** The parts of a SectionResult the cache section writes from its rows. */
export interface CacheSectionBody {
  text: string[];
  charts: Chart[];
  tables: Table[];
  summary: SummaryRow[];
}

function find(
  rows: readonly CacheRow[],
  system: CacheSystem,
  op: CacheRow["op"],
  clients: number,
): CacheRow | undefined {
  return rows.find((row) => row.system === system && row.op === op && row.clients === clients);
}

function lines(
  rows: readonly CacheRow[],
  op: CacheRow["op"],
  value: (row: CacheRow) => number,
  prefix = "",
): Series[] {
  const systems = [...new Set(rows.filter((row) => row.op === op).map((row) => row.system))];
  return systems.map((system) => ({
    name: prefix + CACHE_SYSTEM_NAMES[system],
    points: rows.filter((row) => row.op === op && row.system === system)
      .map((row) => ({ x: row.clients, y: value(row) }))
      .sort((a, b) => a.x - b.x),
  }));
}

function round(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function ms(value: number): string {
  return value.toFixed(value < 10 ? 2 : 1);
}

function percent(ratio: number | null): string {
  return ratio === null ? "-" : `${(ratio * 100).toFixed(1)} %`;
}

function summaryRow(
  measure: string,
  dsync: CacheRow | undefined,
  peer: CacheRow | undefined,
  peerName: string,
  claim?: string,
): SummaryRow[] {
  if (dsync === undefined) return [];
  const row: SummaryRow = {
    primitive: "cache",
    measure,
    dsync: Math.round(dsync.rps),
    peer: peer === undefined ? null : peerName,
    peerValue: peer === undefined ? null : Math.round(peer.rps),
    ratio: peer === undefined || peer.rps === 0 ? null : dsync.rps / peer.rps,
  };
  return [claim === undefined ? row : { ...row, claim }];
}

function summaryRows(
  rows: readonly CacheRow[],
  mixed: readonly MixedRow[],
  facts: CacheFacts,
): SummaryRow[] {
  const c = facts.summaryClients;
  const redis = facts.redisVersion ?? "redis-server";
  const mixedThrough = mixed.find((row) => row.mode === "write-through");
  return [
    ...summaryRow(
      `GET ops/s on warm lines, redis-benchmark -c ${c} -P 1`,
      find(rows, "dsync", "GET", c),
      find(rows, "ceiling", "GET", c),
      "minimal Deno RESP server",
      CACHE_CLAIM,
    ),
    ...summaryRow(
      `GET ops/s on warm lines, redis-benchmark -c ${c} -P 1`,
      find(rows, "dsync", "GET", c),
      find(rows, "redis", "GET", c),
      redis,
      CACHE_CLAIM,
    ),
    ...summaryRow(
      `SET ops/s write-through, -c ${c} -P 1 (redis: appendfsync always)`,
      find(rows, "dsync", "SET", c),
      find(rows, "redis", "SET", c),
      `${redis} appendfsync always`,
    ),
    ...(mixedThrough === undefined ? [] : [{
      primitive: "cache",
      measure: `mixed ${facts.readSharePercent}/${100 - facts.readSharePercent} GET/SET ops/s, ` +
        `Zipf keys, ${mixedThrough.clients} clients on 3 nodes`,
      dsync: Math.round(mixedThrough.opsPerSecond),
      peer: null,
      peerValue: null,
      ratio: null,
    }]),
  ];
}

function charts(rows: readonly CacheRow[], mixed: readonly MixedRow[]): Chart[] {
  return [
    {
      id: "cache-get-throughput",
      title: "GET on warm keys (redis-benchmark -P 1)",
      kind: "line",
      xTitle: "clients",
      yTitle: "ops/s",
      xScale: "log",
      series: lines(rows, "GET", (row) => row.rps),
    },
    {
      id: "cache-set-throughput",
      title: "SET, acknowledged when durable (redis-benchmark -P 1)",
      kind: "line",
      xTitle: "clients",
      yTitle: "ops/s",
      xScale: "log",
      series: lines(rows, "SET", (row) => row.rps),
    },
    {
      id: "cache-p99",
      title: "GET and SET latency, p99",
      kind: "line",
      xTitle: "clients",
      yTitle: "p99 ms",
      xScale: "log",
      yScale: "log",
      series: [
        ...lines(rows, "GET", (row) => Math.max(row.p99Ms, 0.001), "GET "),
        ...lines(rows, "SET", (row) => Math.max(row.p99Ms, 0.001), "SET "),
      ],
    },
    {
      id: "cache-mixed",
      title: "Mixed GET/SET on skewed keys, clients on all three nodes",
      kind: "bar",
      xTitle: "clients",
      yTitle: "ops/s",
      series: mixed.map((row) => ({
        name: `dsync ${row.mode}`,
        points: [{ x: row.clients, y: row.opsPerSecond }],
      })),
    },
  ];
}

function tables(rows: readonly CacheRow[], mixed: readonly MixedRow[]): Table[] {
  return [
    {
      title: "redis-benchmark runs (-P 1), in the order run",
      columns: ["system", "op", "clients", "requests", "ops/s", "p50 ms", "p99 ms", "hit ratio"],
      rows: rows.map((row) => [
        CACHE_SYSTEM_NAMES[row.system],
        row.op,
        row.clients,
        row.requests,
        Math.round(row.rps),
        row.p50Ms,
        row.p99Ms,
        row.hitRatio === null ? null : percent(row.hitRatio),
      ]),
    },
    {
      title: "Mixed workload",
      columns: ["cache", "clients", "ops/s", "p50 ms", "p99 ms", "hit ratio", "errors"],
      rows: mixed.map((row) => [
        row.mode,
        row.clients,
        Math.round(row.opsPerSecond),
        Number(row.p50Ms.toFixed(2)),
        Number(row.p99Ms.toFixed(2)),
        percent(row.hitRatio),
        row.errors,
      ]),
    },
  ];
}

function text(rows: readonly CacheRow[], mixed: readonly MixedRow[], facts: CacheFacts): string[] {
  const c = facts.summaryClients;
  const paragraphs = [
    "A 3-node dsync cluster runs with the cache on (`--cache on`, write-through), a second one " +
    "with `--cache-write back`; redis-benchmark (`-P 1`, keys from a range of " +
    `${round(facts.keyCount)}) drives node 1 of each, redis-server with \`appendfsync always\` ` +
    "and the minimal Deno RESP server, at the same client count back to back. Before every dsync " +
    "GET run the keys are read through node 1 so its lines are live; before every write-back " +
    "run they are written through node 1 so it holds them in M. The load generator shares the " +
    "cores with the servers.",
  ];
  const get = find(rows, "dsync", "GET", c);
  const ceiling = find(rows, "ceiling", "GET", c);
  const redisGet = find(rows, "redis", "GET", c);
  if (get !== undefined) {
    let line = `At ${c} clients a GET from a warm line reached ${round(get.rps)} ops/s ` +
      `(p99 ${ms(get.p99Ms)} ms, hit ratio ${percent(get.hitRatio)})`;
    if (ceiling !== undefined) {
      line += `, ${(get.rps / ceiling.rps).toFixed(2)}x the minimal Deno server ` +
        `(${round(ceiling.rps)} ops/s)`;
    }
    if (redisGet !== undefined) {
      line += ` and ${(get.rps / redisGet.rps).toFixed(2)}x redis-server ` +
        `(${round(redisGet.rps)} ops/s)`;
    }
    paragraphs.push(`${line}. The founding documents claimed ${CACHE_CLAIM}.`);
  }
  const set = find(rows, "dsync", "SET", c);
  const back = find(rows, "dsync write-back", "SET", c);
  const redisSet = find(rows, "redis", "SET", c);
  if (set !== undefined) {
    let line = `A write-through SET is acknowledged after its slot group committed it (fsynced ` +
      `on a majority): ${round(set.rps)} ops/s at ${c} clients (p99 ${ms(set.p99Ms)} ms)`;
    if (redisSet !== undefined) {
      line += `, against ${round(redisSet.rps)} ops/s for redis-server fsyncing its ` +
        `append-only file before every reply (${(set.rps / redisSet.rps).toFixed(2)}x)`;
    }
    if (back !== undefined) {
      line += `. On lines it owns, a write-back node acknowledges locally: ` +
        `${round(back.rps)} ops/s (p99 ${ms(back.p99Ms)} ms), ${
          (back.rps / set.rps).toFixed(1)
        }x ` +
        "write-through, at the price of losing up to `--cache-writeback-ms` of writes if the " +
        "node crashes";
    }
    paragraphs.push(`${line}.`);
  }
  for (const row of mixed) {
    paragraphs.push(
      `Mixed ${facts.readSharePercent}/${100 - facts.readSharePercent} GET/SET over ` +
        `${round(facts.mixedKeyCount)} keys (Zipf exponent ${facts.mixedExponent}), ` +
        `${row.clients} clients spread over the three nodes for ${facts.mixedSeconds} s, ` +
        `${row.mode}: ${round(row.opsPerSecond)} ops/s, p99 ${ms(row.p99Ms)} ms, ` +
        `hit ratio ${percent(row.hitRatio)}` +
        (row.errors > 0 ? `, ${row.errors} error replies` : "") + ".",
    );
  }
  return paragraphs;
}

/** The section's body from its measured rows. */
export function cacheSectionBody(
  rows: readonly CacheRow[],
  mixed: readonly MixedRow[],
  facts: CacheFacts,
): CacheSectionBody {
  return {
    text: text(rows, mixed, facts),
    charts: charts(rows, mixed),
    tables: tables(rows, mixed),
    summary: summaryRows(rows, mixed, facts),
  };
}
