/** Tables of `bench/load/lock_bench.ts`: every level, and dsync against etcd at equal C. */
import Table from "cli-table3";
import type { LevelResult } from "./lock_workload.ts";
import type { TargetRow } from "./lock_targets.ts";

/** One measured level with the cluster it ran against. */
export type BenchResult = LevelResult & Omit<TargetRow, "label"> & {
  /** The machine's 1-minute load average when the level ended (2 cores: 2.0 is busy). */
  loadAverage1m: number;
  /** CPU ms all server processes used per completed cycle (null where /proc is missing). */
  serverCpuMsPerCycle: number | null;
  /** CPU ms this load generator used per completed cycle (null where /proc is missing). */
  clientCpuMsPerCycle: number | null;
};

/** dsync 3-node against etcd 3-node at the same client count and routing. */
export interface LockRatio {
  clients: number;
  route: TargetRow["route"];
  dsyncCyclesPerSecond: number;
  etcdCyclesPerSecond: number;
  /** dsync cycles/s divided by etcd cycles/s. */
  throughputRatio: number;
  dsyncP99Ms: number;
  etcdP99Ms: number;
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
export function printResults(results: BenchResult[]): void {
  const table = new Table({
    style: PLAIN,
    head: [
      "system",
      "nodes",
      "route",
      "C",
      "cycles/s",
      "p50 ms",
      "p95 ms",
      "p99 ms",
      "max ms",
      "not granted",
      "errors",
      "server CPU ms/cycle",
      "client CPU ms/cycle",
      "load",
    ],
  });
  for (const r of results) {
    table.push([
      r.system,
      r.nodeCount,
      r.nodeCount === 1 ? "-" : r.route,
      r.clients,
      fixed(r.cyclesPerSecond, 0),
      fixed(r.p50Ms, 2),
      fixed(r.p95Ms, 2),
      fixed(r.p99Ms, 2),
      fixed(r.maxMs, 2),
      r.notGranted,
      r.aborted ? `${r.errors} (aborted)` : r.errors,
      r.serverCpuMsPerCycle === null ? "-" : fixed(r.serverCpuMsPerCycle, 3),
      r.clientCpuMsPerCycle === null ? "-" : fixed(r.clientCpuMsPerCycle, 3),
      fixed(r.loadAverage1m, 1),
    ]);
  }
  console.log(table.toString());
  for (const r of results) {
    if (r.firstError !== null) {
      console.log(`${r.target} C=${r.clients}: first error: ${r.firstError}`);
    }
  }
}

/** Pairs dsync-3 with etcd-3 levels of the same C and route; prints and returns the ratios. */
export function printRatios(results: BenchResult[]): LockRatio[] {
  const ratios: LockRatio[] = [];
  for (const dsync of results) {
    if (dsync.system !== "dsync" || dsync.nodeCount !== 3) continue;
    const etcd = results.find((r) =>
      r.system === "etcd" && r.route === dsync.route && r.clients === dsync.clients
    );
    if (etcd === undefined) continue;
    ratios.push({
      clients: dsync.clients,
      route: dsync.route,
      dsyncCyclesPerSecond: dsync.cyclesPerSecond,
      etcdCyclesPerSecond: etcd.cyclesPerSecond,
      throughputRatio: etcd.cyclesPerSecond === 0
        ? 0
        : dsync.cyclesPerSecond / etcd.cyclesPerSecond,
      dsyncP99Ms: dsync.p99Ms,
      etcdP99Ms: etcd.p99Ms,
    });
  }
  if (ratios.length === 0) return ratios;
  const table = new Table({
    style: PLAIN,
    head: [
      "C",
      "route",
      "dsync-3 cycles/s",
      "etcd-3 cycles/s",
      "dsync/etcd",
      "p99 dsync",
      "p99 etcd",
    ],
  });
  for (const r of ratios) {
    table.push([
      r.clients,
      r.route,
      fixed(r.dsyncCyclesPerSecond, 0),
      fixed(r.etcdCyclesPerSecond, 0),
      `${fixed(r.throughputRatio, 2)}x`,
      fixed(r.dsyncP99Ms, 2),
      fixed(r.etcdP99Ms, 2),
    ]);
  }
  console.log(table.toString());
  return ratios;
}
