/**
 * The locks section from its measured levels (pure): throughput and p99 charts against clients,
 * a table of every level, dsync 3 nodes against etcd 3 nodes in the summary, and text written
 * from the figures.
 */
import { LOCK_OPS_CLAIM } from "../../claims.ts";
import { fixed, significant } from "../../format.ts";
import type { Chart, SectionResult, Series, SummaryRow, Table } from "../../results.ts";
import type { LockLevel } from "../../../load/lock_levels.ts";

/** What the locks section needs besides the levels. */
export interface LocksInput {
  levels: LockLevel[];
  /** Client count of the summary rows (64 in full, the largest measured one in quick runs). */
  summaryClients: number;
  /** "etcd Version: 3.4.30", or null when etcd did not run. */
  etcdVersion: string | null;
  lockTtlMs: number;
  lockWaitMs: number;
  nameCount: number;
  secondsPerLevel: number;
}

type LocksSection = Pick<SectionResult, "text" | "charts" | "tables" | "summary">;

/** "dsync 3 nodes", "etcd 1 node". */
export function systemLabel(level: Pick<LockLevel, "system" | "nodeCount">): string {
  return `${level.system} ${level.nodeCount} node${level.nodeCount === 1 ? "" : "s"}`;
}

function seriesBy(levels: LockLevel[], y: (level: LockLevel) => number): Series[] {
  const names = [...new Set(levels.map(systemLabel))];
  return names.map((name) => ({
    name,
    points: levels.filter((level) => systemLabel(level) === name && level.cycles > 0)
      .map((level) => ({ x: level.clients, y: y(level) })),
  }));
}

function charts(levels: LockLevel[]): Chart[] {
  const common = { kind: "line", xTitle: "concurrent clients", xScale: "log" } as const;
  return [
    {
      ...common,
      id: "locks-throughput",
      title: "Locks: acquire+release cycles per second",
      yTitle: "cycles/s",
      series: seriesBy(levels, (level) => level.cyclesPerSecond),
    },
    {
      ...common,
      id: "locks-p99",
      title: "Locks: p99 latency of one acquire+release cycle",
      yTitle: "p99 ms (log)",
      yScale: "log",
      series: seriesBy(levels, (level) => level.p99Ms),
    },
  ];
}

function levelTable(levels: LockLevel[]): Table {
  return {
    title: "Every level (leader routing: clients on the leader)",
    columns: [
      "system",
      "clients",
      "cycles/s",
      "p50 ms",
      "p99 ms",
      "not granted",
      "errors",
      "server CPU ms/cycle",
      "load 1m",
    ],
    rows: levels.map((level) => [
      systemLabel(level),
      level.clients,
      Math.round(level.cyclesPerSecond),
      level.p50Ms,
      level.p99Ms,
      level.notGranted,
      level.aborted ? `${level.errors} (aborted)` : level.errors,
      level.serverCpuMsPerCycle,
      level.loadAverage1m,
    ]),
  };
}

function find(levels: LockLevel[], system: string, nodeCount: number, clients: number) {
  return levels.find((level) =>
    level.system === system && level.nodeCount === nodeCount && level.clients === clients &&
    level.cycles > 0
  );
}

function summary(input: LocksInput): SummaryRow[] {
  const clients = input.summaryClients;
  const dsync = find(input.levels, "dsync", 3, clients);
  if (dsync === undefined) return [];
  const etcd = find(input.levels, "etcd", 3, clients);
  const peer = etcd === undefined ? null : (input.etcdVersion ?? "etcd") + ", 3 nodes";
  return [
    {
      primitive: "locks",
      measure: `acquire+release cycles/s, 3 nodes, ${clients} clients`,
      dsync: Math.round(dsync.cyclesPerSecond),
      peer,
      peerValue: etcd === undefined ? null : Math.round(etcd.cyclesPerSecond),
      ratio: etcd === undefined || etcd.cyclesPerSecond === 0
        ? null
        : dsync.cyclesPerSecond / etcd.cyclesPerSecond,
      claim: LOCK_OPS_CLAIM,
    },
    {
      primitive: "locks",
      measure: `p99 ms of a cycle, 3 nodes, ${clients} clients (lower is better)`,
      dsync: dsync.p99Ms,
      peer,
      peerValue: etcd === undefined ? null : etcd.p99Ms,
      ratio: etcd === undefined || dsync.p99Ms === 0 ? null : etcd.p99Ms / dsync.p99Ms,
    },
  ];
}

