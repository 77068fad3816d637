/**
 * Issue 11's comparison: `redis-benchmark -t set,get -c 50 -r 100000` at `-P 1` and `-P 16`
 * against one node of a 3-node dsync cluster, redis-server with `appendfsync always`, and the
 * minimal Deno server (../shared/bench/resp_ceiling.ts), all started here on 127.0.0.1 in one run,
 * runs interleaved. Prints rps, p50, p99 and the ratios; writes only inside a temporary directory.
 *   deno task bench:kv [--quick] [--requests N] [--rounds R] [--profile] [--json FILE]
 * `--profile` runs the benchmarked node with `--cpu-prof` and prints its top self-time functions.
 */
import { Command } from "commander";
import Table from "cli-table3";
import { pingNode } from "../../src/cluster/node_process.ts";
import { freePort } from "../../src/util/free_ports.ts";
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import { type BenchCluster, startBenchCluster, stopBenchCluster } from "./local_cluster_session.ts";
import { formatTop, readProfile, selfTimes } from "./cpu_profile_top.ts";
import { type RedisServer, startRedisServer, stopRedisServer } from "./redis_server.ts";

const KEY_RANGE = 100_000;
const CLIENTS = 50;

interface Target {
  name: string;
  port: number;
}

/** One redis-benchmark test result. */
interface Row {
  target: string;
  test: string;
  pipeline: number;
  round: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function spawn(command: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(command, { args, stdin: "null", stdout: "null", stderr: "null" })
    .spawn();
}

async function waitPing(target: Target): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await pingNode("127.0.0.1", target.port, 500)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${target.name} did not answer PING on ${target.port}`);
}

async function info(port: number, section: string): Promise<string> {
  const connection = await RespConnection.open("127.0.0.1", port);
  try {
    return replyText(await connection.call(["INFO", section]));
  } finally {
    connection.close();
  }
}

function field(text: string, name: string): number {
  return Number(new RegExp(`${name}:(\\d+)`).exec(text)?.[1] ?? NaN);
}

/** Waits (bounded) until the node answers a SET, i.e. its slot groups have leaders. */
export async function waitKvReady(port: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const connection = await RespConnection.open("127.0.0.1", port);
      try {
        let ok = 0;
        for (let i = 0; i < 64; i++) {
          if (replyText(await connection.call(["SET", `warm:${i}`, "x"])) === "OK") ok++;
        }
        if (ok === 64) return;
      } finally {
        connection.close();
      }
    } catch {
      // not ready
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`dsync did not accept SETs within ${timeoutMs} ms`);
}

/** Parses `redis-benchmark --csv` lines: "test","rps","avg","min","p50","p95","p99","max". */
export function parseBenchmarkCsv(
  text: string,
): Map<string, { rps: number; p50: number; p99: number }> {
  const results = new Map<string, { rps: number; p50: number; p99: number }>();
  for (const line of text.trim().split("\n")) {
    if (line.startsWith('"test"') || line.trim() === "") continue;
    const fields = line.split(",").map((part) => part.replaceAll('"', ""));
    results.set(fields[0]!, {
      rps: Number(fields[1]),
      p50: Number(fields[4]),
      p99: Number(fields[6]),
    });
  }
  return results;
}

async function benchmark(port: number, pipeline: number, requests: number, timeoutMs: number) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const output = await new Deno.Command("redis-benchmark", {
      args: [
        ...["-h", "127.0.0.1", "-p", String(port), "-t", "set,get", "-c", String(CLIENTS)],
        ...["-n", String(requests), "-r", String(KEY_RANGE), "-P", String(pipeline), "--csv"],
      ],
      stdout: "piped",
      stderr: "null",
      signal: controller.signal,
    }).output();
    return parseBenchmarkCsv(new TextDecoder().decode(output.stdout));
  } finally {
    clearTimeout(timer);
  }
}

function startCeiling(): { target: Target; process: Deno.ChildProcess } {
  const port = freePort();
  const ceilingPath = new URL("../../../shared/bench/resp_ceiling.ts", import.meta.url);
  const process = spawn(Deno.execPath(), [
    "run",
    "--allow-net=127.0.0.1",
    decodeURIComponent(ceilingPath.pathname),
    String(port),
  ]);
  return { target: { name: "deno ceiling", port }, process };
}

async function main(): Promise<void> {
  const options = new Command()
    .option("--quick", "fewer requests, one round")
    .option("--requests <n>", "requests per redis-benchmark test (SET and GET each)")
    .option("--rounds <n>", "interleaved rounds", "2")
    .option("--profile", "run the benchmarked node with --cpu-prof and print its top functions")
    .option("--json <file>", "also write the rows as JSON")
    .parse(Deno.args, { from: "user" })
    .opts();
  const quick = options.quick === true;
  const requests = Number(options.requests ?? (quick ? 10_000 : 50_000));
  const rounds = quick ? 1 : Number(options.rounds);
  const dataDir = await Deno.makeTempDir({ prefix: "dsync-kvbench-" });
  const profileDir = `${dataDir}/profile`;
  let cluster: BenchCluster | null = null;
  let redis: RedisServer | null = null;
  let others: Deno.ChildProcess[] = [];
  const rows: Row[] = [];
  try {
    redis = await startRedisServer(dataDir);
    const ceiling = startCeiling();
    others = [ceiling.process];
    const started = {
      targets: [{ name: "redis aof-always", port: redis.port }, ceiling.target],
    };
    cluster = await startBenchCluster(
      3,
      false,
      [],
      options.profile === true
        ? (index) => index === 0 ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []
        : undefined,
    );
    const nodePort = cluster.basePort; // node 1, whatever it leads
    for (const target of started.targets) await waitPing(target);
    await waitKvReady(nodePort, 30_000);
    console.log(`load average at the start: ${Deno.loadavg().map((v) => v.toFixed(2)).join(" ")}`);
    const slots = await info(nodePort, "slots");
    const slotCount = field(slots, "slot_count");
    const led = field(slots, "slots_led");
    const targets = [...started.targets, { name: "dsync node n1", port: nodePort }];
    const connection = await RespConnection.open("127.0.0.1", nodePort);
    const metaRole = /role:(\w+)/.exec(replyText(await connection.call(["CLUSTER", "INFO"])))?.[1];
    connection.close();
    console.error(`dsync: n1's role in the meta group: ${metaRole ?? "unknown"}`);
    console.error(
      `dsync: clients on n1, which leads ${led} of ${slotCount} slots: ` +
        `~${((1 - led / slotCount) * 100).toFixed(0)}% of keys are forwarded to another node`,
    );
    const timeoutMs = quick ? 120_000 : 300_000;
    for (let round = 1; round <= rounds; round++) {
      for (const pipeline of [1, 16]) {
        for (const target of targets) {
          const results = await benchmark(target.port, pipeline, requests, timeoutMs);
          for (const [test, result] of results) {
            rows.push({
              target: target.name,
              test,
              pipeline,
              round,
              requestsPerSecond: result.rps,
              p50Ms: result.p50,
              p99Ms: result.p99,
            });
            console.error(
              `round ${round} ${target.name} ${test} -P ${pipeline}: ${result.rps} req/s ` +
                `p50 ${result.p50} ms p99 ${result.p99} ms`,
            );
          }
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
    if (redis !== null) await stopRedisServer(redis);
    if (cluster !== null) {
      await stopBenchCluster(cluster);
    }
  }
  printTable(rows);
  if (options.profile === true) await printProfile(profileDir);
  if (options.json !== undefined) {
    await Deno.writeTextFile(options.json, JSON.stringify(rows, null, 2));
  }
  await Deno.remove(dataDir, { recursive: true }).catch(() => {});
}

/** Prints the top self-time functions of every `.cpuprofile` in `dir` (node n1's). */
export async function printProfile(
  dir: string,
  nodeOfPid: Map<number, string> = new Map(),
): Promise<void> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch {
    console.log("no CPU profile was written");
  }
  for (const name of names) {
    if (!name.endsWith(".cpuprofile")) continue;
    const profile = await readProfile(`${dir}/${name}`);
    // Deno names a profile CPU.<time>.<pid>.cpuprofile.
    const pid = Number(name.split(".")[2]);
    const node = nodeOfPid.get(pid) ?? "n1";
    console.log(`\nnode ${node} CPU profile (whole run):\n${formatTop(selfTimes(profile), 25)}`);
  }
}

/** Best of the rounds per target, test and depth (background load only ever lowers a run). */
function best(rows: Row[], target: string, test: string, pipeline: number): Row | undefined {
  return rows.filter((row) =>
    row.target === target && row.test === test && row.pipeline === pipeline
  ).sort((a, b) => b.requestsPerSecond - a.requestsPerSecond)[0];
}

function printTable(rows: Row[]): void {
  const table = new Table({
    head: [
      "test",
      "-P",
      "redis rps (p50/p99 ms)",
      "ceiling rps (p50/p99)",
      "dsync rps (p50/p99)",
      "dsync/redis",
      "dsync/ceiling",
    ],
  });
  const cell = (row: Row | undefined) =>
    row === undefined ? "-" : `${row.requestsPerSecond.toFixed(0)} (${row.p50Ms}/${row.p99Ms})`;
  for (const test of ["SET", "GET"]) {
    for (const pipeline of [1, 16]) {
      const redis = best(rows, "redis aof-always", test, pipeline);
      const ceiling = best(rows, "deno ceiling", test, pipeline);
      const dsync = best(rows, "dsync node n1", test, pipeline);
      const ratio = (a?: Row, b?: Row) =>
        a === undefined || b === undefined ? "-" : (a.requestsPerSecond / b.requestsPerSecond)
          .toFixed(3);
      table.push([
        test,
        pipeline,
        cell(redis),
        cell(ceiling),
        cell(dsync),
        ratio(dsync, redis),
        ratio(dsync, ceiling),
      ]);
    }
  }
  console.log(table.toString());
}

if (import.meta.main) await main();
