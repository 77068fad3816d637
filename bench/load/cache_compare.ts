/**
 * Issue 13's read comparison: `redis-benchmark -t get -c 50 -r KEYS` at `-P 1` and `-P 16`
 * against one node of a 3-node dsync cluster whose cache holds the keys (warmed by SETs through
 * that node, so it holds them in M, then kept by its reads), redis-server (`appendfsync always`)
 * and the minimal Deno server (../shared/bench/resp_ceiling.ts), all started here on 127.0.0.1
 * in one run, runs interleaved. Prints rps, p50, p99, the ratios and dsync's hit ratio (from
 * CACHE.STATS) per run; writes only inside a temporary directory.
 * `--profile` runs n1 with `--cpu-prof` and prints its top self-time functions. `--baseline DIR`
 * also runs a second 3-node cluster from the source tree at DIR (e.g. an older commit unpacked
 * with `git archive`), measured in the same rounds: before and after in one run. Each run also
 * reports the CPU µs per GET of the target's process (dsync: n1, and its whole cluster), read from
 * /proc: on a shared machine it moves far less than the rates do.
 *   deno task bench:cache [--requests N] [--rounds R] [--keys K] [--lease-ms L] [--profile]
 *     [--baseline DIR]
 */
import { Command } from "commander";
import Table from "cli-table3";
import { pingNode } from "../../src/cluster/node_process.ts";
import { freePort } from "../../src/util/free_ports.ts";
import { RespConnection } from "../../src/client/resp_connection.ts";
import type { RespValue } from "../../protocol/resp/mod.ts";
import { type BenchCluster, startBenchCluster, stopBenchCluster } from "./local_cluster_session.ts";
import { parseBenchmarkCsv, printProfile } from "./kv_compare.ts";
import { totalCpuMs } from "./process_cpu.ts";

const CLIENTS = 50;
/** Longest warm-up of one target (1,000 serial write-through SETs crawl on a loaded machine). */
const WARM_TIMEOUT_MS = 300_000;
/** The target name of the `--baseline` cluster. */
const BASELINE = "dsync baseline n1 (cache)";
/** redis-benchmark runs tried per measurement (one stops at the first error reply). */
const RUN_ATTEMPTS = 3;

interface Target {
  name: string;
  port: number;
  /** The processes whose CPU per request is reported (dsync: the node benchmarked), if known. */
  pids?: number[];
  /** dsync: every node of its cluster (the homes' work for the benchmarked node included). */
  clusterPids?: number[];
}

interface Row {
  target: string;
  pipeline: number;
  round: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** dsync only: hits / (hits + misses) over the run. */
  hitRatio: number | null;
  /** CPU µs of the target's own process(es) per request over the run, or null (unknown). */
  cpuUs: number | null;
  /** dsync only: CPU µs of all its cluster's nodes per request. */
  clusterCpuUs: number | null;
}

function spawn(command: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(command, { args, stdin: "null", stdout: "null", stderr: "null" })
    .spawn();
}

