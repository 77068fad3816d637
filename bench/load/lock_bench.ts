/**
 * Lock cycles against dsync (1 and 3 real nodes) and etcd 3.4 (3 real members), all on 127.0.0.1
 * with fsync on: C clients each loop `acquire` + `release` on random names from a pool of 1,000.
 * Manual measurement (not run by CI). Usage:
 *   deno task bench:locks [--clients 1,16,64,256] [--seconds 10] [--systems dsync1,dsync3,etcd3]
 *     [--routes leader,spread] [--warmup 2] [--json FILE]
 * etcd comes from Debian: `apt-get install -y etcd-server`.
 */
import { Command } from "commander";
import { DsyncLockClient } from "./dsync_lock_client.ts";
import { etcdInstalled, etcdVersion } from "./etcd_cluster.ts";
import { EtcdLockClient } from "./etcd_lock_client.ts";
import { type LevelOptions, runLevel } from "./lock_workload.ts";
import {
  type Openers,
  type Route,
  startTargets,
  SYSTEM_NAMES,
  type SystemName,
  type Target,
  type TargetRow,
} from "./lock_targets.ts";
import { type BenchResult, printRatios, printResults } from "./lock_report.ts";
import { ownCpuMs, totalCpuMs } from "./process_cpu.ts";

/** Lock TTL of every dsync grant (ms) and of every etcd client lease (30 s). */
const LOCK_TTL_MS = 30_000;
/** How long an acquire may wait in the lock's queue. */
const LOCK_WAIT_MS = 5_000;
/** Timeout of every request beyond its WAIT. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Size of the pool of lock names. */
const NAME_COUNT = 1_000;
/** Errors tolerated per level before it is ended early. */
const LEVEL_ERROR_COUNT_MAX = 1_000;
/** Clients used during the warm-up of each target. */
const WARMUP_CLIENT_COUNT = 16;
/** Longest duration accepted per level, in seconds. */
const LEVEL_SECONDS_MAX = 600;
/** Most clients accepted in one level. */
const CLIENT_COUNT_MAX = 4_096;

const ROUTES = ["leader", "spread"] as const;

interface Settings {
  clientCounts: number[];
  seconds: number;
  warmupSeconds: number;
  systems: SystemName[];
  routes: Route[];
  json: string | undefined;
}

function listOf<T extends string>(text: string, allowed: readonly T[], what: string): T[] {
  const items = text.split(",").map((item) => item.trim());
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new RangeError(`Invalid ${what} '${item}': use ${allowed.join(", ")}`);
    }
  }
  return items as T[];
}

function boundedNumber(text: string, min: number, max: number, what: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`Invalid ${what} '${text}': use a number from ${min} to ${max}`);
  }
  return value;
}

function parseSettings(args: string[]): Settings {
  const options = new Command()
    .option("--clients <list>", "concurrent clients per level", "1,16,64,256")
    .option("--seconds <n>", "seconds per level", "10")
    .option("--warmup <n>", `seconds of warm-up (${WARMUP_CLIENT_COUNT} clients) per target`, "2")
    .option("--systems <list>", `systems: ${SYSTEM_NAMES.join(",")}`, SYSTEM_NAMES.join(","))
    .option(
      "--routes <list>",
      "3-node routing: leader (all to the leader), spread",
      "leader,spread",
    )
    .option("--json <file>", "also write the results as JSON")
    .parse(args, { from: "user" })
    .opts();
  const clientCounts = String(options.clients).split(",").map((count) =>
    Math.floor(boundedNumber(count, 1, CLIENT_COUNT_MAX, "--clients entry"))
  );
  return {
    clientCounts,
    seconds: boundedNumber(String(options.seconds), 0.1, LEVEL_SECONDS_MAX, "--seconds"),
    warmupSeconds: boundedNumber(String(options.warmup), 0, LEVEL_SECONDS_MAX, "--warmup"),
    systems: listOf(String(options.systems), SYSTEM_NAMES, "--systems entry"),
    routes: listOf(String(options.routes), ROUTES, "--routes entry"),
    json: options.json === undefined ? undefined : String(options.json),
  };
}

function levelOptions(row: TargetRow, clientCount: number, seconds: number): LevelOptions {
  return {
    target: row.label,
    clientCount,
    seconds,
    nameCount: NAME_COUNT,
    errorCountMax: LEVEL_ERROR_COUNT_MAX,
    progress: true,
  };
}

