/**
 * The queues section's charts, tables, summary rows and text, written from measured levels
 * only (pure: no I/O, no clock).
 */
import type { Chart, Series, SummaryRow, Table } from "../../results.ts";

/** One measured level of one system. */
export interface QueueRow {
  /** "dsync" or "nats". */
  kind: "dsync" | "nats";
  /** Display name ("dsync 3 nodes", "NATS 3 servers R3"). */
  system: string;
  /** Nodes (dsync) or servers (NATS) of the cluster. */
  nodes: number;
  phase: "push" | "pop+ack";
  /** Producers (push) or consumers (pop+ack). */
  clients: number;
  messages: number;
  messagesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** The first failed call's message, if any call failed. */
  firstError: string | null;
  /** The 1-minute load average when the level ended. */
  loadAverage1m: number;
}

/** What the section's text needs beside the rows. */
export interface QueueFacts {
  /** "nats-server: v2.9.10", or null when NATS did not run. */
  natsVersion: string | null;
  payloadBytes: number;
  pushSeconds: number;
  batchCount: number;
  /** Producers of the summary row (the claim's 64, or the largest level of a quick run). */
  summaryProducers: number;
  /** Nodes of the summary rows (3, or the largest of a quick run). */
  summaryNodes: number;
}

/** The founding documents' claim this section answers. */
export const QUEUE_CLAIM = "6,500 queue msgs/s on 3 nodes";

/** The parts of a SectionResult the queues section writes from its rows. */
export interface QueueSectionBody {
  text: string[];
  charts: Chart[];
  tables: Table[];
  summary: SummaryRow[];
}

function series(rows: readonly QueueRow[], value: (row: QueueRow) => number): Series[] {
  const names = [...new Set(rows.map((row) => row.system))];
  return names.map((name) => ({
    name,
    points: rows.filter((row) => row.system === name)
      .map((row) => ({ x: row.clients, y: value(row) }))
      .sort((a, b) => a.x - b.x),
  }));
}

function find(
  rows: readonly QueueRow[],
  kind: QueueRow["kind"],
  phase: QueueRow["phase"],
  nodes: number,
  clients?: number,
): QueueRow | undefined {
  return rows.find((row) =>
    row.kind === kind && row.phase === phase && row.nodes === nodes &&
    (clients === undefined || row.clients === clients)
  );
}

