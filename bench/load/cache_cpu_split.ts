/**
 * Where a 3-node cluster's CPU goes while node 1 serves GET hits: each node's CPU ms per second
 * (from /proc) idle, then under `redis-benchmark -t get -c 50 -r KEYS -P 1|16` against n1 with
 * the keys warm in its cache, with n1's lease renewals and its homes' store reads per second
 * (INFO cache). The nodes other than n1 serve no client: what they use beyond idle is the work
 * n1's hits cause (renewals reaching homes, their reads). All on 127.0.0.1, in a temporary
 * directory; nodes stopped by PID.
 *   deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-run --allow-env \
 *     --allow-sys bench/load/cache_cpu_split.ts [--requests N] [--keys K]
 */
import { Command } from "commander";
import { RespConnection } from "../../src/client/resp_connection.ts";
import { warm, warmReads } from "./cache_compare.ts";
import { startBenchCluster, stopBenchCluster } from "./local_cluster_session.ts";
import { totalCpuMs } from "./process_cpu.ts";

/** How long the idle cluster is measured. */
const IDLE_MS = 5000;
/** Longest warm-up (1,000 serial write-through SETs crawl on a loaded machine). */
const WARM_TIMEOUT_MS = 300_000;
/** Longest redis-benchmark run. */
const RUN_TIMEOUT_MS = 300_000;

/** The numeric fields of `INFO cache` on 127.0.0.1:`port`. */
export async function cacheInfo(port: number): Promise<Map<string, number>> {
  const connection = await RespConnection.open("127.0.0.1", port);
  try {
    const reply = await connection.call(["INFO", "cache"]);
    const text = reply.type === "bulk" ? new TextDecoder().decode(reply.value) : "";
    const fields = new Map<string, number>();
    for (const line of text.split("\r\n")) {
      const [name, value] = line.split(":", 2);
      if (name !== undefined && value !== undefined && value !== "") {
        fields.set(name, Number(value));
      }
    }
    return fields;
  } finally {
    connection.close();
  }
}

/** Each pid's CPU ms per second over `run`, and the run's seconds. */
async function cpuRates(pids: number[], run: () => Promise<void>) {
  const before = await Promise.all(pids.map((pid) => totalCpuMs([pid])));
  const startMs = performance.now();
  await run();
  const seconds = (performance.now() - startMs) / 1000;
  const after = await Promise.all(pids.map((pid) => totalCpuMs([pid])));
  const rates = after.map((ms, i) => ms === null || before[i] === null ? NaN : ms - before[i]!);
  return { seconds, perSecond: rates.map((ms) => ms / seconds) };
}

async function main(): Promise<void> {
  const options = new Command()
    .option("--requests <n>", "GETs per redis-benchmark run", "200000")
    .option("--keys <n>", "key range (-r), all warm in n1's cache", "1000")
    .parse(Deno.args, { from: "user" })
    .opts();
  const cluster = await startBenchCluster(3, false, ["--cache", "on"]);
  try {
    const port = cluster.basePort;
    const pids = cluster.nodes.map((node) => node.pid);
    await warm(port, Number(options.keys), WARM_TIMEOUT_MS);
    const idle = await cpuRates(pids, () => new Promise((resolve) => setTimeout(resolve, IDLE_MS)));
    const rates = (values: number[]) => values.map((value) => value.toFixed(0)).join(", ");
    console.log(`idle: CPU ms/s per node ${rates(idle.perSecond)}`);
    for (const pipeline of [1, 16]) {
      await warmReads(port, Number(options.keys), WARM_TIMEOUT_MS);
      const before = await cacheInfo(port);
      const { seconds, perSecond } = await cpuRates(pids, async () => {
        await new Deno.Command("redis-benchmark", {
          args: [
            ...["-h", "127.0.0.1", "-p", String(port), "-c", "50", "--csv", "-t", "get"],
            ...["-n", options.requests, "-r", options.keys, "-P", String(pipeline)],
          ],
          stdout: "null",
          stderr: "null",
          signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
        }).output();
      });
      const after = await cacheInfo(port);
      const delta = (name: string) => ((after.get(name) ?? 0) - (before.get(name) ?? 0)) / seconds;
      const getsPerSecond = Number(options.requests) / seconds;
      console.log(
        `-P ${pipeline}: ${getsPerSecond.toFixed(0)} GET/s; n1 renewals ${
          delta("cache_renewals").toFixed(0)
        }/s, store reads at n1's homes ${delta("cache_store_reads").toFixed(0)}/s; ` +
          `CPU ms/s per node ${rates(perSecond)}; n1 ${
            (perSecond[0]! * 1000 / getsPerSecond).toFixed(1)
          } µs/GET`,
      );
    }
  } finally {
    await stopBenchCluster(cluster);
  }
}

if (import.meta.main) await main();
