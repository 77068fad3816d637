/** Charts and tables of the scale section, built from its figures. Pure. */
import type { Chart, SummaryRow, Table } from "../../results.ts";
import type { CostRow, IdleRow, MemoryRow, PeerMemoryRow } from "./figures.ts";

const MIB = 1024 * 1024;
/** The operations of the cost chart in x order; a system's name for each where it differs. */
export const COST_OPS: readonly { label: string; ops: readonly string[] }[] = [
  { label: "lock cycle", ops: ["lock cycle"] },
  { label: "SET / put", ops: ["SET", "put"] },
  { label: "GET", ops: ["GET"] },
  { label: "QUEUE.PUSH", ops: ["QUEUE.PUSH"] },
  { label: "POP+ACK", ops: ["POP+ACK"] },
];

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Idle CPU and RSS against groups per node. */
export function idleCharts(rows: readonly IdleRow[]): Chart[] {
  const x = (row: IdleRow) => row.groupsPerNode;
  return [
    {
      id: "scale-idle-cpu",
      title: "Idle CPU per node against the Raft groups it hosts (3 nodes, quiet groups)",
      kind: "line",
      xTitle: "Raft groups per node",
      yTitle: "CPU, % of one core",
      xScale: "log",
      series: [
        { name: "mean of 3 nodes", points: rows.map((r) => ({ x: x(r), y: r.cpuPercentMean })) },
        { name: "busiest node", points: rows.map((r) => ({ x: x(r), y: r.cpuPercentMax })) },
      ],
    },
    {
      id: "scale-idle-rss",
      title: "Resident memory per node against the Raft groups it hosts (idle)",
      kind: "line",
      xTitle: "Raft groups per node",
      yTitle: "RSS, MiB",
      xScale: "log",
      series: [{
        name: "mean of 3 nodes",
        points: rows.map((r) => ({ x: x(r), y: r.rssBytesMean / MIB })),
      }],
    },
  ];
}

/** Bytes per item: dsync's largest and smallest node, and redis-server for a line. */
export function memoryChart(rows: readonly MemoryRow[], peers: readonly PeerMemoryRow[]): Chart {
  const index = (i: number) => i + 1;
  const items = rows.map((row, i) => `${index(i)} ${row.item}`).join(", ");
  const series = [
    {
      name: "dsync, node that grew most",
      points: rows.map((r, i) => ({ x: index(i), y: Math.max(...r.nodeBytesPerItem) })),
    },
    {
      name: "dsync, node that grew least",
      points: rows.map((r, i) => ({ x: index(i), y: Math.min(...r.nodeBytesPerItem) })),
    },
  ];
  const lineIndex = rows.findIndex((row) => row.item.startsWith("cached line"));
  for (const peer of peers) {
    if (lineIndex < 0) break;
    series.push({ name: peer.peer, points: [{ x: index(lineIndex), y: peer.bytesPerItem }] });
  }
  return {
    id: "scale-memory",
    title: "Memory per item (RSS slope per node; redis-server: used_memory per key)",
    kind: "bar",
    xTitle: `item (${items})`,
    yTitle: "bytes per item",
    series,
  };
}

/**
 * Server CPU ms per operation, one bar per system; linear (bars on a log scale have no base), so
 * the table carries the small values exactly.
 */
export function costChart(rows: readonly CostRow[]): Chart {
  const systems = [...new Set(rows.map((row) => row.system))];
  const series = systems.map((system) => ({
    name: system,
    points: COST_OPS.flatMap((entry, i) => {
      const row = rows.find((r) => r.system === system && entry.ops.includes(r.op));
      return row?.cpuMsPerOp != null && row.cpuMsPerOp > 0 ? [{ x: i + 1, y: row.cpuMsPerOp }] : [];
    }),
  }));
  const labels = COST_OPS.map((entry, i) => `${i + 1} ${entry.label}`).join(", ");
  return {
    id: "scale-cost",
    title: "Server CPU per operation (all server processes)",
    kind: "bar",
    xTitle: `operation (${labels})`,
    yTitle: "server CPU ms per operation",
    series,
  };
}

/** The tables: idle, memory, cost. */
export function scaleTables(
  idle: readonly IdleRow[],
  memory: readonly MemoryRow[],
  peers: readonly PeerMemoryRow[],
  costs: readonly CostRow[],
): Table[] {
  const bytes = (value: number | null) => value === null ? null : Math.round(value);
  return [
    {
      title: "Idle cost against slots (3 nodes)",
      columns: ["slots", "groups per node", "CPU % (mean)", "CPU % (max)", "RSS MiB (mean)"],
      rows: idle.map((r) => [
        r.slots,
        round(r.groupsPerNode, 0),
        round(r.cpuPercentMean, 2),
        round(r.cpuPercentMax, 2),
        round(r.rssBytesMean / MIB, 1),
      ]),
    },
    {
      title: "Memory per item (bytes, RSS slope)",
      columns: ["item", "count", "n1", "n2", "n3", "meta leader", "followers"],
      rows: [
        ...memory.map((r) => [
          r.item,
          r.count,
          ...[0, 1, 2].map((i) => bytes(r.nodeBytesPerItem[i] ?? null)),
          bytes(r.leaderBytesPerItem),
          bytes(r.followerBytesPerItem),
        ]),
        ...peers.map((p) => [
          `${p.peer}: ${p.item} (used_memory)`,
          p.count,
          bytes(p.bytesPerItem),
          null,
          null,
          null,
          null,
        ]),
      ],
    },
    {
      title: "Server CPU per operation",
      columns: [
        "system",
        "operation",
        "clients",
        "ops",
        "ops/s",
        "server CPU ms",
        "ms/op",
        "load 1m",
      ],
      rows: costs.map((r) => [
        r.system,
        r.op,
        r.clientCount,
        r.operations,
        round(r.opsPerSecond, 0),
        round(r.serverCpuMs, 0),
        r.cpuMsPerOp === null ? null : round(r.cpuMsPerOp, 3),
        round(r.loadAverage1m, 1),
      ]),
    },
  ];
}

/** Summary lines: CPU per lock cycle against etcd, memory per line against redis-server. */
export function scaleSummary(
  costs: readonly CostRow[],
  memory: readonly MemoryRow[],
  peers: readonly PeerMemoryRow[],
  etcdName: string | null,
): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const lock = costs.find((r) => r.system === "dsync-3" && r.op === "lock cycle");
  const etcdLock = costs.find((r) => r.system === "etcd-3" && r.op === "lock cycle");
  if (lock?.cpuMsPerOp != null) {
    const peerValue = etcdLock?.cpuMsPerOp ?? null;
    rows.push({
      primitive: "locks",
      measure:
        `server CPU ms per acquire+release cycle, ${lock.clientCount} clients (lower is better)`,
      dsync: round(lock.cpuMsPerOp, 3),
      peer: peerValue === null ? null : etcdName,
      peerValue: peerValue === null ? null : round(peerValue, 3),
      ratio: peerValue === null ? null : round(peerValue / lock.cpuMsPerOp, 2),
    });
  }
  const line = memory.find((r) => r.item.startsWith("cached line"));
  const peer = peers[0];
  if (line !== undefined) {
    const dsync = Math.max(...line.nodeBytesPerItem);
    rows.push({
      primitive: "cache",
      measure: "memory per cached 256 B line, bytes, largest node (lower is better)",
      dsync: Math.round(dsync),
      peer: peer?.peer ?? null,
      peerValue: peer === undefined ? null : Math.round(peer.bytesPerItem),
      ratio: peer === undefined ? null : round(peer.bytesPerItem / dsync, 2),
    });
  }
  return rows;
}
