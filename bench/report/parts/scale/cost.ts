/**
 * Cost per operation in server CPU ms: the summed CPU of every server process over a workload,
 * divided by the operations it completed, for dsync (3 nodes) and, where installed, etcd (3
 * members) and redis-server. Operations of the systems run back to back, op by op.
 */
import { replyText } from "../../../../src/client/resp_connection.ts";
import type { RespValue } from "../../../../protocol/resp/mod.ts";
import { ownCpuMs, totalCpuMs } from "../../../load/process_cpu.ts";
import { runLevel } from "../../../load/lock_workload.ts";
import { DsyncLockClient } from "../../../load/dsync_lock_client.ts";
import { base64Text, EtcdLockClient } from "../../../load/etcd_lock_client.ts";
import { isTryAgain, runFixedCount } from "../../../load/fixed_count.ts";
import { DsyncQueueClient } from "../../../load/dsync_queue_client.ts";
import { benchPayload, runConsumeLevel, runPushLevel } from "../../../load/queue_workload.ts";
import type { CostRow } from "./figures.ts";
import { cpuMsPerOp } from "./slope.ts";
import { ITEM_BYTES } from "./memory.ts";

/** The running systems a cost run measures; a peer is null when not installed. */
export interface CostSystems {
  dsync: { ports: number[]; pids: number[] };
  etcd: { urls: string[]; pids: number[] } | null;
  redis: { port: number; pid: number } | null;
}

/** Sizes of the cost workloads. */
export interface CostSizes {
  /** Clients of the lock cycle level (also the throughput the bounds are compared with). */
  lockClientCount: number;
  /** Duration of the lock and push levels, s. */
  levelSeconds: number;
  /** Connections of SET, GET and put (request, reply, request, ...). */
  kvClientCount: number;
  /** Operations of each SET, GET and put workload. */
  kvCount: number;
  /** Bound on each fixed-count workload, ms. */
  kvTimeoutMs: number;
}

export const COST_QUEUE = "scale-cost";
const LOCK_TTL_MS = 30_000;
const LOCK_WAIT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
const NAME_COUNT = 1_000;
const ERROR_COUNT_MAX = 100;
const POP_WAIT_MS = 500;
const EMPTY_TAKES_MAX = 3;

interface Done {
  operations: number;
  seconds: number;
}

/** Runs `work` and charges the servers' and this process's CPU over it to its operations. */
async function measure(
  system: string,
  op: string,
  pids: number[],
  clientCount: number,
  work: () => Promise<Done>,
): Promise<CostRow> {
  const serverBefore = await totalCpuMs(pids);
  const clientBefore = ownCpuMs();
  const done = await work();
  const clientCpuMs = ownCpuMs() - clientBefore;
  const serverAfter = await totalCpuMs(pids);
  if (serverBefore === null || serverAfter === null) {
    throw new Error("cannot read /proc/<pid>/stat (Linux only)");
  }
  const serverCpuMs = serverAfter - serverBefore;
  return {
    system,
    op,
    clientCount,
    operations: done.operations,
    seconds: done.seconds,
    serverCpuMs,
    clientCpuMs,
    cpuMsPerOp: cpuMsPerOp(serverCpuMs, done.operations),
    opsPerSecond: done.seconds > 0 ? done.operations / done.seconds : 0,
    loadAverage1m: Deno.loadavg()[0] ?? 0,
  };
}

function fixedKv(
  ports: number[],
  sizes: CostSizes,
  command: (i: number) => Array<string | Uint8Array>,
  accept: (reply: RespValue) => boolean,
): () => Promise<Done> {
  return async () => {
    const result = await runFixedCount({
      ports,
      connectionCount: sizes.kvClientCount,
      batchSize: 1,
      count: sizes.kvCount,
      timeoutMs: sizes.kvTimeoutMs,
      batchTimeoutMs: REQUEST_TIMEOUT_MS,
      command,
      accept,
      resend: isTryAgain,
    });
    return { operations: result.completed, seconds: result.elapsedMs / 1000 };
  };
}

