/**
 * Lock handoff rate: W waiters queue for one lock on one node; each releases the moment it is
 * granted, so the lock passes from waiter to waiter through the log. Run with the waiters on the
 * leader, then on a follower, against one 3-node cluster on 127.0.0.1 (fsync on).
 *
 *   deno task bench:handoff [--waiters 500] [--nodes 3]
 *
 * Prints handoffs per second and the mean time per handoff for each route.
 * @module
 */
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import { findLeaderPort, startBenchCluster, stopBenchCluster } from "./local_cluster_session.ts";

/** Parsed arguments. */
interface HandoffArgs {
  waiterCount: number;
  nodeCount: number;
}

/** Longest a single queued acquire may wait, in ms (bounds the whole run). */
const WAIT_MS_MAX = 120_000;

function parseArgs(args: string[]): HandoffArgs {
  const out: HandoffArgs = { waiterCount: 500, nodeCount: 3 };
  for (let i = 0; i < args.length; i += 2) {
    const value = Number(args[i + 1]);
    if (!Number.isSafeInteger(value) || value < 1 || value > 5_000) {
      throw new Error(`Invalid value ${args[i + 1]} for ${args[i]}: an integer in 1..5000`);
    }
    if (args[i] === "--waiters") out.waiterCount = value;
    else if (args[i] === "--nodes") out.nodeCount = value;
    else throw new Error(`Unknown option ${args[i]}; use --waiters N --nodes N`);
  }
  return out;
}

/** Queues `waiterCount` waiters on `port` for one fresh lock; resolves with handoffs/s. */
async function measure(port: number, waiterCount: number, lock: string): Promise<number> {
  const holder = await RespConnection.open("127.0.0.1", port);
  const first = await holder.call(["LOCK.ACQUIRE", lock, "holder", "TTL", "60000"]);
  if (first.type !== "integer") throw new Error(`first acquire: ${replyText(first)}`);
  const connections = await Promise.all(
    Array.from({ length: waiterCount }, () => RespConnection.open("127.0.0.1", port)),
  );
  const waits = connections.map(async (connection, i) => {
    const owner = `w${i}`;
    const token = await connection.call(
      ["LOCK.ACQUIRE", lock, owner, "TTL", "60000", "WAIT", String(WAIT_MS_MAX)],
    );
    if (token.type !== "integer") throw new Error(`${owner}: ${replyText(token)}`);
    const release = ["LOCK.RELEASE", lock, owner, "TOKEN", String(token.value)];
    const released = await connection.call(release);
    if (released.type !== "integer" || released.value !== 1) {
      throw new Error(`${owner} release: ${replyText(released)}`);
    }
  });
  // Every waiter is parked before the clock starts: the queue holds them all.
  const deadline = performance.now() + 30_000;
  while (true) {
    const info = await holder.call(["LOCK.INFO", lock]);
    const list = info.type === "array" ? info.value[2] : undefined;
    const waiters = list?.type === "array" ? list.value.length : 0;
    if (waiters === waiterCount) break;
    if (performance.now() > deadline) throw new Error(`only ${waiters} waiters parked in 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const startMs = performance.now();
  await holder.call(["LOCK.RELEASE", lock, "holder"]);
  await Promise.all(waits);
  const elapsedMs = performance.now() - startMs;
  for (const connection of [holder, ...connections]) connection.close();
  return waiterCount / (elapsedMs / 1_000);
}

async function main(): Promise<void> {
  const args = parseArgs(Deno.args);
  const cluster = await startBenchCluster(args.nodeCount);
  try {
    const ports = cluster.nodes.map((_, i) => cluster.basePort + i);
    const leaderPort = await findLeaderPort(ports);
    const followerPort = ports.find((port) => port !== leaderPort)!;
    const onLeader = await measure(leaderPort, args.waiterCount, "handoff-leader");
    const onFollower = await measure(followerPort, args.waiterCount, "handoff-follower");
    const line = (route: string, rate: number) =>
      `${route.padEnd(20)} ${rate.toFixed(0).padStart(7)} handoffs/s ` +
      `${(1_000 / rate).toFixed(2).padStart(7)} ms each`;
    console.log(`${args.waiterCount} waiters on one lock, ${args.nodeCount} nodes, fsync on`);
    console.log(line("waiters on leader", onLeader));
    console.log(line("waiters on follower", onFollower));
    console.log(`follower/leader ${(onFollower / onLeader).toFixed(2)}`);
  } finally {
    await stopBenchCluster(cluster);
  }
}

if (import.meta.main) await main();
