/**
 * The report's queues section: push (each producer awaits its ack) and pop+ack on dsync with 1, 3
 * and 5 nodes beside NATS JetStream with as many servers (stream R1 on one server, R3 otherwise),
 * the two clusters running side by side and measured level by level, back to back.
 */
import type { PartContext, ReportPart, SectionResult } from "../../results.ts";
import { partCommand } from "../../runner.ts";
import { natsVersion } from "../../../load/nats_cluster.ts";
import {
  QUEUE_BENCH,
  type QueueSide,
  startDsyncQueueSide,
  startNatsQueueSide,
} from "../../../load/queue_sides.ts";
import {
  type QueueLevelResult,
  runConsumeLevel,
  runPushLevel,
} from "../../../load/queue_workload.ts";
import { type QueueRow, queueSectionBody } from "./section.ts";

/** Sizes of one run of the section. */
interface QueueSizes {
  nodeCounts: number[];
  producerCounts: number[];
  pushSeconds: number;
  consumerCount: number;
  batchCount: number;
  /** Bound on one consume level, s (it ends earlier once everything pushed was taken). */
  consumeSecondsMax: number;
}

const FULL: QueueSizes = {
  nodeCounts: [1, 3, 5],
  producerCounts: [1, 16, 64, 256],
  pushSeconds: 4,
  consumerCount: 16,
  batchCount: 32,
  consumeSecondsMax: 8,
};

const QUICK: QueueSizes = {
  nodeCounts: [1, 3],
  producerCounts: [1, 16],
  pushSeconds: 1,
  consumerCount: 16,
  batchCount: 32,
  consumeSecondsMax: 2,
};

/** Errors tolerated per level before it ends early. */
const LEVEL_ERROR_COUNT_MAX = 1_000;
/** A consumer stops after this many empty takes in a row. */
const EMPTY_TAKES_MAX = 2;
/** The claim's producer count and cluster size. */
const SUMMARY_PRODUCERS = 64;
const SUMMARY_NODES = 3;

