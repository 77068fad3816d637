/**
 * A V8 CPU profile of every node of a 3-node dsync cluster under the lock workload of
 * `bench:locks` (C clients on the leader, acquire + release, fsync on), then the leader's top
 * functions by self time over the load window only. Manual measurement. Usage:
 *   deno run -A bench/load/lock_profile.ts [--clients 64] [--seconds 8] [--top 20] [--dir DIR]
 * The `.cpuprofile` files stay in DIR (one folder per node) for Chrome DevTools.
 */
import { Command } from "commander";
import { DsyncLockClient } from "./dsync_lock_client.ts";
import { runLevel } from "./lock_workload.ts";
import { findLeaderPort, startBenchCluster, stopBenchCluster } from "./local_cluster_session.ts";
import { formatTop, profileDurationMs, readProfile, selfTimes } from "./cpu_profile_top.ts";

const NODE_COUNT = 3;
const WARMUP_SECONDS = 2;
const WARMUP_CLIENT_COUNT = 16;

async function main(): Promise<void> {
  const options = new Command()
    .option("--clients <n>", "concurrent clients on the leader", "64")
    .option("--seconds <n>", "seconds of load", "8")
    .option("--top <n>", "functions to print", "20")
    .option("--dir <dir>", "where the profiles go (default: a new temporary directory)")
    .parse(Deno.args, { from: "user" })
    .opts();
  const clientCount = Number(options.clients);
  const seconds = Number(options.seconds);
  const dir = options.dir === undefined
    ? await Deno.makeTempDir({ prefix: "dsync-prof-" })
    : String(options.dir);
  const cluster = await startBenchCluster(NODE_COUNT, false, [], (nodeIndex) => [
    "--cpu-prof",
    `--cpu-prof-dir=${dir}/n${nodeIndex + 1}`,
  ]);
  let load: { startMs: number; endMs: number };
  let stoppedMs = 0;
  let leaderIndex: number;
  try {
    const ports = cluster.nodes.map((_, i) => cluster.basePort + i);
    const leaderPort = await findLeaderPort(ports);
    leaderIndex = ports.indexOf(leaderPort);
    const open = (clientIndex: number) =>
      DsyncLockClient.open(leaderPort, {
        owner: `owner-${clientIndex}`,
        ttlMs: 30_000,
        waitMs: 5_000,
        requestTimeoutMs: 10_000,
      });
    const level = (clients: number, levelSeconds: number) =>
      runLevel(open, {
        target: "dsync-3 leader",
        clientCount: clients,
        seconds: levelSeconds,
        nameCount: 1_000,
        errorCountMax: 1_000,
        progress: false,
      });
    await level(WARMUP_CLIENT_COUNT, WARMUP_SECONDS);
    const startMs = performance.now();
    const result = await level(clientCount, seconds);
    load = { startMs, endMs: performance.now() };
    console.log(
      `C=${clientCount}: ${result.cyclesPerSecond.toFixed(0)} cycles/s, ` +
        `p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ` +
        `errors ${result.errors}`,
    );
  } finally {
    // The nodes exit within milliseconds of the stop: the window is placed from the profile's end.
    stoppedMs = performance.now();
    await stopBenchCluster(cluster);
  }
  const leaderDir = `${dir}/n${leaderIndex + 1}`;
  for await (const entry of Deno.readDir(leaderDir)) {
    if (!entry.name.endsWith(".cpuprofile")) continue;
    const path = `${leaderDir}/${entry.name}`;
    const profile = await readProfile(path);
    const durationMs = profileDurationMs(profile);
    const window = {
      fromMs: durationMs - (stoppedMs - load.startMs),
      toMs: durationMs - (stoppedMs - load.endMs),
    };
    const top = selfTimes(profile, window);
    console.log(`leader n${leaderIndex + 1}: ${path}`);
    console.log(formatTop(top, Number(options.top)));
  }
}

if (import.meta.main) await main();