/** Puts `count` keys through etcd's JSON gateway with `clientCount` loops, bounded in time. */
function etcdPuts(urls: string[], sizes: CostSizes): () => Promise<Done> {
  return async () => {
    const value = base64Text("a".repeat(ITEM_BYTES));
    const t0 = performance.now();
    const deadline = t0 + sizes.kvTimeoutMs;
    let next = 0;
    let completed = 0;
    await Promise.all(Array.from({ length: sizes.kvClientCount }, async (_, c) => {
      const url = `${urls[c % urls.length]!}/v3/kv/put`;
      while (next < sizes.kvCount && performance.now() < deadline) {
        const body = JSON.stringify({ key: base64Text(`key:${next++}`), value });
        const response = await fetch(url, {
          method: "POST",
          body,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        await response.text();
        if (!response.ok) throw new Error(`etcd put answered ${response.status}`);
        completed++;
      }
    }));
    return { operations: completed, seconds: (performance.now() - t0) / 1000 };
  };
}

function lockLevel(open: Parameters<typeof runLevel>[0], clientCount: number, seconds: number) {
  return async (): Promise<Done> => {
    const level = await runLevel(open, {
      target: "scale",
      clientCount,
      seconds,
      nameCount: NAME_COUNT,
      errorCountMax: ERROR_COUNT_MAX,
      progress: false,
    });
    if (level.aborted) throw new Error(`lock level aborted: ${level.firstError}`);
    return { operations: level.cycles, seconds: level.seconds };
  };
}

/** Measures every operation; `onStep` after each. Returns the rows, dsync's lock cycle first. */
export async function measureCosts(
  systems: CostSystems,
  sizes: CostSizes,
  onStep: (label: string) => void,
): Promise<CostRow[]> {
  const { dsync, etcd, redis } = systems;
  const rows: CostRow[] = [];
  const step = async (row: Promise<CostRow>) => {
    const measured = await row;
    rows.push(measured);
    onStep(`cost: ${measured.system} ${measured.op}`);
  };
  const dsyncLock = (i: number) =>
    DsyncLockClient.open(dsync.ports[i % dsync.ports.length]!, {
      owner: `scale-${i}`,
      ttlMs: LOCK_TTL_MS,
      waitMs: LOCK_WAIT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
  const lockClients = sizes.lockClientCount;
  await step(
    measure(
      "dsync-3",
      "lock cycle",
      dsync.pids,
      lockClients,
      lockLevel(dsyncLock, lockClients, sizes.levelSeconds),
    ),
  );
  if (etcd !== null) {
    const etcdLock = (i: number) =>
      EtcdLockClient.open(etcd.urls[i % etcd.urls.length]!, {
        leaseTtlSeconds: LOCK_TTL_MS / 1000,
        waitMs: LOCK_WAIT_MS,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
      });
    await step(
      measure(
        "etcd-3",
        "lock cycle",
        etcd.pids,
        lockClients,
        lockLevel(etcdLock, lockClients, sizes.levelSeconds),
      ),
    );
  }
  const value = benchPayload(ITEM_BYTES);
  const ok = (reply: RespValue) => replyText(reply) === "OK";
  const found = (reply: RespValue) => reply.type === "bulk";
  const kvClients = sizes.kvClientCount;
  const set = (i: number) => ["SET", `key:${i}`, value];
  /** GETs read only keys the SET of the same system stored (a SET level may stop early). */
  const getOf = (stored: number) => (i: number) => ["GET", `key:${i % Math.max(1, stored)}`];
  const dsyncSet = measure(
    "dsync-3",
    "SET",
    dsync.pids,
    kvClients,
    fixedKv(dsync.ports, sizes, set, ok),
  );
  await step(dsyncSet);
  if (etcd !== null) {
    await step(measure("etcd-3", "put", etcd.pids, kvClients, etcdPuts(etcd.urls, sizes)));
  }
  const redisSet = redis === null
    ? null
    : measure("redis-server", "SET", [redis.pid], kvClients, fixedKv([redis.port], sizes, set, ok));
  if (redisSet !== null) await step(redisSet);
  const dsyncGet = fixedKv(dsync.ports, sizes, getOf((await dsyncSet).operations), found);
  await step(measure("dsync-3", "GET", dsync.pids, kvClients, dsyncGet));
  if (redis !== null && redisSet !== null) {
    const redisGet = fixedKv([redis.port], sizes, getOf((await redisSet).operations), found);
    await step(measure("redis-server", "GET", [redis.pid], kvClients, redisGet));
  }
  await measureQueue(dsync, sizes, step);
  return rows;
}

async function measureQueue(
  dsync: CostSystems["dsync"],
  sizes: CostSizes,
  step: (row: Promise<CostRow>) => Promise<void>,
): Promise<void> {
  const options = {
    queue: COST_QUEUE,
    popWaitMs: POP_WAIT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  };
  const open = (i: number) => DsyncQueueClient.open(dsync.ports[i % dsync.ports.length]!, options);
  const clients = sizes.kvClientCount;
  let pushed = 0;
  await step(measure("dsync-3", "QUEUE.PUSH", dsync.pids, clients, async () => {
    const level = await runPushLevel(open, {
      target: "scale",
      producerCount: clients,
      seconds: sizes.levelSeconds,
      payloadBytes: ITEM_BYTES,
      errorCountMax: ERROR_COUNT_MAX,
      progress: false,
    });
    pushed = level.messages;
    return { operations: level.messages, seconds: level.seconds };
  }));
  await step(measure("dsync-3", "POP+ACK", dsync.pids, clients, async () => {
    const level = await runConsumeLevel(open, {
      target: "scale",
      consumerCount: clients,
      batchCount: 1,
      messageCount: pushed,
      secondsMax: sizes.levelSeconds * 4,
      emptyTakesMax: EMPTY_TAKES_MAX,
      errorCountMax: ERROR_COUNT_MAX,
      progress: false,
    });
    return { operations: level.messages, seconds: level.seconds };
  }));
}