function sizesOf(quick: boolean): QueueSizes {
  return quick ? QUICK : FULL;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One started pair: dsync, and NATS unless it is missing or failed to start. */
interface Pair {
  nodes: number;
  sides: { kind: QueueRow["kind"]; side: QueueSide; stored: number }[];
}

async function startPair(nodes: number, withNats: boolean, skipped: string[]): Promise<Pair> {
  const pair: Pair = { nodes, sides: [] };
  const plural = nodes === 1 ? "" : "s";
  const [dsync, nats] = await Promise.allSettled([
    startDsyncQueueSide(nodes, `dsync ${nodes} node${plural}`),
    withNats
      ? startNatsQueueSide(
        { serverCount: nodes, replicas: Math.min(nodes, 3), sync: "default", ackMode: "awaited" },
        `NATS ${nodes} server${plural} R${Math.min(nodes, 3)}`,
      )
      : Promise.reject(null),
  ]);
  if (dsync.status === "fulfilled") {
    pair.sides.push({ kind: "dsync", side: dsync.value, stored: 0 });
  } else skipped.push(`dsync ${nodes} nodes: did not start: ${message(dsync.reason)}`);
  if (nats.status === "fulfilled") pair.sides.push({ kind: "nats", side: nats.value, stored: 0 });
  else if (nats.reason !== null) {
    skipped.push(`NATS ${nodes} servers: did not start: ${message(nats.reason)}`);
  }
  return pair;
}

function row(
  kind: QueueRow["kind"],
  side: QueueSide,
  nodes: number,
  phase: QueueRow["phase"],
  clients: number,
  result: QueueLevelResult,
): QueueRow {
  return {
    kind,
    system: side.system,
    nodes,
    phase,
    clients,
    messages: result.messages,
    messagesPerSecond: result.messagesPerSecond,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    errors: result.errors,
    firstError: result.firstError,
    loadAverage1m: Deno.loadavg()[0] ?? 0,
  };
}

/** Push levels, each run on both sides back to back (alternating who goes first), then pop+ack. */
async function measurePair(
  pair: Pair,
  sizes: QueueSizes,
  context: PartContext,
  rows: QueueRow[],
  skipped: string[],
): Promise<void> {
  for (const [levelIndex, producerCount] of sizes.producerCounts.entries()) {
    const order = levelIndex % 2 === 0 ? pair.sides : [...pair.sides].reverse();
    for (const entry of order) {
      try {
        const result = await runPushLevel(entry.side.open, {
          target: entry.side.system,
          producerCount,
          seconds: sizes.pushSeconds,
          payloadBytes: QUEUE_BENCH.payloadBytes,
          errorCountMax: LEVEL_ERROR_COUNT_MAX,
          progress: false,
        });
        entry.stored += result.messages;
        rows.push(row(entry.kind, entry.side, pair.nodes, "push", producerCount, result));
      } catch (error) {
        skipped.push(`${entry.side.system} push ${producerCount}: ${message(error)}`);
      }
      context.progress.advance(`${entry.side.system} push P=${producerCount}`);
    }
  }
  for (const entry of pair.sides) {
    try {
      const result = await runConsumeLevel(entry.side.open, {
        target: entry.side.system,
        consumerCount: sizes.consumerCount,
        batchCount: sizes.batchCount,
        messageCount: entry.stored,
        secondsMax: sizes.consumeSecondsMax,
        emptyTakesMax: EMPTY_TAKES_MAX,
        errorCountMax: LEVEL_ERROR_COUNT_MAX,
        progress: false,
      });
      rows.push(row(entry.kind, entry.side, pair.nodes, "pop+ack", sizes.consumerCount, result));
    } catch (error) {
      skipped.push(`${entry.side.system} pop+ack: ${message(error)}`);
    }
    context.progress.advance(`${entry.side.system} pop+ack C=${sizes.consumerCount}`);
  }
}

async function run(context: PartContext): Promise<SectionResult> {
  const started = performance.now();
  const sizes = sizesOf(context.quick);
  const rows: QueueRow[] = [];
  const skipped: string[] = [];
  const version = await natsVersion();
  if (version === null) {
    skipped.push(
      "NATS JetStream not measured: no nats-server on PATH (apt-get install nats-server)",
    );
  }
  for (const nodes of sizes.nodeCounts) {
    const pair = await startPair(nodes, version !== null, skipped);
    // A side that did not start skips its levels: move the bar past them at once.
    const missingSteps = (2 - pair.sides.length) * (sizes.producerCounts.length + 1);
    context.progress.advance(
      `started ${pair.sides.map((entry) => entry.side.system).join(", ")}`,
      1 + missingSteps,
    );
    try {
      await measurePair(pair, sizes, context, rows, skipped);
    } finally {
      await Promise.all(pair.sides.map((entry) => entry.side.stop()));
    }
  }
  const summaryNodes = Math.max(...sizes.nodeCounts.filter((n) => n <= SUMMARY_NODES));
  const summaryProducers = Math.max(
    ...sizes.producerCounts.filter((count) => count <= SUMMARY_PRODUCERS),
  );
  const body = queueSectionBody(rows, {
    natsVersion: version,
    payloadBytes: QUEUE_BENCH.payloadBytes,
    pushSeconds: sizes.pushSeconds,
    batchCount: sizes.batchCount,
    summaryProducers,
    summaryNodes,
  });
  return {
    id: queuesPart.id,
    title: queuesPart.title,
    command: partCommand(queuesPart.id, context.quick),
    ...body,
    skipped,
    elapsedSeconds: (performance.now() - started) / 1000,
  };
}

/** Queues: dsync against NATS JetStream, push and pop+ack. */
export const queuesPart: ReportPart = {
  id: "queues",
  title: "Queues: dsync against NATS JetStream",
  steps(quick: boolean): number {
    const sizes = sizesOf(quick);
    return sizes.nodeCounts.length * (1 + 2 * sizes.producerCounts.length + 2);
  },
  run,
};
