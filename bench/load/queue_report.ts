/** Tables of `bench/load/queue_bench.ts`: every level, and dsync against NATS at equal load. */
import Table from "cli-table3";
import type { QueueLevelResult } from "./queue_workload.ts";

/** One measured level with the system it ran against. */
export type QueueBenchRow = QueueLevelResult & {
  /** e.g. "nats-3 lazy fsync", "nats-3 sync always", "dsync-3". */
  system: string;
  phase: "push" | "pop+ack";
  /** Producers (push) or consumers (pop+ack). */
  clients: number;
  /** The machine's 1-minute load average when the level ended (2 cores: 2.0 is busy). */
  loadAverage1m: number;
};

/** dsync against one NATS configuration at the same phase and client count. */
export interface QueueRatio {
  phase: QueueBenchRow["phase"];
  clients: number;
  nats: string;
  dsyncMessagesPerSecond: number;
  natsMessagesPerSecond: number;
  /** dsync msgs/s divided by NATS msgs/s. */
  ratio: number;
}

/** No colour codes: the tables are meant to be pasted into docs/performance.md. */
const PLAIN = { head: [], border: [] };

function fixed(value: number, digits: number): string {
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Prints every level as a cli-table3 table on stdout. */
export function printQueueResults(rows: readonly QueueBenchRow[]): void {
  const table = new Table({
    style: PLAIN,
    head: [
      "system",
      "phase",
      "clients",
      "msgs",
      "msgs/s",
      "p50 ms",
      "p99 ms",
      "max ms",
      "errors",
      "load",
    ],
  });
  for (const r of rows) {
    table.push([
      r.system,
      r.phase === "push" ? "push (await ack)" : "pop 32 + ack",
      r.phase === "push" ? `P=${r.clients}` : `C=${r.clients}`,
      r.messages,
      fixed(r.messagesPerSecond, 0),
      fixed(r.p50Ms, 2),
      fixed(r.p99Ms, 2),
      fixed(r.maxMs, 2),
      r.aborted ? `${r.errors} (aborted)` : r.errors,
      fixed(r.loadAverage1m, 1),
    ]);
  }
  console.log(table.toString());
  for (const r of rows) {
    if (r.firstError !== null) {
      console.log(`${r.system} ${r.phase} ${r.clients}: first error: ${r.firstError}`);
    }
  }
}

/** Pairs dsync rows with every NATS configuration's row of the same phase and client count. */
export function queueRatios(rows: readonly QueueBenchRow[]): QueueRatio[] {
  const ratios: QueueRatio[] = [];
  for (const dsync of rows.filter((r) => r.system.startsWith("dsync"))) {
    for (const nats of rows.filter((r) => r.system.startsWith("nats"))) {
      if (nats.phase !== dsync.phase || nats.clients !== dsync.clients) continue;
      ratios.push({
        phase: dsync.phase,
        clients: dsync.clients,
        nats: nats.system,
        dsyncMessagesPerSecond: dsync.messagesPerSecond,
        natsMessagesPerSecond: nats.messagesPerSecond,
        ratio: nats.messagesPerSecond === 0 ? 0 : dsync.messagesPerSecond / nats.messagesPerSecond,
      });
    }
  }
  return ratios;
}

/** Prints the ratios (nothing when only one side ran). */
export function printQueueRatios(ratios: readonly QueueRatio[]): void {
  if (ratios.length === 0) return;
  const table = new Table({
    style: PLAIN,
    head: ["phase", "clients", "against", "dsync msgs/s", "NATS msgs/s", "dsync/NATS"],
  });
  for (const r of ratios) {
    table.push([
      r.phase,
      r.clients,
      r.nats,
      fixed(r.dsyncMessagesPerSecond, 0),
      fixed(r.natsMessagesPerSecond, 0),
      `${fixed(r.ratio, 2)}x`,
    ]);
  }
  console.log(table.toString());
}
