/**
 * Memory per held lock, queued message and cached line: fills a 3-node dsync cluster (`--cache on`)
 * step by step, reads every node's RSS after each step and fits bytes per item (least squares).
 */
import { replyText } from "../../../../src/client/resp_connection.ts";
import {
  findLeaderPort,
  startBenchCluster,
  stopBenchCluster,
} from "../../../load/local_cluster_session.ts";
import { fillLocks } from "../../../load/lock_fill.ts";
import { isTimeout, isTryAgain, runFixedCount } from "../../../load/fixed_count.ts";
import { waitQueuesReady } from "../../../load/queue_ready.ts";
import { rssBytes } from "../../../load/process_memory.ts";
import { redisUsedMemoryBytes } from "../../../load/redis_server.ts";
import { benchPayload } from "../../../load/queue_workload.ts";
import type { Point } from "../../results.ts";
import type { MemoryRow } from "./figures.ts";
import { leastSquaresSlope } from "./slope.ts";

/** How many items of each kind, and in how many steps. */
export interface MemorySizes {
  lockCount: number;
  messageCount: number;
  lineCount: number;
  stepCount: number;
  /** Pause after each step before RSS is read: lets the nodes apply and the cache write back. */
  settleMs: number;
}

/** Bytes of every queued message and every cached line's value. */
export const ITEM_BYTES = 256;
const QUEUE = "scale-memory";
const STEP_TIMEOUT_MS = 120_000;
const READY_TIMEOUT_MS = 30_000;
const CONNECTION_COUNT = 8;
const BATCH_SIZE = 100;
const LOCK_TTL_MS = 3_600_000;

/** Fills `count` items in `stepCount` steps; RSS of every node after each (x = items so far). */
async function fillInSteps(
  pids: number[],
  count: number,
  { stepCount, settleMs }: MemorySizes,
  fill: (from: number, to: number) => Promise<number>,
): Promise<{ series: Point[][]; resentCount: number }> {
  let resentCount = 0;
  const series: Point[][] = pids.map(() => []);
  const record = async (items: number) => {
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const rss = await Promise.all(pids.map(rssBytes));
    rss.forEach((bytes, i) => series[i]!.push({ x: items, y: bytes }));
  };
  await record(0);
  for (let step = 1; step <= stepCount; step++) {
    const from = Math.floor(((step - 1) * count) / stepCount);
    const to = Math.floor((step * count) / stepCount);
    resentCount += await fill(from, to);
    await record(to);
  }
  return { series, resentCount };
}

async function metaLeaderIndex(ports: number[]): Promise<number> {
  return ports.indexOf(await findLeaderPort(ports));
}

function row(
  item: string,
  count: number,
  { series, resentCount }: { series: Point[][]; resentCount: number },
  leaderIndex: number | null,
): MemoryRow {
  const slopes = series.map(leastSquaresSlope);
  const followers = slopes.filter((_, i) => i !== leaderIndex);
  return {
    item,
    count,
    leaderBytesPerItem: leaderIndex === null ? null : slopes[leaderIndex]!,
    followerBytesPerItem: leaderIndex === null
      ? null
      : followers.reduce((a, b) => a + b, 0) / followers.length,
    nodeBytesPerItem: slopes,
    resentCount,
  };
}

/** Fills one cluster with locks, then messages, then lines; `onStep` after each kind. */
export async function measureMemory(
  sizes: MemorySizes,
  workDir: string,
  onStep: (label: string) => void,
): Promise<MemoryRow[]> {
  const cluster = await startBenchCluster(3, false, ["--cache", "on"], undefined, workDir);
  try {
    const ports = cluster.nodes.map((_, i) => cluster.basePort + i);
    const pids = cluster.nodes.map((node) => node.pid);
    await waitQueuesReady(ports[0]!, QUEUE, READY_TIMEOUT_MS);
    const leaderIndex = await metaLeaderIndex(ports);
    const rows: MemoryRow[] = [];
    const locks = await fillInSteps(pids, sizes.lockCount, sizes, async (from, to) => {
      const fill = await fillLocks({
        port: ports[leaderIndex]!,
        lockCount: to - from,
        connectionCount: CONNECTION_COUNT,
        batchSize: BATCH_SIZE,
        ttlMs: LOCK_TTL_MS,
        timeoutMs: STEP_TIMEOUT_MS,
        prefix: `lock-${from}-`,
        ownerCount: 1_000,
        onProgress: () => {},
      });
      return fill.retryCount;
    });
    rows.push(row("held lock", sizes.lockCount, locks, leaderIndex));
    onStep("memory: locks");
    const payload = benchPayload(ITEM_BYTES);
    const messages = await fillInSteps(
      pids,
      sizes.messageCount,
      sizes,
      (from, to) =>
        fixed(ports, to - from, () => ["QUEUE.PUSH", QUEUE, payload], (r) => r.type === "bulk"),
    );
    rows.push(row(`queued message (${ITEM_BYTES} B)`, sizes.messageCount, messages, null));
    onStep("memory: messages");
    const lines = await fillInSteps(
      pids,
      sizes.lineCount,
      sizes,
      (from, to) =>
        fixed(
          [ports[0]!],
          to - from,
          (i) => ["SET", `line:${from + i}`, payload],
          (r) => replyText(r) === "OK",
        ),
    );
    rows.push(
      row(`cached line (${ITEM_BYTES} B, written through n1)`, sizes.lineCount, lines, null),
    );
    onStep("memory: lines");
    return rows;
  } finally {
    await stopBenchCluster(cluster);
  }
}

async function fixed(
  ports: number[],
  count: number,
  command: (index: number) => Array<string | Uint8Array>,
  accept: Parameters<typeof runFixedCount>[0]["accept"],
): Promise<number> {
  const result = await runFixedCount({
    ports,
    connectionCount: CONNECTION_COUNT,
    batchSize: BATCH_SIZE,
    count,
    timeoutMs: STEP_TIMEOUT_MS,
    batchTimeoutMs: STEP_TIMEOUT_MS,
    command,
    accept,
    resend: (reply) => isTryAgain(reply) || isTimeout(reply),
  });
  if (result.completed < count) {
    throw new Error(`fill stopped at ${result.completed} of ${count} after ${STEP_TIMEOUT_MS} ms`);
  }
  return result.resendCount;
}

/** redis-server's used_memory growth per SET of an ITEM_BYTES value, over `count` keys. */
export async function redisBytesPerKey(port: number, count: number): Promise<number> {
  const before = await redisUsedMemoryBytes(port);
  await fixed(
    [port],
    count,
    (i) => ["SET", `line:${i}`, benchPayload(ITEM_BYTES)],
    (r) => replyText(r) === "OK",
  );
  return ((await redisUsedMemoryBytes(port)) - before) / count;
}
