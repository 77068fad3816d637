/**
 * Issue 13's comparison: `redis-benchmark -t get|set -c 50 -r KEYS` at `-P 1` and `-P 16`
 * against one node of a 3-node dsync cluster whose cache holds the keys (warmed by SETs through
 * that node, so it holds them in M, then kept by its reads), redis-server (`appendfsync always`,
 * and for SET also `everysec`) and the minimal Deno server (../shared/bench/resp_ceiling.ts), all
 * started here on 127.0.0.1 in one run, runs interleaved. Prints rps, p50, p99, the ratios and
 * dsync's hit ratio (from CACHE.STATS: a write-back SET acknowledged locally counts as a hit) per
 * run; writes only inside a temporary directory. `--command set --write back` measures SET on
 * lines node 1 owns: before each dsync run the keys are written through node 1 again, and the
 * CACHE.STATE of every key is counted before and after the run (M lines must stay M).
 * `--profile` runs n1 with `--cpu-prof` and prints its top self-time functions (`--profile-all`:
 * every node; `--profile-dir DIR` keeps the profiles there). `--baseline DIR`
 * also runs a second 3-node cluster from the source tree at DIR (e.g. an older commit unpacked
 * with `git archive`), measured in the same rounds: before and after in one run. Each run also
 * reports the CPU µs per request of the target's process (dsync: n1, and its whole cluster), read
 * from /proc: on a shared machine it moves far less than the rates do.
 *   deno task bench:cache [--command get|set] [--write through|back] [--requests N] [--rounds R]
 *     [--keys K] [--lease-ms L] [--writeback-ms W] [--pipelines 1,16] [--profile]
 *     [--profile-all] [--profile-dir DIR] [--baseline DIR]
 */
import { Command } from "commander";
import Table from "cli-table3";
import { pingNode } from "../../src/cluster/node_process.ts";
import { freePort } from "../../src/util/free_ports.ts";
import { RespConnection } from "../../src/client/resp_connection.ts";
import type { RespValue } from "../../protocol/resp/mod.ts";
import { type BenchCluster, startBenchCluster, stopBenchCluster } from "./local_cluster_session.ts";
import { parseBenchmarkCsv, printProfile } from "./kv_compare.ts";
import { cacheInfoSum, lineStates, ownAll } from "./cache_line_probe.ts";
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