function round(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function ms(value: number): string {
  return value.toFixed(value < 10 ? 2 : 1);
}

/** dsync / peer, or null without both. */
function ratioOf(dsync: number | undefined, peer: number | undefined): number | null {
  if (dsync === undefined || peer === undefined || peer === 0) return null;
  return dsync / peer;
}

function summaryRows(rows: readonly QueueRow[], facts: QueueFacts): SummaryRow[] {
  const { summaryNodes: nodes, summaryProducers: producers } = facts;
  const summary: SummaryRow[] = [];
  const peerName = (row: QueueRow | undefined) =>
    row === undefined ? null : `${row.system} (${facts.natsVersion ?? "nats-server"})`;
  const dsyncPush = find(rows, "dsync", "push", nodes, producers);
  const natsPush = find(rows, "nats", "push", nodes, producers);
  if (dsyncPush !== undefined) {
    summary.push({
      primitive: "queues",
      measure: `push msgs/s (ack awaited), ${producers} producers, ${nodes} nodes`,
      dsync: Math.round(dsyncPush.messagesPerSecond),
      peer: peerName(natsPush),
      peerValue: natsPush === undefined ? null : Math.round(natsPush.messagesPerSecond),
      ratio: ratioOf(dsyncPush.messagesPerSecond, natsPush?.messagesPerSecond),
      claim: QUEUE_CLAIM,
    });
  }
  const dsyncPop = find(rows, "dsync", "pop+ack", nodes);
  const natsPop = find(rows, "nats", "pop+ack", nodes);
  if (dsyncPop !== undefined) {
    summary.push({
      primitive: "queues",
      measure: `pop+ack msgs/s, ${dsyncPop.clients} consumers (COUNT ${facts.batchCount}), ` +
        `${nodes} nodes`,
      dsync: Math.round(dsyncPop.messagesPerSecond),
      peer: peerName(natsPop),
      peerValue: natsPop === undefined ? null : Math.round(natsPop.messagesPerSecond),
      ratio: ratioOf(dsyncPop.messagesPerSecond, natsPop?.messagesPerSecond),
    });
  }
  return summary;
}

function charts(rows: readonly QueueRow[]): Chart[] {
  const push = rows.filter((row) => row.phase === "push");
  const pop = rows.filter((row) => row.phase === "pop+ack");
  const popSystems = [...new Set(pop.map((row) => row.kind))];
  return [
    {
      id: "queues-push-throughput",
      title: "Queue push throughput (each producer awaits its ack)",
      kind: "line",
      xTitle: "producers",
      yTitle: "msgs/s",
      xScale: "log",
      series: series(push, (row) => row.messagesPerSecond),
    },
    {
      id: "queues-push-p99",
      title: "Queue push latency, p99",
      kind: "line",
      xTitle: "producers",
      yTitle: "p99 ms",
      xScale: "log",
      yScale: "log",
      series: series(push, (row) => row.p99Ms),
    },
    {
      id: "queues-consume",
      title: "Pop + ack throughput by cluster size",
      kind: "bar",
      xTitle: "nodes",
      yTitle: "msgs/s",
      series: popSystems.map((kind) => ({
        name: kind === "dsync" ? "dsync" : "NATS JetStream",
        points: pop.filter((row) => row.kind === kind)
          .map((row) => ({ x: row.nodes, y: row.messagesPerSecond }))
          .sort((a, b) => a.x - b.x),
      })),
    },
  ];
}

function table(rows: readonly QueueRow[]): Table {
  return {
    title: "Every level, in the order run",
    columns: ["system", "phase", "clients", "msgs", "msgs/s", "p50 ms", "p99 ms", "errors", "load"],
    rows: rows.map((row) => [
      row.system,
      row.phase,
      row.clients,
      row.messages,
      Math.round(row.messagesPerSecond),
      Number(row.p50Ms.toFixed(2)),
      Number(row.p99Ms.toFixed(2)),
      row.errors,
      Number(row.loadAverage1m.toFixed(2)),
    ]),
  };
}

function text(rows: readonly QueueRow[], facts: QueueFacts): string[] {
  const paragraphs = [
    `Producers push ${facts.payloadBytes}-byte payloads for ${facts.pushSeconds} s per level, ` +
    "each awaiting its acknowledgement before the next push; dsync and NATS JetStream run the " +
    "same level back to back (the one that goes first alternates), so background load falls on " +
    "both alike. Then consumers take up to " +
    `${facts.batchCount} messages per call and ack each one, until the pushed messages are taken ` +
    "or the level's time bound ends. The load generator runs on the same cores as the servers.",
    "The acknowledgements do not promise the same thing: a dsync push is acknowledged after the " +
    "message is fsynced on a majority of its queue group, while NATS " +
    `${facts.natsVersion?.replace(/^nats-server:\s*/, "") ?? "JetStream"} acknowledges once ` +
    "a majority of the stream's replicas has written the message to its files without fsync, " +
    "and fsyncs lazily (every two minutes by default): a power loss on a majority can lose " +
    "acknowledged NATS messages, a process crash cannot.",
  ];
  const { summaryNodes: nodes, summaryProducers: producers } = facts;
  const dsync = find(rows, "dsync", "push", nodes, producers);
  const nats = find(rows, "nats", "push", nodes, producers);
  if (dsync !== undefined) {
    let line = `At ${producers} producers on ${nodes} nodes dsync stored ` +
      `${round(dsync.messagesPerSecond)} msgs/s (p99 ${ms(dsync.p99Ms)} ms)`;
    if (nats !== undefined) {
      const ratio = ratioOf(dsync.messagesPerSecond, nats.messagesPerSecond) ?? 0;
      line += `, NATS ${round(nats.messagesPerSecond)} msgs/s (p99 ${ms(nats.p99Ms)} ms): ` +
        `dsync reaches ${ratio.toFixed(2)}x NATS`;
    }
    paragraphs.push(`${line}. The founding documents claimed ${QUEUE_CLAIM}.`);
  }
  const best = rows.filter((row) => row.kind === "dsync" && row.phase === "push")
    .sort((a, b) => b.messagesPerSecond - a.messagesPerSecond)[0];
  if (best !== undefined) {
    paragraphs.push(
      `dsync's best push level was ${round(best.messagesPerSecond)} msgs/s with ` +
        `${best.clients} producers on ${best.nodes} node${best.nodes === 1 ? "" : "s"}.`,
    );
  }
  const errors = rows.reduce((sum, row) => sum + row.errors, 0);
  if (errors > 0) {
    const failing = rows.filter((row) => row.errors > 0)
      .map((row) => `${row.system} ${row.phase} ${row.clients} (first: ${row.firstError ?? "?"})`);
    paragraphs.push(
      `${errors} call${errors === 1 ? "" : "s"} failed, in: ${failing.join(", ")}.`,
    );
  }
  return paragraphs;
}

/** The section's body from its measured rows. */
export function queueSectionBody(rows: readonly QueueRow[], facts: QueueFacts): QueueSectionBody {
  return {
    text: text(rows, facts),
    charts: charts(rows),
    tables: [table(rows)],
    summary: summaryRows(rows, facts),
  };
}
