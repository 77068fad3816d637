/**
 * Issue 12's queue comparison, in one run on 127.0.0.1: NATS JetStream (3 clustered
 * `nats-server -js`, a work-queue stream with 3 replicas; as shipped, and with
 * `sync_interval: always` where the installed server accepts it) and dsync (3 nodes). Each system:
 * producers 1/16/64 each pushing 256-byte payloads and awaiting the ack, then 16 consumers taking
 * COUNT 32 and acking every message, until all pushed messages are taken. msgs/s and p50/p99.
 * Manual measurement (not run by CI). Usage:
 *   deno task bench:queue [--only nats|dsync] [--producers 1,16,64] [--seconds 10]
 *     [--consumers 16] [--count 32] [--nats-sync default,always] [--nats-ack awaited|flushed]
 *     [--json FILE]
 * nats-server comes from Debian: `apt-get install -y nats-server`.
 */
import { Command } from "commander";
import { type NatsSync, natsSyncAlwaysSupported, natsVersion } from "./nats_cluster.ts";
import type { NatsAckMode } from "./nats_queue_client.ts";
import { QUEUES_NOT_SERVED } from "./dsync_queue_client.ts";
import { QUEUE_BENCH, startDsyncQueueSide, startNatsQueueSide } from "./queue_sides.ts";
import {
  CommandsNotServedError,
  type OpenQueueClient,
  runConsumeLevel,
  runPushLevel,
} from "./queue_workload.ts";
import {
  printQueueRatios,
  printQueueResults,
  type QueueBenchRow,
  queueRatios,
} from "./queue_report.ts";

/** Bytes of every payload (the 256). */
const PAYLOAD_BYTES = QUEUE_BENCH.payloadBytes;
/** A consumer stops after this many empty takes in a row. */
const EMPTY_TAKES_MAX = 3;
/** Errors tolerated per level before it is ended early. */
const LEVEL_ERROR_COUNT_MAX = 1_000;
/** Longest consume level, s (it normally ends when everything pushed was taken). */
const CONSUME_SECONDS_MAX = 300;
const LEVEL_SECONDS_MAX = 600;
const CLIENT_COUNT_MAX = 1_024;
const SIDES = ["nats", "dsync"] as const;
const SYNCS: readonly NatsSync[] = ["default", "always"];
const ACK_MODES: readonly NatsAckMode[] = ["awaited", "flushed"];

interface Settings {
  sides: Array<(typeof SIDES)[number]>;
  producerCounts: number[];
  seconds: number;
  consumerCount: number;
  batchCount: number;
  natsSyncs: NatsSync[];
  natsAck: NatsAckMode;
  json: string | undefined;
}

function bounded(text: string, min: number, max: number, what: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`Invalid ${what} '${text}': use a number from ${min} to ${max}`);
  }
  return value;
}

function oneOf<T extends string>(text: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw new RangeError(`Invalid ${what} '${text}': use ${allowed.join(", ")}`);
  }
  return text as T;
}

function parseSettings(args: string[]): Settings {
  const o = new Command()
    .option("--only <side>", "run one side alone: nats or dsync")
    .option("--producers <list>", "producers per push level", "1,16,64")
    .option("--seconds <n>", "seconds per push level", "10")
    .option("--consumers <n>", "consumers of the pop+ack level", "16")
    .option("--count <n>", "messages per take (COUNT)", "32")
    .option(
      "--nats-sync <list>",
      "NATS fsync modes: default (as shipped), always",
      "default,always",
    )
    .option("--nats-ack <mode>", "NATS acks: awaited (ackAck, as dsync) or flushed", "awaited")
    .option("--json <file>", "also write the results as JSON")
    .parse(args, { from: "user" })
    .opts();
  const integer = (text: string, max: number, what: string) =>
    Math.floor(bounded(text, 1, max, what));
  return {
    sides: o.only === undefined ? [...SIDES] : [oneOf(String(o.only), SIDES, "--only")],
    producerCounts: String(o.producers).split(",").map((count) =>
      integer(count, CLIENT_COUNT_MAX, "--producers entry")
    ),
    seconds: bounded(String(o.seconds), 0.1, LEVEL_SECONDS_MAX, "--seconds"),
    consumerCount: integer(String(o.consumers), CLIENT_COUNT_MAX, "--consumers"),
    batchCount: integer(String(o.count), 1_000, "--count"),
    natsSyncs: String(o.natsSync).split(",").map((sync) => oneOf(sync, SYNCS, "--nats-sync")),
    natsAck: oneOf(String(o.natsAck), ACK_MODES, "--nats-ack"),
    json: o.json === undefined ? undefined : String(o.json),
  };
}