const OPENERS: Openers = {
  dsync: (ports) => (clientIndex) =>
    DsyncLockClient.open(ports[clientIndex % ports.length]!, {
      owner: `owner-${clientIndex}`,
      ttlMs: LOCK_TTL_MS,
      waitMs: LOCK_WAIT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    }),
  etcd: (urls) => (clientIndex) =>
    EtcdLockClient.open(urls[clientIndex % urls.length]!, {
      leaseTtlSeconds: LOCK_TTL_MS / 1000,
      waitMs: LOCK_WAIT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    }),
};

interface CpuSample {
  serverMs: number | null;
  clientMs: number | null;
}

async function cpuNow(serverPids: number[]): Promise<CpuSample> {
  return { serverMs: await totalCpuMs(serverPids), clientMs: ownCpuMs() };
}

/** CPU milliseconds per completed cycle spent by the servers and by this load generator. */
function cpuPerCycle(before: CpuSample, after: CpuSample, cycles: number) {
  const per = (from: number | null, to: number | null) =>
    from === null || to === null || cycles === 0 ? null : (to - from) / cycles;
  return {
    serverCpuMsPerCycle: per(before.serverMs, after.serverMs),
    clientCpuMsPerCycle: per(before.clientMs, after.clientMs),
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Warms every target up, then runs each client count against every target in turn (levels of
 * different systems interleaved). A level that cannot start is recorded in `failures`.
 */
async function runAll(
  targets: Target[],
  settings: Settings,
  failures: string[],
): Promise<BenchResult[]> {
  if (settings.warmupSeconds > 0) {
    for (const { row, opener } of targets) {
      try {
        await runLevel(
          await opener(),
          levelOptions(row, WARMUP_CLIENT_COUNT, settings.warmupSeconds),
        );
      } catch (error) {
        failures.push(`${row.label} warm-up: ${message(error)}`);
      }
    }
  }
  const results: BenchResult[] = [];
  for (const clientCount of settings.clientCounts) {
    for (const { row, pids, opener } of targets) {
      try {
        const open = await opener();
        const cpuBefore = await cpuNow(pids);
        const level = await runLevel(open, levelOptions(row, clientCount, settings.seconds));
        const cpu = cpuPerCycle(cpuBefore, await cpuNow(pids), level.cycles);
        const { system, nodeCount, route } = row;
        const loadAverage1m = Deno.loadavg()[0] ?? 0;
        results.push({ ...level, system, nodeCount, route, loadAverage1m, ...cpu });
      } catch (error) {
        failures.push(`${row.label} C=${clientCount}: ${message(error)}`);
      }
    }
  }
  return results;
}

async function main(): Promise<void> {
  const settings = parseSettings(Deno.args);
  if (settings.systems.includes("etcd3") && !await etcdInstalled()) {
    throw new Error("Cannot run etcd: no 'etcd' on PATH (apt-get install -y etcd-server)");
  }
  const failures: string[] = [];
  const running = await startTargets(settings.systems, settings.routes, OPENERS);
  // Ctrl-C must not leave node or etcd processes behind.
  const interrupted = () => void running.stop().finally(() => Deno.exit(130));
  Deno.addSignalListener("SIGINT", interrupted);
  let results: BenchResult[];
  try {
    results = await runAll(running.targets, settings, failures);
  } finally {
    Deno.removeSignalListener("SIGINT", interrupted);
    await running.stop();
  }
  printResults(results);
  for (const failure of failures) console.log(`FAILED ${failure}`);
  const ratios = printRatios(results);
  if (settings.json !== undefined) {
    const report = {
      command: `deno task bench:locks ${Deno.args.join(" ")}`.trim(),
      cores: navigator.hardwareConcurrency,
      loadAverage: Deno.loadavg(),
      deno: Deno.version.deno,
      etcd: settings.systems.includes("etcd3") ? await etcdVersion() : null,
      workload: { ttlMs: LOCK_TTL_MS, waitMs: LOCK_WAIT_MS, nameCount: NAME_COUNT },
      results,
      ratios,
      failures,
    };
    await Deno.writeTextFile(settings.json, JSON.stringify(report, null, 2) + "\n");
  }
  if (failures.length > 0) Deno.exitCode = 1;
}

// The file name matches `deno bench`'s pattern (`deno task bench` runs bench/): run only when it
// is the program itself, never as a side effect of loading it there.
if (import.meta.main) await main();
