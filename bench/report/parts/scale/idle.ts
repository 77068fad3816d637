/** Idle CPU and RSS of a 3-node cluster against the slots (Raft groups) each node hosts. */
import { startBenchCluster, stopBenchCluster } from "../../../load/local_cluster_session.ts";
import { cpuPercentsOver, raftInfo } from "../../../load/idle_window.ts";
import { rssBytes } from "../../../load/process_memory.ts";
import type { IdleRow } from "./figures.ts";

const NODE_COUNT = 3;
const SETTLE_TIMEOUT_MS = 90_000;
const POLL_MS = 250;
/** After the groups went quiet: lets startup work (fsyncs, first compactions) drain. */
const DRAIN_MS = 1_000;

/** True once every hosted group has a leader and no node ticks any group. */
async function settled(ports: number[], slots: number): Promise<boolean> {
  const infos = await Promise.all(ports.map(raftInfo));
  const hosted = Math.max(...infos.map((info) => info.groups));
  const leading = infos.reduce((sum, info) => sum + info.leading, 0);
  const active = infos.reduce((sum, info) => sum + info.active, 0);
  return hosted > slots && leading === hosted && active === 0;
}

/** Starts 3 nodes with `--slots slots`, waits until quiet, measures a `windowMs` idle window. */
export async function measureIdle(
  slots: number,
  windowMs: number,
  workDir: string,
): Promise<IdleRow> {
  const cluster = await startBenchCluster(
    NODE_COUNT,
    false,
    ["--slots", String(slots)],
    undefined,
    workDir,
  );
  try {
    const ports = cluster.nodes.map((_, i) => cluster.basePort + i);
    const deadline = performance.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      if (await settled(ports, slots).catch(() => false)) break;
      if (performance.now() > deadline) {
        throw new Error(`${slots} slots: groups not led and quiet within ${SETTLE_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
    const pids = cluster.nodes.map((node) => node.pid);
    const cpuPercents = await cpuPercentsOver(pids, windowMs);
    const rss = await Promise.all(pids.map(rssBytes));
    const infos = await Promise.all(ports.map(raftInfo));
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    return {
      slots,
      groupsPerNode: mean(infos.map((info) => info.groups)),
      cpuPercentMean: mean(cpuPercents),
      cpuPercentMax: Math.max(...cpuPercents),
      rssBytesMean: mean(rss),
    };
  } finally {
    await stopBenchCluster(cluster);
  }
}