/** Polls PING on the target's port until it answers (bounded). */
export async function waitPing(target: Target): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await pingNode("127.0.0.1", target.port, 500)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${target.name} did not answer PING on ${target.port}`);
}

/** One redis-benchmark run against 127.0.0.1:`port`: rps, p50 and p99 ms per test. */
export async function redisBenchmark(
  port: number,
  args: string[],
  timeoutMs: number,
  clients = CLIENTS,
) {
  const output = await new Deno.Command("redis-benchmark", {
    args: ["-h", "127.0.0.1", "-p", String(port), "-c", String(clients), "--csv", ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const results = parseBenchmarkCsv(text);
  if (!results.has("GET")) {
    // Why it stopped (e.g. "Error from server: TRYAGAIN ..."), for the operator.
    const all = `${text}\n${new TextDecoder().decode(output.stderr)}`;
    const why = all.split("\n").find((line) => /error/i.test(line)) ?? "no error line";
    console.error(`redis-benchmark stopped: ${why.slice(0, 200)}`);
  }
  return results;
}

/** hits and misses from CACHE.STATS. */
export async function hitsAndMisses(port: number): Promise<{ hits: number; misses: number }> {
  const connection = await RespConnection.open("127.0.0.1", port);
  try {
    const reply: RespValue = await connection.call(["CACHE.STATS"]);
    const stats = new Map<string, number>();
    if (reply.type === "array") {
      for (let i = 0; i + 1 < reply.value.length; i += 2) {
        const name = reply.value[i]!;
        const value = reply.value[i + 1]!;
        if (name.type === "bulk" && value.type === "integer") {
          stats.set(new TextDecoder().decode(name.value), value.value);
        }
      }
    }
    return { hits: stats.get("hits") ?? 0, misses: stats.get("misses") ?? 0 };
  } finally {
    connection.close();
  }
}

/** SETs every key of the range through `port` until all answer OK (slot groups elected). */
export async function warm(port: number, keys: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const connection = await RespConnection.open("127.0.0.1", port);
  try {
    for (let key = 0; key < keys; key++) {
      const name = `key:${String(key).padStart(12, "0")}`;
      while (true) {
        const reply = await connection.call(["SET", name, "xxx"]);
        if (reply.type === "simple") break;
        if (performance.now() > deadline) {
          throw new Error(`warming ${name}: ${JSON.stringify(reply)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    connection.close();
  }
}

