/**
 * How many slot groups a read load keeps awake, and what the nodes spend meanwhile: starts a
 * 3-node cluster (cache on), prints INFO `raft_groups_active` of every node when idle, after
 * writing the keys through n1, and every 2.5 s of a `redis-benchmark -t get` load on n1; then the
 * CPU ms per second of each node over the load, and n1's cache renewals and barriers.
 *   deno run -A bench/load/groups_awake.ts [--keys 1000] [--clients 5] [--seconds 10]
 */
import { Command } from "commander";
import { startBenchCluster, stopBenchCluster } from "./local_cluster_session.ts";
import { totalCpuMs } from "./process_cpu.ts";
import { infoSection } from "./cache_line_probe.ts";

const SAMPLE_MS = 2_500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const options = new Command()
    .option("--keys <n>", "keys written then read (-r)", "1000")
    .option("--clients <n>", "redis-benchmark -c", "5")
    .option("--seconds <n>", "length of the read load", "10")
    .parse(Deno.args, { from: "user" })
    .opts();
  const keys = Number(options.keys);
  const seconds = Number(options.seconds);
  if (!(keys >= 1 && seconds >= 1 && seconds <= 600)) {
    throw new Error("--keys >= 1, --seconds 1-600");
  }
  const cluster = await startBenchCluster(3, false, ["--cache", "on"]);
  const ports = cluster.nodes.map((_, i) => cluster.basePort + i);
  const active = async () =>
    (await Promise.all(ports.map((port) => infoSection(port, "raft"))))
      .map((fields) => fields.get("raft_groups_active") ?? "?").join(" ");
  try {
    await sleep(6_000);
    console.log(`groups active (n1 n2 n3), idle: ${await active()}`);
    const common = ["-h", "127.0.0.1", "-p", String(cluster.basePort), "-r", String(keys), "-q"];
    await new Deno.Command("redis-benchmark", {
      args: [...common, "-t", "set", "-n", String(keys * 3), "-c", "10"],
      stdout: "null",
    }).output();
    await sleep(3_000);
    console.log(`groups active, keys written: ${await active()}`);
    const pids = cluster.nodes.map((node) => node.pid);
    const before = await Promise.all(pids.map((pid) => totalCpuMs([pid])));
    const load = new Deno.Command("redis-benchmark", {
      args: [...common, "-t", "get", "-n", "1000000000", "-c", String(options.clients)],
      stdout: "null",
    }).spawn();
    try {
      for (let waited = 0; waited < seconds * 1000; waited += SAMPLE_MS) {
        await sleep(SAMPLE_MS);
        console.log(`groups active, under the GET load: ${await active()}`);
      }
    } finally {
      load.kill("SIGTERM");
      await load.status;
    }
    const after = await Promise.all(pids.map((pid) => totalCpuMs([pid])));
    const cpu = pids.map((_, i) => ((after[i]! - before[i]!) / seconds).toFixed(1)).join(" ");
    console.log(`CPU ms per second (n1 n2 n3) under the load: ${cpu}`);
    const cache = await infoSection(cluster.basePort, "cache");
    const names = ["cache_hits", "cache_misses", "cache_renewals", "cache_store_barriers"];
    console.log(names.map((name) => `${name}:${cache.get(name)}`).join(" "));
  } finally {
    await stopBenchCluster(cluster);
  }
}

if (import.meta.main) await main();