/** Push levels, then one consume level that takes what they stored. */
async function measure(
  system: string,
  open: OpenQueueClient,
  settings: Settings,
): Promise<QueueBenchRow[]> {
  const rows: QueueBenchRow[] = [];
  const row = (phase: QueueBenchRow["phase"], clients: number) => ({
    system,
    phase,
    clients,
    loadAverage1m: Deno.loadavg()[0] ?? 0,
  });
  let stored = 0;
  for (const producerCount of settings.producerCounts) {
    const result = await runPushLevel(open, {
      target: system,
      producerCount,
      seconds: settings.seconds,
      payloadBytes: PAYLOAD_BYTES,
      errorCountMax: LEVEL_ERROR_COUNT_MAX,
      progress: true,
    });
    stored += result.messages;
    rows.push({ ...result, ...row("push", producerCount) });
  }
  const consumed = await runConsumeLevel(open, {
    target: system,
    consumerCount: settings.consumerCount,
    batchCount: settings.batchCount,
    messageCount: stored,
    secondsMax: CONSUME_SECONDS_MAX,
    emptyTakesMax: EMPTY_TAKES_MAX,
    errorCountMax: LEVEL_ERROR_COUNT_MAX,
    progress: true,
  });
  rows.push({ ...consumed, ...row("pop+ack", settings.consumerCount) });
  if (consumed.messages < stored) {
    console.log(`${system}: took ${consumed.messages} of the ${stored} messages pushed`);
  }
  return rows;
}

/** Stops whatever cluster runs now; the SIGINT handler calls it so Ctrl-C leaves no process. */
let stopRunning: (() => Promise<void>) | null = null;

async function measureNats(sync: NatsSync, settings: Settings): Promise<QueueBenchRow[]> {
  const system = (sync === "default" ? "nats-3 lazy fsync" : "nats-3 sync always") +
    (settings.natsAck === "flushed" ? ", acks flushed" : "");
  const side = await startNatsQueueSide(
    { serverCount: 3, replicas: 3, sync, ackMode: settings.natsAck },
    system,
  );
  stopRunning = side.stop;
  try {
    console.error(`${system} started`);
    return await measure(system, side.open, settings);
  } finally {
    stopRunning = null;
    await side.stop();
  }
}

async function measureDsync(settings: Settings): Promise<QueueBenchRow[]> {
  const side = await startDsyncQueueSide(3, "dsync-3");
  stopRunning = side.stop;
  try {
    console.error("dsync-3 started");
    return await measure(side.system, side.open, settings);
  } finally {
    stopRunning = null;
    await side.stop();
  }
}

async function natsSyncsToRun(settings: Settings, notes: string[]): Promise<NatsSync[]> {
  const version = await natsVersion();
  if (version === null) {
    notes.push("NATS not measured: no nats-server on PATH (apt-get install -y nats-server)");
    return [];
  }
  notes.push(`NATS: ${version}`);
  if (!settings.natsSyncs.includes("always") || await natsSyncAlwaysSupported()) {
    return settings.natsSyncs;
  }
  notes.push(
    `NATS sync_interval: always not measured: ${version} refuses the option ` +
      "(it came with nats-server 2.10)",
  );
  return settings.natsSyncs.filter((sync) => sync !== "always");
}

async function main(): Promise<void> {
  const settings = parseSettings(Deno.args);
  const rows: QueueBenchRow[] = [];
  const notes: string[] = [];
  const failures: string[] = [];
  const interrupted = () =>
    void (stopRunning?.() ?? Promise.resolve()).finally(() => Deno.exit(130));
  Deno.addSignalListener("SIGINT", interrupted);
  if (settings.sides.includes("nats")) {
    for (const sync of await natsSyncsToRun(settings, notes)) {
      try {
        rows.push(...await measureNats(sync, settings));
      } catch (error) {
        failures.push(`nats ${sync}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  if (settings.sides.includes("dsync")) {
    try {
      rows.push(...await measureDsync(settings));
    } catch (error) {
      if (error instanceof CommandsNotServedError) notes.push(`dsync-3: ${QUEUES_NOT_SERVED}`);
      else failures.push(`dsync: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  Deno.removeSignalListener("SIGINT", interrupted);
  for (const note of notes) console.log(note);
  if (rows.length > 0) printQueueResults(rows);
  const ratios = queueRatios(rows);
  printQueueRatios(ratios);
  for (const failure of failures) console.log(`FAILED ${failure}`);
  if (settings.json !== undefined) {
    const report = {
      command: `deno task bench:queue ${Deno.args.join(" ")}`.trim(),
      cores: navigator.hardwareConcurrency,
      loadAverage: Deno.loadavg(),
      deno: Deno.version.deno,
      nats: await natsVersion(),
      workload: { payloadBytes: PAYLOAD_BYTES, ...settings },
      rows,
      ratios,
      notes,
      failures,
    };
    await Deno.writeTextFile(settings.json, JSON.stringify(report, null, 2) + "\n");
  }
  if (failures.length > 0) Deno.exitCode = 1;
}

// The file name does not match `deno bench`'s pattern, but keep loading it free of side effects.
if (import.meta.main) await main();
