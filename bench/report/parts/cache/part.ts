/**
 * The report's cache section: GET on warm lines and SET (write-through; write-back on owned
 * lines) against clients, on node 1 of 3-node dsync clusters started with `--cache on`, beside
 * redis-server (`appendfsync always`) and the minimal Deno RESP server, run back to back per
 * level; then a mixed GET/SET workload on Zipf-skewed keys from clients on all three nodes.
 */
import type { PartContext, ReportPart, SectionResult } from "../../results.ts";
import { partCommand } from "../../runner.ts";
import {
  type BenchCluster,
  startBenchCluster,
  stopBenchCluster,
} from "../../../load/local_cluster_session.ts";
import { hitsAndMisses, redisBenchmark, waitPing, warmReads } from "../../../load/cache_compare.ts";
import { freePort } from "../../../../src/util/free_ports.ts";
import { RespPipeline } from "../../../load/resp_pipeline.ts";
import { fillKeys, mixedKey, runMixedLoad } from "./mixed_load.ts";
import { type CacheRow, cacheSectionBody, type CacheSystem, type MixedRow } from "./section.ts";

/** Sizes of one run of the section. */
interface CacheSizes {
  clientCounts: number[];
  /** Aimed length of one redis-benchmark run, s (its request count follows the last rate). */
  runSeconds: number;
  /** Requests of a target's first run, before its rate is known. */
  probeRequests: number;
  keyCount: number;
  mixedKeyCount: number;
  mixedClientsPerNode: number;
  mixedSeconds: number;
  /** Client count of the summary rows (a level of `clientCounts`). */
  summaryClients: number;
}

const FULL: CacheSizes = {
  clientCounts: [1, 16, 50, 64, 256],
  runSeconds: 1.2,
  probeRequests: 200,
  keyCount: 1_000,
  mixedKeyCount: 10_000,
  mixedClientsPerNode: 16,
  mixedSeconds: 8,
  /** The earlier measurements' redis-benchmark client count. */
  summaryClients: 50,
};

const QUICK: CacheSizes = {
  clientCounts: [1, 8],
  runSeconds: 0.3,
  probeRequests: 50,
  keyCount: 20,
  mixedKeyCount: 200,
  mixedClientsPerNode: 2,
  mixedSeconds: 1,
  summaryClients: 8,
};

const REQUESTS_MAX = 1_000_000;
/** redis-benchmark runs tried per measurement (one stops at the first error reply). */
const RUN_ATTEMPTS = 3;
const RUN_TIMEOUT_MS = 120_000;
const WARM_TIMEOUT_MS = 60_000;
const FILL_TIMEOUT_MS = 90_000;
/** Bound on the one command sent to explain a failed run. */
const PROBE_TIMEOUT_MS = 5_000;
const MIXED_EXPONENT = 0.99;
const READ_SHARE = 0.9;
const VALUE_BYTES = 32;
const MIXED_SEED = 16;
const REQUEST_TIMEOUT_MS = 10_000;
const MIXED_ERROR_COUNT_MAX = 10_000;
const STOP_GRACE_MS = 5_000;
/** redis-benchmark runs per client level: GET on 3 targets, SET on 4 (write-back adds one). */
const RUNS_PER_LEVEL = 7;
/** The minimal Deno RESP server, beside the repository in a clean clone. */
const CEILING_URL = new URL("../../../../../shared/bench/resp_ceiling.ts", import.meta.url);