/** Reads every key of the range through `port`, so its lines are live. */
export async function warmReads(port: number, keys: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const connection = await RespConnection.open("127.0.0.1", port);
  try {
    for (let key = 0; key < keys; key++) {
      const name = `key:${String(key).padStart(12, "0")}`;
      while ((await connection.call(["GET", name])).type === "error") {
        if (performance.now() > deadline) throw new Error(`reading ${name} kept failing`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    connection.close();
  }
}

async function main(): Promise<void> {
  const options = new Command()
    .option("--requests <n>", "requests per redis-benchmark run", "200000")
    .option("--rounds <n>", "interleaved rounds", "2")
    .option("--keys <n>", "key range (-r), all warm in the node's cache", "1000")
    .option("--lease-ms <n>", "--cache-lease-ms of the dsync nodes", "2000")
    .option("--profile", "run n1 with --cpu-prof and print its top functions")
    .option("--baseline <dir>", "also measure a cluster run from the source tree at DIR")
    .parse(Deno.args, { from: "user" })
    .opts();
  const requests = Number(options.requests);
  const rounds = Number(options.rounds);
  const keys = Number(options.keys);
  const dataDir = await Deno.makeTempDir({ prefix: "dsync-cachebench-" });
  let cluster: BenchCluster | null = null;
  let baseline: { cluster: BenchCluster; stop(cluster: BenchCluster): Promise<void> } | null = null;
  const others: Deno.ChildProcess[] = [];
  const rows: Row[] = [];
  try {
    const redisPort = freePort();
    const ceilingPort = freePort();
    const ceilingPath = new URL("../../../shared/bench/resp_ceiling.ts", import.meta.url);
    const redis = spawn("redis-server", [
      ...["--port", String(redisPort), "--bind", "127.0.0.1", "--save", ""],
      ...["--appendonly", "yes", "--appendfsync", "always", "--dir", dataDir],
    ]);
    const ceiling = spawn(Deno.execPath(), [
      "run",
      "--allow-net=127.0.0.1",
      decodeURIComponent(ceilingPath.pathname),
      String(ceilingPort),
    ]);
    others.push(redis, ceiling);
    // Both listen before the clusters pick their ports (a port picked free but not yet bound
    // was taken by a node twice on a busy machine).
    await waitPing({ name: "redis", port: redisPort });
    await waitPing({ name: "ceiling", port: ceilingPort });
    const profileDir = `${dataDir}/profile`;
    cluster = await startBenchCluster(
      3,
      false,
      ["--cache", "on", "--cache-lease-ms", String(options.leaseMs)],
      options.profile === true
        ? (index) => index === 0 ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []
        : undefined,
    );
    const targets: Target[] = [
      { name: "redis aof-always", port: redisPort, pids: [redis.pid] },
      { name: "deno ceiling", port: ceilingPort, pids: [ceiling.pid] },
      {
        name: "dsync n1 (cache)",
        port: cluster.basePort,
        pids: [cluster.nodes[0]!.pid],
        clusterPids: cluster.nodes.map((node) => node.pid),
      },
    ];
    if (options.baseline !== undefined) {
      // The baseline tree's own cluster session: its nodes run its own src/main.ts.
      const session = await import(
        `file://${options.baseline}/bench/load/local_cluster_session.ts`
      );
      const started: BenchCluster = await session.startBenchCluster(3, false, [
        ...["--cache", "on", "--cache-lease-ms", String(options.leaseMs)],
      ]);
      baseline = { cluster: started, stop: session.stopBenchCluster };
      targets.push({
        name: BASELINE,
        port: started.basePort,
        pids: [started.nodes[0]!.pid],
        clusterPids: started.nodes.map((node) => node.pid),
      });
    }
    for (const target of targets) await waitPing(target);
    for (const target of targets) await warm(target.port, keys, WARM_TIMEOUT_MS);
    console.log(`load average at the start: ${Deno.loadavg().map((v) => v.toFixed(2)).join(" ")}`);
    for (let round = 1; round <= rounds; round++) {
      for (const pipeline of [1, 16]) {
        for (const target of targets) {
          const dsync = target.name.startsWith("dsync");
          const args = ["-t", "get", "-n", String(requests), "-r", String(keys)];
          // redis-benchmark stops at the first error reply (a -TRYAGAIN while a slot's leader
          // moves on a loaded machine): such a run is retried, at most RUN_ATTEMPTS times.
          let result: { rps: number; p50: number; p99: number } | undefined;
          let before: { hits: number; misses: number } | null = null;
          let after: { hits: number; misses: number } | null = null;
          let cpuMs: number | null = null;
          let clusterCpuMs: number | null = null;
          for (let attempt = 1; attempt <= RUN_ATTEMPTS && result === undefined; attempt++) {
            if (dsync) await warmReads(target.port, keys, WARM_TIMEOUT_MS);
            before = dsync ? await hitsAndMisses(target.port) : null;
            const cpuBefore = await totalCpuMs(target.pids ?? []);
            const clusterBefore = await totalCpuMs(target.clusterPids ?? []);
            const results = await redisBenchmark(
              target.port,
              [...args, "-P", String(pipeline)],
              300_000,
            );
            cpuMs = difference(await totalCpuMs(target.pids ?? []), cpuBefore);
            clusterCpuMs = difference(await totalCpuMs(target.clusterPids ?? []), clusterBefore);
            after = dsync ? await hitsAndMisses(target.port) : null;
            result = results.get("GET");
            if (result === undefined) console.error(`${target.name}: run ${attempt} stopped early`);
          }
          if (result === undefined) throw new Error(`no GET result from ${target.name}`);
          let hitRatio: number | null = null;
          if (before !== null && after !== null) {
            const hits = after.hits - before.hits;
            hitRatio = hits / Math.max(1, hits + after.misses - before.misses);
          }
          rows.push({
            target: target.name,
            pipeline,
            round,
            rps: result.rps,
            p50Ms: result.p50,
            p99Ms: result.p99,
            hitRatio,
            cpuUs: cpuMs === null ? null : cpuMs * 1000 / requests,
            clusterCpuUs: clusterCpuMs === null ? null : clusterCpuMs * 1000 / requests,
          });
          const cpu = rows[rows.length - 1]!;
          console.error(
            `round ${round} ${target.name} GET -P ${pipeline}: ${result.rps} req/s ` +
              `p50 ${result.p50} ms p99 ${result.p99} ms` +
              (hitRatio === null ? "" : ` hit ratio ${hitRatio.toFixed(4)}`) +
              (cpu.cpuUs === null ? "" : ` cpu ${cpu.cpuUs.toFixed(1)} µs/GET`) +
              (cpu.clusterCpuUs === null ? "" : ` (cluster ${cpu.clusterCpuUs.toFixed(1)})`),
          );
        }
      }
    }
    console.log(`load average at the end: ${Deno.loadavg().map((v) => v.toFixed(2)).join(" ")}`);
  } finally {
    for (const process of others) {
      try {
        process.kill("SIGTERM");
      } catch {
        // exited
      }
      await process.status;
    }
    if (cluster !== null) await stopBenchCluster(cluster);
    if (baseline !== null) await baseline.stop(baseline.cluster);
    if (options.profile === true) await printProfile(`${dataDir}/profile`);
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
  printTable(rows);
}

/** `after - before`, or null when either is unknown. */
function difference(after: number | null, before: number | null): number | null {
  return after === null || before === null ? null : after - before;
}

/** Best of the rounds per target and depth (background load only ever lowers a run). */
function best(rows: Row[], target: string, pipeline: number): Row | undefined {
  return rows.filter((row) => row.target === target && row.pipeline === pipeline)
    .sort((a, b) => b.rps - a.rps)[0];
}

function printTable(rows: Row[]): void {
  const withBaseline = rows.some((row) => row.target === BASELINE);
  const table = new Table({
    head: [
      "GET -P",
      "redis (p50/p99 ms)",
      "ceiling",
      "dsync",
      "hit ratio",
      "/redis",
      "/ceiling",
      ...(withBaseline ? ["baseline", "baseline/ceiling"] : []),
    ],
  });
  const cell = (row?: Row) =>
    row === undefined ? "-" : `${row.rps.toFixed(0)} (${row.p50Ms}/${row.p99Ms})`;
  const ratio = (a?: Row, b?: Row) =>
    a === undefined || b === undefined ? "-" : (a.rps / b.rps).toFixed(3);
  for (const pipeline of [1, 16]) {
    const redis = best(rows, "redis aof-always", pipeline);
    const ceiling = best(rows, "deno ceiling", pipeline);
    const dsync = best(rows, "dsync n1 (cache)", pipeline);
    const before = best(rows, BASELINE, pipeline);
    table.push([
      pipeline,
      cell(redis),
      cell(ceiling),
      cell(dsync),
      dsync?.hitRatio?.toFixed(4) ?? "-",
      ratio(dsync, redis),
      ratio(dsync, ceiling),
      ...(withBaseline ? [cell(before), ratio(before, ceiling)] : []),
    ]);
  }
  console.log(table.toString());
  printCpu(rows);
}

/** The lowest CPU µs per GET of each target over the rounds, per depth. */
function printCpu(rows: Row[]): void {
  const targets = [...new Set(rows.map((row) => row.target))];
  for (const pipeline of [1, 16]) {
    const parts: string[] = [];
    for (const target of targets) {
      const runs = rows.filter((row) => row.target === target && row.pipeline === pipeline);
      const lowest = (pick: (row: Row) => number | null) => {
        const values = runs.map(pick).filter((value): value is number => value !== null);
        return values.length === 0 ? null : Math.min(...values);
      };
      const own = lowest((row) => row.cpuUs);
      const all = lowest((row) => row.clusterCpuUs);
      if (own === null) continue;
      parts.push(
        `${target} ${own.toFixed(1)}` + (all === null ? "" : ` (cluster ${all.toFixed(1)})`),
      );
    }
    console.log(`CPU µs per GET -P ${pipeline} (lowest of the rounds): ${parts.join(", ")}`);
  }
}

if (import.meta.main) await main();
