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
    cluster = await startBenchCluster(3, false, [], undefined, workDir);
    const ports = cluster.nodes.map((_, i) => cluster!.basePort + i);
    let etcdName: string | null = null;
    if (await etcdInstalled()) {
      etcd = await startEtcdCluster(3);
      etcdName = (await etcdVersion()).replace(/^etcd Version:\s*/, "etcd ");
    } else skipped.push("etcd is not installed: no etcd lock cycle and put costs");
    const redisVersion = await redisServerVersion();
    let redisName: string | null = null;
    if (redisVersion !== null) {
      const dir = await Deno.makeTempDir({ dir: workDir, prefix: "redis-cost-" });
      redis = await startRedisServer(dir);
      redisName = `redis-server ${redisVersion}`;
    } else skipped.push("redis-server is not installed: no redis SET and GET costs");
    await waitKvReady(ports);
    await waitQueuesReady(ports[0]!, COST_QUEUE, READY_TIMEOUT_MS);
    const systems: CostSystems = {
      dsync: { ports, pids: cluster.nodes.map((node) => node.pid) },
      etcd: etcd === null
        ? null
        : { urls: etcd.members.map((m) => m.clientUrl), pids: etcd.members.map((m) => m.pid) },
      redis: redis === null ? null : { port: redis.port, pid: redis.pid },
    };
    return { systems, etcdName, redisName, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