function sizesOf(quick: boolean): CacheSizes {
  return quick ? QUICK : FULL;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The first line of `command --version`, or null when it cannot run. */
async function versionLine(command: string): Promise<string | null> {
  try {
    const output = await new Deno.Command(command, { args: ["--version"], stdout: "piped" })
      .output();
    if (!output.success) return null;
    return new TextDecoder().decode(output.stdout).split("\n")[0]!.trim();
  } catch {
    return null;
  }
}

/** A started system redis-benchmark drives. */
interface Target {
  system: CacheSystem;
  name: string;
  port: number;
}

/** Everything the part started, for the finally that stops it. */
interface Started {
  clusters: BenchCluster[];
  processes: Deno.ChildProcess[];
}

function spawn(started: Started, command: string, args: string[]): void {
  started.processes.push(
    new Deno.Command(command, { args, stdin: "null", stdout: "null", stderr: "null" }).spawn(),
  );
}

async function stopAll(started: Started): Promise<void> {
  await Promise.all(started.processes.map(async (process) => {
    try {
      process.kill("SIGTERM");
    } catch {
      return; // exited
    }
    const timer = setTimeout(() => {
      try {
        process.kill("SIGKILL");
      } catch {
        // exited meanwhile
      }
    }, STOP_GRACE_MS);
    await process.status;
    clearTimeout(timer);
  }));
  await Promise.all(started.clusters.map(stopBenchCluster));
}

/** Starts the two dsync clusters and whichever peers are installed; returns the targets. */
async function startTargets(
  context: PartContext,
  started: Started,
  redisVersion: string | null,
  skipped: string[],
): Promise<{ through: BenchCluster; back: BenchCluster; targets: Target[] }> {
  const settled = await Promise.allSettled([
    startBenchCluster(3, false, ["--cache", "on"]),
    startBenchCluster(3, false, ["--cache", "on", "--cache-write", "back"]),
  ]);
  for (const outcome of settled) {
    if (outcome.status === "fulfilled") started.clusters.push(outcome.value);
  }
  for (const outcome of settled) if (outcome.status === "rejected") throw outcome.reason;
  const [through, back] = started.clusters as [BenchCluster, BenchCluster];
  const targets: Target[] = [
    { system: "dsync", name: "dsync write-through", port: through.basePort },
    { system: "dsync write-back", name: "dsync write-back", port: back.basePort },
  ];
  if (redisVersion !== null) {
    const port = freePort();
    const dir = `${context.workDir}/redis`;
    await Deno.mkdir(dir, { recursive: true });
    spawn(started, "redis-server", [
      ...["--port", String(port), "--bind", "127.0.0.1", "--save", ""],
      ...["--appendonly", "yes", "--appendfsync", "always", "--dir", dir],
    ]);
    targets.push({ system: "redis", name: "redis-server", port });
  } else skipped.push("redis-server not measured: not on PATH (apt-get install redis-server)");
  const ceilingPath = decodeURIComponent(CEILING_URL.pathname);
  if (await Deno.stat(ceilingPath).then(() => true, () => false)) {
    const port = freePort();
    spawn(started, Deno.execPath(), ["run", "--allow-net=127.0.0.1", ceilingPath, String(port)]);
    targets.push({ system: "ceiling", name: "Deno RESP ceiling", port });
  } else skipped.push(`minimal Deno RESP server not measured: ${ceilingPath} is missing`);
  for (const target of targets) await waitPing(target);
  return { through, back, targets };
}

/** The name redis-benchmark's `-r` gives key `rank` (`key:` and 12 digits). */
function benchmarkKey(rank: number): string {
  return `key:${String(rank).padStart(12, "0")}`;
}

/** SETs the benchmark's keys through the target (dsync: node 1 then holds them in M). */
async function fillBenchmarkKeys(target: Target, sizes: CacheSizes): Promise<void> {
  const outcome = await fillKeys(
    [target.port],
    benchmarkKey,
    sizes.keyCount,
    VALUE_BYTES,
    FILL_TIMEOUT_MS,
  );
  if (outcome.unfilledCount > 0) {
    throw new Error(
      `${outcome.unfilledCount} of ${sizes.keyCount} keys still refused after ` +
        `${FILL_TIMEOUT_MS} ms (last: ${outcome.lastRefusal})`,
    );
  }
}

/** The reply to one command, as text, to explain why a run failed. */
async function probeReply(port: number, command: string[]): Promise<string> {
  try {
    const pipeline = await RespPipeline.open(port);
    try {
      const [reply] = await pipeline.calls([command], PROBE_TIMEOUT_MS);
      return `${command[0]} answers ${JSON.stringify(reply)}`;
    } finally {
      pipeline.close();
    }
  } catch (error) {
    return `${command[0]} failed: ${message(error)}`;
  }
}

/** Request count of the next run: the target's last rate times the aimed length. */
function requestCount(lastRps: number | undefined, clients: number, sizes: CacheSizes): number {
  const aimed = lastRps === undefined ? sizes.probeRequests : lastRps * sizes.runSeconds;
  return Math.min(REQUESTS_MAX, Math.max(Math.round(aimed), clients * 4, sizes.probeRequests));
}

/** One redis-benchmark run of `op` at `clients`, retried when it stops at an error reply. */
async function benchmarkRun(
  target: Target,
  op: CacheRow["op"],
  clients: number,
  sizes: CacheSizes,
  lastRps: Map<string, number>,
): Promise<CacheRow> {
  const requests = requestCount(lastRps.get(`${target.name} ${op}`), clients, sizes);
  const args = ["-t", op.toLowerCase(), "-n", String(requests), "-r", String(sizes.keyCount)];
  const counted = target.system === "dsync" && op === "GET";
  for (let attempt = 1; attempt <= RUN_ATTEMPTS; attempt++) {
    if (counted) await warmReads(target.port, sizes.keyCount, WARM_TIMEOUT_MS);
    if (target.system === "dsync write-back") await fillBenchmarkKeys(target, sizes);
    const before = counted ? await hitsAndMisses(target.port) : null;
    const results = await redisBenchmark(
      target.port,
      [...args, "-P", "1"],
      RUN_TIMEOUT_MS,
      clients,
    );
    const after = counted ? await hitsAndMisses(target.port) : null;
    const result = results.get(op);
    if (result === undefined) continue;
    lastRps.set(`${target.name} ${op}`, result.rps);
    let hitRatio: number | null = null;
    if (before !== null && after !== null) {
      const hits = after.hits - before.hits;
      hitRatio = hits / Math.max(1, hits + after.misses - before.misses);
    }
    const { rps, p50: p50Ms, p99: p99Ms } = result;
    return { system: target.system, op, clients, requests, rps, p50Ms, p99Ms, hitRatio };
  }
  throw new Error(`redis-benchmark stopped early ${RUN_ATTEMPTS} times (an error reply)`);
}

/** Every client level: GET on the read targets, then SET on all, back to back. */
async function measureLevels(
  targets: Target[],
  sizes: CacheSizes,
  context: PartContext,
  rows: CacheRow[],
  skipped: string[],
): Promise<void> {
  const lastRps = new Map<string, number>();
  for (const [levelIndex, clients] of sizes.clientCounts.entries()) {
    for (const op of ["GET", "SET"] as const) {
      const eligible = targets.filter((t) => op === "SET" || t.system !== "dsync write-back");
      const order = levelIndex % 2 === 0 ? eligible : [...eligible].reverse();
      for (const target of order) {
        try {
          rows.push(await benchmarkRun(target, op, clients, sizes, lastRps));
        } catch (error) {
          const probe = await probeReply(
            target.port,
            op === "GET" ? ["GET", benchmarkKey(0)] : ["SET", benchmarkKey(0), "x"],
          );
          skipped.push(`${target.name} ${op} -c ${clients}: ${message(error)}; now ${probe}`);
        }
        context.progress.advance(`${target.name} ${op} -c ${clients}`);
      }
    }
  }
}

async function cacheCounts(ports: number[]): Promise<{ hits: number; misses: number } | null> {
  try {
    const counts = await Promise.all(ports.map(hitsAndMisses));
    return counts.reduce((sum, c) => ({ hits: sum.hits + c.hits, misses: sum.misses + c.misses }));
  } catch {
    return null;
  }
}

/** The mixed workload on one cluster, clients spread over its three nodes. */
async function measureMixed(
  cluster: BenchCluster,
  mode: string,
  sizes: CacheSizes,
  skipped: string[],
): Promise<MixedRow> {
  const ports = cluster.nodes.map((_, i) => cluster.basePort + i);
  const keyPrefix = "mix:";
  const keyName = (rank: number) => mixedKey(keyPrefix, rank);
  const fill = await fillKeys(ports, keyName, sizes.mixedKeyCount, VALUE_BYTES, FILL_TIMEOUT_MS);
  if (fill.unfilledCount > 0) {
    skipped.push(
      `mixed workload ${mode}: ran with ${fill.unfilledCount} of ${sizes.mixedKeyCount} keys ` +
        `never written (refused for ${FILL_TIMEOUT_MS} ms, last: ${fill.lastRefusal})`,
    );
  }
  const before = await cacheCounts(ports);
  const clientCount = sizes.mixedClientsPerNode * ports.length;
  const result = await runMixedLoad({
    ports,
    clientCount,
    seconds: sizes.mixedSeconds,
    keyCount: sizes.mixedKeyCount,
    exponent: MIXED_EXPONENT,
    readShare: READ_SHARE,
    valueBytes: VALUE_BYTES,
    seed: MIXED_SEED,
    keyPrefix,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    errorCountMax: MIXED_ERROR_COUNT_MAX,
  });
  const after = await cacheCounts(ports);
  let hitRatio: number | null = null;
  if (before !== null && after !== null) {
    const hits = after.hits - before.hits;
    hitRatio = hits / Math.max(1, hits + after.misses - before.misses);
  }
  const { opsPerSecond, p50Ms, p99Ms, errors } = result;
  return { mode, clients: clientCount, opsPerSecond, p50Ms, p99Ms, hitRatio, errors };
}

async function run(context: PartContext): Promise<SectionResult> {
  const startedAt = performance.now();
  const sizes = sizesOf(context.quick);
  const rows: CacheRow[] = [];
  const mixed: MixedRow[] = [];
  const skipped: string[] = [];
  const redisLine = await versionLine("redis-server");
  const redisVersion = redisLine === null
    ? null
    : `redis-server ${/v=(\S+)/.exec(redisLine)?.[1] ?? redisLine}`;
  const hasBenchmark = await versionLine("redis-benchmark") !== null;
  const started: Started = { clusters: [], processes: [] };
  try {
    const { through, back, targets } = await startTargets(context, started, redisVersion, skipped);
    const filled = await Promise.all(targets.map(async (target) => {
      try {
        await fillBenchmarkKeys(target, sizes);
        return true;
      } catch (error) {
        skipped.push(`${target.name}: not measured, its keys were not written: ${message(error)}`);
        return false;
      }
    }));
    const ready = targets.filter((_, i) => filled[i]);
    // Runs that will not happen (a peer missing, no redis-benchmark) move the bar at once.
    const runsPerLevel = hasBenchmark ? ready.length * 2 - (filled[1] ? 1 : 0) : 0;
    const missingSteps = sizes.clientCounts.length * (RUNS_PER_LEVEL - runsPerLevel);
    context.progress.advance(
      `started ${ready.map((target) => target.name).join(", ")}`,
      1 + missingSteps,
    );
    if (hasBenchmark) await measureLevels(ready, sizes, context, rows, skipped);
    else skipped.push("GET/SET runs not measured: redis-benchmark not on PATH");
    for (const [cluster, mode] of [[through, "write-through"], [back, "write-back"]] as const) {
      try {
        mixed.push(await measureMixed(cluster, mode, sizes, skipped));
      } catch (error) {
        skipped.push(`mixed workload ${mode}: ${message(error)}`);
      }
      context.progress.advance(`mixed ${mode}`);
    }
  } finally {
    await stopAll(started);
  }
  const body = cacheSectionBody(rows, mixed, {
    redisVersion,
    summaryClients: sizes.summaryClients,
    keyCount: sizes.keyCount,
    mixedKeyCount: sizes.mixedKeyCount,
    mixedExponent: MIXED_EXPONENT,
    readSharePercent: Math.round(READ_SHARE * 100),
    mixedSeconds: sizes.mixedSeconds,
  });
  return {
    id: cachePart.id,
    title: cachePart.title,
    command: partCommand(cachePart.id, context.quick),
    ...body,
    skipped,
    elapsedSeconds: (performance.now() - startedAt) / 1000,
  };
}

/** Cache: dsync's coherent cache against redis-server and a minimal Deno RESP server. */
export const cachePart: ReportPart = {
  id: "cache",
  title: "Cache: dsync against redis-server",
  steps(quick: boolean): number {
    // Per level: GET on 3 targets, SET on 4; plus the start and two mixed runs.
    return 1 + sizesOf(quick).clientCounts.length * RUNS_PER_LEVEL + 2;
  },
  run,
};