function peakText(levels: LockLevel[], system: string): string | null {
  const nodeCounts = [...new Set(levels.filter((l) => l.system === system).map((l) => l.nodeCount))]
    .sort((a, b) => a - b);
  const peaks = nodeCounts.flatMap((nodeCount) => {
    const own = levels.filter((l) => l.system === system && l.nodeCount === nodeCount);
    const best = own.sort((a, b) => b.cyclesPerSecond - a.cyclesPerSecond)[0];
    return best === undefined || best.cycles === 0 ? [] : [
      `${fixed(best.cyclesPerSecond)} cycles/s on ${systemLabel(best).slice(system.length + 1)} ` +
      `(at ${best.clients} clients)`,
    ];
  });
  return peaks.length === 0 ? null : `${system} peaks at ${peaks.join(", ")}`;
}

function comparisonText(input: LocksInput): string | null {
  const clients = input.summaryClients;
  const dsync = find(input.levels, "dsync", 3, clients);
  const etcd = find(input.levels, "etcd", 3, clients);
  if (dsync === undefined || etcd === undefined) return null;
  const cpu = (level: LockLevel) =>
    level.serverCpuMsPerCycle === null ? "unknown" : `${significant(level.serverCpuMsPerCycle)} ms`;
  return `At ${clients} clients on 3 nodes dsync completes ${fixed(dsync.cyclesPerSecond)} ` +
    `cycles/s with a p99 of ${significant(dsync.p99Ms)} ms, etcd ${fixed(etcd.cyclesPerSecond)} ` +
    `cycles/s with a p99 of ${significant(etcd.p99Ms)} ms: dsync does ` +
    `${significant(dsync.cyclesPerSecond / Math.max(etcd.cyclesPerSecond, Number.MIN_VALUE))}x ` +
    `etcd's cycles. Server CPU per cycle (all nodes together): dsync ${cpu(dsync)}, etcd ` +
    `${cpu(etcd)}. The founding documents claimed ${LOCK_OPS_CLAIM}; one cycle here is two ` +
    "replicated operations (acquire and release).";
}

function texts(input: LocksInput): string[] {
  const paragraphs = [
    `C clients each loop: acquire a random lock out of ${fixed(input.nameCount)} names ` +
    `(TTL ${fixed(input.lockTtlMs / 1000)} s, waiting at most ${fixed(input.lockWaitMs / 1000)} ` +
    "s), then release it; a cycle counts when the release is acknowledged. dsync uses " +
    "LOCK.ACQUIRE/LOCK.RELEASE over RESP, etcd its lock API (one lease per client) over its JSON " +
    `gateway. Clients talk to the leader. Each level runs ${
      significant(input.secondsPerLevel)
    } s; ` +
    "levels of every system at the same client count run back to back.",
  ];
  const peaks = ["dsync", "etcd"].flatMap((system) => peakText(input.levels, system) ?? []);
  if (peaks.length > 0) paragraphs.push(`${peaks.join("; ")}.`);
  const comparison = comparisonText(input);
  if (comparison !== null) paragraphs.push(comparison);
  return paragraphs;
}

/** The charts, table, summary rows and text of the locks section. */
export function locksSection(input: LocksInput): LocksSection {
  return {
    text: texts(input),
    charts: charts(input.levels),
    tables: [levelTable(input.levels)],
    summary: summary(input),
  };
}
