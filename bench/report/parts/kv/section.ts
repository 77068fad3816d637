/**
 * The key-value section from its measured levels (pure): SET and GET throughput and p99 charts
 * against clients, a table of every level, dsync against etcd and redis-server in the summary,
 * and text written from the figures.
 */
import { fixed, significant } from "../../format.ts";
import type { Chart, SectionResult, Series, SummaryRow, Table } from "../../results.ts";
import type { KvLevel } from "./measure.ts";

/** The label of dsync's levels (the other systems are peers). */
export const DSYNC_KV_LABEL = "dsync 3 nodes";

/** What the key-value section needs besides the levels. */
export interface KvInput {
  levels: KvLevel[];
  /** Client count of the summary rows (64 in full, the largest measured one in quick runs). */
  summaryClients: number;
  /** Peer labels with their versions ("etcd 3.4.23, 3 nodes"), by level label. */
  peerNames: Record<string, string>;
  keyCount: number;
  valueBytes: number;
  secondsPerLevel: number;
}

type KvSection = Pick<SectionResult, "text" | "charts" | "tables" | "summary">;

function opName(level: Pick<KvLevel, "op">): string {
  return level.op.toUpperCase();
}

function series(levels: KvLevel[], name: (l: KvLevel) => string, y: (l: KvLevel) => number) {
  const names = [...new Set(levels.map(name))];
  return names.map((seriesName): Series => ({
    name: seriesName,
    points: levels.filter((level) => name(level) === seriesName && level.cycles > 0)
      .map((level) => ({ x: level.clients, y: y(level) })),
  }));
}

function charts(levels: KvLevel[]): Chart[] {
  const common = { kind: "line", xTitle: "concurrent clients", xScale: "log" } as const;
  const throughput = (op: string): Chart => ({
    ...common,
    id: `kv-${op.toLowerCase()}-throughput`,
    title: `Key-value: ${op} operations per second`,
    yTitle: `${op}/s`,
    series: series(
      levels.filter((level) => opName(level) === op),
      (l) => l.system,
      (l) => l.cyclesPerSecond,
    ),
  });
  return [
    throughput("SET"),
    throughput("GET"),
    {
      ...common,
      id: "kv-p99",
      title: "Key-value: p99 latency of one operation",
      yTitle: "p99 ms (log)",
      yScale: "log",
      series: series(levels, (l) => `${l.system} ${opName(l)}`, (l) => l.p99Ms),
    },
  ];
}

function levelTable(levels: KvLevel[]): Table {
  return {
    title: "Every level",
    columns: [
      "system",
      "op",
      "clients",
      "ops/s",
      "p50 ms",
      "p99 ms",
      "errors",
      "server CPU ms/op",
      "load 1m",
    ],
    rows: levels.map((level) => [
      level.system,
      opName(level),
      level.clients,
      Math.round(level.cyclesPerSecond),
      level.p50Ms,
      level.p99Ms,
      level.aborted ? `${level.errors} (aborted)` : level.errors,
      level.serverCpuMsPerOp,
      level.loadAverage1m,
    ]),
  };
}

function find(levels: KvLevel[], system: string, op: string, clients: number) {
  return levels.find((level) =>
    level.system === system && opName(level) === op && level.clients === clients &&
    level.cycles > 0
  );
}

function summaryRow(input: KvInput, op: string, peerLabel: string | null): SummaryRow | null {
  const clients = input.summaryClients;
  const dsync = find(input.levels, DSYNC_KV_LABEL, op, clients);
  const peer = peerLabel === null ? undefined : find(input.levels, peerLabel, op, clients);
  if (dsync === undefined || (peerLabel !== null && peer === undefined)) return null;
  return {
    primitive: "key-value",
    measure: `${op} ops/s, ${clients} clients`,
    dsync: Math.round(dsync.cyclesPerSecond),
    peer: peer === undefined || peerLabel === null ? null : input.peerNames[peerLabel] ?? peerLabel,
    peerValue: peer === undefined ? null : Math.round(peer.cyclesPerSecond),
    ratio: peer === undefined || peer.cyclesPerSecond === 0
      ? null
      : dsync.cyclesPerSecond / peer.cyclesPerSecond,
  };
}

/** Per operation, one row per peer measured at the summary client count (or one without peer). */
function summary(input: KvInput): SummaryRow[] {
  const peers = Object.keys(input.peerNames);
  return ["SET", "GET"].flatMap((op) => {
    const rows = peers.flatMap((peer) => summaryRow(input, op, peer) ?? []);
    return rows.length > 0 ? rows : summaryRow(input, op, null) ?? [];
  });
}

function comparisonText(input: KvInput, op: string): string | null {
  const clients = input.summaryClients;
  const dsync = find(input.levels, DSYNC_KV_LABEL, op, clients);
  if (dsync === undefined) return null;
  const others = Object.keys(input.peerNames).flatMap((label) => {
    const peer = find(input.levels, label, op, clients);
    return peer === undefined ? [] : [
      `${label} ${fixed(peer.cyclesPerSecond)}/s (p99 ${significant(peer.p99Ms)} ms, dsync ` +
      `${significant(dsync.cyclesPerSecond / Math.max(peer.cyclesPerSecond, Number.MIN_VALUE))}x)`,
    ];
  });
  const cpu = dsync.serverCpuMsPerOp === null
    ? ""
    : `, ${significant(dsync.serverCpuMsPerOp)} server CPU ms per ${op}`;
  return `${op} at ${clients} clients: dsync ${fixed(dsync.cyclesPerSecond)}/s ` +
    `(p99 ${significant(dsync.p99Ms)} ms${cpu})` +
    (others.length === 0 ? "." : `; ${others.join("; ")}.`);
}

function texts(input: KvInput): string[] {
  const paragraphs = [
    `C clients each loop one operation on a random key out of ${fixed(input.keyCount)} ` +
    `(values of ${input.valueBytes} bytes), ${significant(input.secondsPerLevel)} s per level; ` +
    "at each client count SET runs before GET, and dsync, etcd and redis-server run back to " +
    "back. dsync runs 3 nodes with every client on node 1 (keys spread over every slot, so " +
    "most are forwarded to the slot's leader); etcd runs 3 members with every client on the " +
    "first (put, and range with its default linearizable read) over its JSON gateway; " +
    "redis-server is one process with `appendfsync always` (each write fsynced before its reply).",
  ];
  for (const op of ["SET", "GET"]) {
    const text = comparisonText(input, op);
    if (text !== null) paragraphs.push(text);
  }
  return paragraphs;
}

/** The charts, table, summary rows and text of the key-value section. */
export function kvSection(input: KvInput): KvSection {
  return {
    text: texts(input),
    charts: charts(input.levels),
    tables: [levelTable(input.levels)],
    summary: summary(input),
  };
}
