/** The systems the cost workloads run against, all started at once so they can be interleaved. */
import { replyText } from "../../../../src/client/resp_connection.ts";
import {
  type BenchCluster,
  startBenchCluster,
  stopBenchCluster,
} from "../../../load/local_cluster_session.ts";
import {
  type EtcdCluster,
  etcdInstalled,
  etcdVersion,
  startEtcdCluster,
  stopEtcdCluster,
} from "../../../load/etcd_cluster.ts";
import {
  type RedisServer,
  redisServerVersion,
  startRedisServer,
  stopRedisServer,
} from "../../../load/redis_server.ts";
import { runFixedCount } from "../../../load/fixed_count.ts";
import { waitQueuesReady } from "../../../load/queue_ready.ts";
import { COST_QUEUE, type CostSystems } from "./cost.ts";

/** Started systems, their peers' names ("etcd 3.4.23") and how to stop them all. */
export interface RunningSystems {
  systems: CostSystems;
  etcdName: string | null;
  redisName: string | null;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 200;
/** Keys SET to see every slot answer (spread over the slots by their hash). */
const WARM_KEY_COUNT = 256;

/** Waits (bounded) until SETs of keys in every slot are answered OK. */
async function waitKvReady(ports: number[]): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  let last = "";
  while (performance.now() < deadline) {
    try {
      await runFixedCount({
        ports,
        connectionCount: ports.length,
        batchSize: 16,
        count: WARM_KEY_COUNT,
        timeoutMs: READY_TIMEOUT_MS,
        batchTimeoutMs: READY_POLL_MS * 10,
        command: (i) => ["SET", `warm:${i}`, "x"],
        accept: (reply) => replyText(reply) === "OK",
      });
      return;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  throw new Error(`dsync did not accept SETs within ${READY_TIMEOUT_MS} ms: ${last}`);
}

/** Starts dsync (3 nodes, data under `workDir`), and etcd and redis-server where installed. */
export async function startSystems(workDir: string, skipped: string[]): Promise<RunningSystems> {
  let cluster: BenchCluster | null = null;
  let etcd: EtcdCluster | null = null;
  let redis: RedisServer | null = null;
  const stop = async () => {
    await Promise.all([
      cluster === null ? null : stopBenchCluster(cluster),
      etcd === null ? null : stopEtcdCluster(etcd),
      redis === null ? null : stopRedisServer(redis),
    ]);
  };
  try {
    // Started side by side: each start waits on elections, not on CPU.
    const [etcdOn, redisVersion] = await Promise.all([etcdInstalled(), redisServerVersion()]);
    const started = await Promise.allSettled([
      startBenchCluster(3, false, [], undefined, workDir).then((c) => (cluster = c)),
      etcdOn ? startEtcdCluster(3).then((e) => (etcd = e)) : null,
      redisVersion === null ? null : Deno.makeTempDir({ dir: workDir, prefix: "redis-cost-" })
        .then(startRedisServer).then((r) => (redis = r)),
    ]);
    const failed = started.find((result) => result.status === "rejected");
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    const [dsyncStarted, etcdStarted, redisStarted] = started.map((result) =>
      result.status === "fulfilled" ? result.value : null
    ) as [BenchCluster, EtcdCluster | null, RedisServer | null];
    const ports = dsyncStarted.nodes.map((_, i) => dsyncStarted.basePort + i);
    const etcdName = etcdOn ? (await etcdVersion()).replace(/^etcd Version:\s*/, "etcd ") : null;
    if (!etcdOn) skipped.push("etcd is not installed: no etcd lock cycle and put costs");
    const redisName = redisVersion === null ? null : `redis-server ${redisVersion}`;
    if (redisVersion === null) {
      skipped.push("redis-server is not installed: no redis SET and GET costs");
    }
    await waitKvReady(ports);
    await waitQueuesReady(ports[0]!, COST_QUEUE, READY_TIMEOUT_MS);
    const systems: CostSystems = {
      dsync: { ports, pids: dsyncStarted.nodes.map((node) => node.pid) },
      etcd: etcdStarted === null ? null : {
        urls: etcdStarted.members.map((m) => m.clientUrl),
        pids: etcdStarted.members.map((m) => m.pid),
      },
      redis: redisStarted === null ? null : { port: redisStarted.port, pid: redisStarted.pid },
    };
    return { systems, etcdName, redisName, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