/** Store commits (write-backs included) of every dsync node over one run, and line states. */
interface LineCheck {
  mBefore: number;
  mAfter: number;
  commits: number;
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
  test = "GET",
) {
  const output = await new Deno.Command("redis-benchmark", {
    args: ["-h", "127.0.0.1", "-p", String(port), "-c", String(clients), "--csv", ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const results = parseBenchmarkCsv(text);
  if (!results.has(test)) {
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
    .option("--command <name>", "get or set", "get")
    .option("--write <mode>", "--cache-write of the dsync nodes: through or back", "through")
    .option("--requests <n>", "requests per redis-benchmark run", "200000")
    .option("--rounds <n>", "interleaved rounds", "2")
    .option("--keys <n>", "key range (-r), all warm in the node's cache", "1000")
    .option("--lease-ms <n>", "--cache-lease-ms of the dsync nodes", "2000")
    .option("--writeback-ms <n>", "--cache-writeback-ms of the dsync nodes (default: theirs)")
    .option("--pipelines <list>", "redis-benchmark -P values, comma-separated", "1,16")
    .option("--profile", "run n1 with --cpu-prof and print its top functions")
    .option("--profile-all", "profile every node of the cluster, not only n1")
    .option("--profile-dir <dir>", "write the CPU profiles there (kept) instead of a temporary one")
    .option("--baseline <dir>", "also measure a cluster run from the source tree at DIR")
    .parse(Deno.args, { from: "user" })
    .opts();
  const requests = Number(options.requests);
  const rounds = Number(options.rounds);
  const keys = Number(options.keys);
  const test = String(options.command).toUpperCase();
  const pipelines = String(options.pipelines).split(",").map(Number);
  if (pipelines.some((p) => !Number.isSafeInteger(p) || p < 1 || p > 1000)) {
    throw new Error(`--pipelines ${options.pipelines}: integers 1-1000, comma-separated`);
  }
  if (test !== "GET" && test !== "SET") throw new Error(`--command ${options.command}: get or set`);
  if (options.write !== "through" && options.write !== "back") {
    throw new Error(`--write ${options.write}: through or back`);
  }
  const nodeArgs = [
    ...["--cache", "on", "--cache-lease-ms", String(options.leaseMs)],
    ...["--cache-write", String(options.write)],
    ...(options.writebackMs === undefined
      ? []
      : ["--cache-writeback-ms", String(options.writebackMs)]),
  ];
  const dataDir = await Deno.makeTempDir({ prefix: "dsync-cachebench-" });
  const profileDir = options.profileDir === undefined
    ? `${dataDir}/profile`
    : String(options.profileDir);
  let cluster: BenchCluster | null = null;
  let baseline: { cluster: BenchCluster; stop(cluster: BenchCluster): Promise<void> } | null = null;
  const others: Deno.ChildProcess[] = [];
  const rows: Row[] = [];
  try {
    const redisPort = freePort();
    const everysecPort = freePort();
    const ceilingPort = freePort();
    const ceilingPath = new URL("../../../shared/bench/resp_ceiling.ts", import.meta.url);
    const redisArgs = (port: number, fsync: string, dir: string) => [
      ...["--port", String(port), "--bind", "127.0.0.1", "--save", ""],
      ...["--appendonly", "yes", "--appendfsync", fsync, "--dir", dir],
    ];
    await Deno.mkdir(`${dataDir}/everysec`);
    const redis = spawn("redis-server", redisArgs(redisPort, "always", dataDir));
    const ceiling = spawn(Deno.execPath(), [
      "run",
      "--allow-net=127.0.0.1",
      decodeURIComponent(ceilingPath.pathname),
      String(ceilingPort),
    ]);
    others.push(redis, ceiling);
    const everysec = test === "SET"
      ? spawn("redis-server", redisArgs(everysecPort, "everysec", `${dataDir}/everysec`))
      : null;
    if (everysec !== null) others.push(everysec);
    // Both listen before the clusters pick their ports (a port picked free but not yet bound
    // was taken by a node twice on a busy machine).
    await waitPing({ name: "redis", port: redisPort });
    await waitPing({ name: "ceiling", port: ceilingPort });
    if (test === "SET") await waitPing({ name: "redis everysec", port: everysecPort });
    cluster = await startBenchCluster(
      3,
      false,
      nodeArgs,
      options.profile === true
        ? (index) =>
          index === 0 || options.profileAll === true
            ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`]
            : []
        : undefined,
    );
    const targets: Target[] = [
      { name: "redis aof-always", port: redisPort, pids: [redis.pid] },
      ...(everysec !== null
        ? [{ name: "redis aof-everysec", port: everysecPort, pids: [everysec.pid] }]
        : []),
      { name: "deno ceiling", port: ceilingPort, pids: [ceiling.pid] },
      {
        name: "dsync n1 (cache)",
        port: cluster.basePort,
        pids: [cluster.nodes[0]!.pid],
        clusterPids: cluster.nodes.map((node) => node.pid),
      },
    ];
    const clusterPorts = new Map<number, number[]>([[cluster.basePort, nodePorts(cluster)]]);
    if (options.baseline !== undefined) {
      // The baseline tree's own cluster session: its nodes run its own src/main.ts.
      const session = await import(
        `file://${options.baseline}/bench/load/local_cluster_session.ts`
      );
      const started: BenchCluster = await session.startBenchCluster(3, false, nodeArgs);
      baseline = { cluster: started, stop: session.stopBenchCluster };
      targets.push({
        name: BASELINE,
        port: started.basePort,
        pids: [started.nodes[0]!.pid],
        clusterPids: started.nodes.map((node) => node.pid),
      });
      clusterPorts.set(started.basePort, nodePorts(started));
    }
    for (const target of targets) await waitPing(target);
    for (const target of targets) await warm(target.port, keys, WARM_TIMEOUT_MS);
    console.log(`load average at the start: ${Deno.loadavg().map((v) => v.toFixed(2)).join(" ")}`);
    for (let round = 1; round <= rounds; round++) {
      for (const pipeline of pipelines) {
        for (const target of targets) {
          const ports = clusterPorts.get(target.port);
          const row = await measure(target, test, pipeline, requests, keys, ports);
          if (row !== null) rows.push({ ...row, round });
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
    const nodeOfPid = new Map(cluster?.nodes.map((node, i) => [node.pid, `n${i + 1}`]) ?? []);
    if (cluster !== null) await stopBenchCluster(cluster);
    if (baseline !== null) await baseline.stop(baseline.cluster);
    if (options.profile === true) {
      await printProfile(profileDir, nodeOfPid);
    }
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
  printTable(rows, test);
}

/** The client ports of a bench cluster's nodes. */
function nodePorts(cluster: BenchCluster): number[] {
  return cluster.nodes.map((node) => Number(node.clientAddress.split(":").at(-1)));
}

/**
 * One measurement of `test` at depth `pipeline` against `target` (`ports`: its cluster's nodes,
 * dsync only), retried when redis-benchmark stops at an error reply. Before a dsync run its keys
 * are read (GET) or written (SET) through the node, so its lines are live (SET: in M).
 */
async function measure(
  target: Target,
  test: string,
  pipeline: number,
  requests: number,
  keys: number,
  ports: number[] | undefined,
): Promise<Omit<Row, "round"> | null> {
  const args = ["-t", test.toLowerCase(), "-n", String(requests), "-r", String(keys)];
  // redis-benchmark stops at the first error reply (a -TRYAGAIN while a slot's leader
  // moves on a loaded machine): such a run is retried, at most RUN_ATTEMPTS times.
  for (let attempt = 1; attempt <= RUN_ATTEMPTS; attempt++) {
    try {
      if (ports !== undefined && test === "GET") {
        await warmReads(target.port, keys, WARM_TIMEOUT_MS);
      }
      if (ports !== undefined && test === "SET") {
        await warm(target.port, keys, WARM_TIMEOUT_MS);
        await ownAll(target.port, keys);
      }
    } catch (error) {
      // An overloaded cluster whose slot leaders keep moving: this attempt failed.
      console.error(`${target.name}: warming failed: ${String(error).slice(0, 200)}`);
      continue;
    }
    const mBefore = ports !== undefined && test === "SET"
      ? (await lineStates(target.port, keys)).M!
      : 0;
    const homesBefore = ports === undefined ? 0 : await cacheInfoSum(ports, "cache_homes_made");
    const batchesBefore = ports === undefined
      ? 0
      : await cacheInfoSum(ports, "cache_store_batches");
    const commitsBefore = ports === undefined
      ? 0
      : await cacheInfoSum(ports, "cache_store_commits");
    const before = ports !== undefined ? await hitsAndMisses(target.port) : null;
    const cpuBefore = await totalCpuMs(target.pids ?? []);
    const clusterBefore = await totalCpuMs(target.clusterPids ?? []);
    const results = await redisBenchmark(
      target.port,
      [...args, "-P", String(pipeline)],
      300_000,
      CLIENTS,
      test,
    );
    const cpuMs = difference(await totalCpuMs(target.pids ?? []), cpuBefore);
    const clusterCpuMs = difference(await totalCpuMs(target.clusterPids ?? []), clusterBefore);
    const after = ports !== undefined ? await hitsAndMisses(target.port) : null;
    const states = ports !== undefined && test === "SET"
      ? await lineStates(target.port, keys)
      : null;
    const commits = ports === undefined
      ? 0
      : await cacheInfoSum(ports, "cache_store_commits") - commitsBefore;
    const homesMade = ports === undefined
      ? 0
      : await cacheInfoSum(ports, "cache_homes_made") - homesBefore;
    const batches = ports === undefined
      ? 0
      : await cacheInfoSum(ports, "cache_store_batches") - batchesBefore;
    const result = results.get(test);
    if (result === undefined) {
      console.error(`${target.name}: run ${attempt} stopped early`);
      continue;
    }
    let hitRatio: number | null = null;
    if (before !== null && after !== null) {
      const hits = after.hits - before.hits;
      // A write that is not local counts no miss: its share is of the requests.
      const asked = test === "GET" ? hits + after.misses - before.misses : requests;
      hitRatio = hits / Math.max(1, asked);
    }
    const lines: LineCheck | null = states === null
      ? null
      : { mBefore, mAfter: states.M!, commits };
    const cpuUs = cpuMs === null ? null : cpuMs * 1000 / requests;
    const clusterCpuUs = clusterCpuMs === null ? null : clusterCpuMs * 1000 / requests;
    console.error(
      `${target.name} ${test} -P ${pipeline}: ${result.rps} req/s ` +
        `p50 ${result.p50} ms p99 ${result.p99} ms` +
        (hitRatio === null ? "" : ` hit ratio ${hitRatio.toFixed(4)}`) +
        (lines === null
          ? ""
          : ` lines M before ${lines.mBefore} after ${lines.mAfter} (${JSON.stringify(states)}),` +
            ` store commits on all nodes ${lines.commits}, batches ${batches},` +
            ` homes made (leader changes) ${homesMade}`) +
        (cpuUs === null ? "" : ` cpu ${cpuUs.toFixed(1)} µs/${test}`) +
        (clusterCpuUs === null ? "" : ` (cluster ${clusterCpuUs.toFixed(1)})`),
    );
    return {
      target: target.name,
      pipeline,
      rps: result.rps,
      p50Ms: result.p50,
      p99Ms: result.p99,
      hitRatio,
      cpuUs,
      clusterCpuUs,
    };
  }
  // A target that keeps failing (an overloaded baseline) is left out of this round, not fatal.
  console.error(`${target.name} ${test} -P ${pipeline}: no result in ${RUN_ATTEMPTS} attempts`);
  return null;
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

function printTable(rows: Row[], test: string): void {
  const withBaseline = rows.some((row) => row.target === BASELINE);
  const withEverysec = rows.some((row) => row.target === "redis aof-everysec");
  const table = new Table({
    head: [
      `${test} -P`,
      "redis always (p50/p99 ms)",
      ...(withEverysec ? ["redis everysec"] : []),
      "ceiling",
      "dsync",
      "hit ratio",
      "/redis",
      ...(withEverysec ? ["/everysec"] : []),
      "/ceiling",
      ...(withBaseline ? ["baseline", "baseline/ceiling"] : []),
    ],
  });
  const cell = (row?: Row) =>
    row === undefined ? "-" : `${row.rps.toFixed(0)} (${row.p50Ms}/${row.p99Ms})`;
  const ratio = (a?: Row, b?: Row) =>
    a === undefined || b === undefined ? "-" : (a.rps / b.rps).toFixed(3);
  for (const pipeline of new Set(rows.map((row) => row.pipeline))) {
    const redis = best(rows, "redis aof-always", pipeline);
    const everysec = best(rows, "redis aof-everysec", pipeline);
    const ceiling = best(rows, "deno ceiling", pipeline);
    const dsync = best(rows, "dsync n1 (cache)", pipeline);
    const before = best(rows, BASELINE, pipeline);
    table.push([
      pipeline,
      cell(redis),
      ...(withEverysec ? [cell(everysec)] : []),
      cell(ceiling),
      cell(dsync),
      dsync?.hitRatio?.toFixed(4) ?? "-",
      ratio(dsync, redis),
      ...(withEverysec ? [ratio(dsync, everysec)] : []),
      ratio(dsync, ceiling),
      ...(withBaseline ? [cell(before), ratio(before, ceiling)] : []),
    ]);
  }
  console.log(table.toString());
  printCpu(rows, test);
}

/** The lowest CPU µs per request of each target over the rounds, per depth. */
function printCpu(rows: Row[], test: string): void {
  const targets = [...new Set(rows.map((row) => row.target))];
  for (const pipeline of new Set(rows.map((row) => row.pipeline))) {
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
    console.log(`CPU µs per ${test} -P ${pipeline} (lowest of the rounds): ${parts.join(", ")}`);
  }
}

if (import.meta.main) await main();
