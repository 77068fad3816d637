/**
 * The key-value part of `deno task report`: SET and GET against dsync on 3 nodes beside etcd on 3
 * members and redis-server with `appendfsync always`, all started here and measured level by level.
 */
import { waitKvReady } from "../../../load/kv_compare.ts";
import { etcdKvOpener, KV_VALUE_BYTES, respKvOpener } from "../../../load/kv_op_clients.ts";
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
import type { PartContext, ReportPart, SectionResult } from "../../results.ts";
import { partCommand } from "../../runner.ts";
import { KV_OPS, type KvSettings, type KvTarget, measureKvLevels } from "./measure.ts";
import { DSYNC_KV_LABEL, kvSection } from "./section.ts";

/** Timeout of every request and of every connect. */
const REQUEST_TIMEOUT_MS = 10_000;
/** How long dsync's slot groups may take to accept writes after the start. */
const KV_READY_TIMEOUT_MS = 30_000;
const ETCD_LABEL = "etcd 3 nodes";
const REDIS_LABEL = "redis-server";
/** Systems measured when every peer is installed (for the bar's size). */
const SYSTEM_COUNT = 3;

interface KvSize extends KvSettings {
  summaryClients: number;
}

const QUICK: KvSize = { clientCounts: [1, 16], seconds: 1, keyCount: 1_000, summaryClients: 16 };
const FULL: KvSize = {
  clientCounts: [1, 16, 64, 256],
  seconds: 5,
  keyCount: 1_000,
  summaryClients: 64,
};

function sizeOf(quick: boolean): KvSize {
  return quick ? QUICK : FULL;
}

/** Steps: one per system started, one per level. */
function stepCount(size: KvSize): number {
  return SYSTEM_COUNT * (1 + size.clientCounts.length * KV_OPS.length);
}

/** The started systems; `stop()` ends every process by PID. */
interface Started {
  targets: KvTarget[];
  peerNames: Record<string, string>;
  stop(): Promise<void>;
}

async function startSystems(context: PartContext, skipped: string[]): Promise<Started> {
  let dsync: BenchCluster | null = null;
  let etcd: EtcdCluster | null = null;
  let redis: RedisServer | null = null;
  const stop = async () => {
    await Promise.all([
      dsync === null ? null : stopBenchCluster(dsync),
      etcd === null ? null : stopEtcdCluster(etcd),
      redis === null ? null : stopRedisServer(redis),
    ]);
  };
  const targets: KvTarget[] = [];
  const peerNames: Record<string, string> = {};
  const levelSteps = sizeOf(context.quick).clientCounts.length * KV_OPS.length;
  const skip = (reason: string) => {
    skipped.push(reason);
    context.progress.log(reason);
    context.progress.advance("skipped", 1 + levelSteps);
  };
  try {
    dsync = await startBenchCluster(3, false, [], undefined, context.workDir);
    const port = dsync.basePort; // node 1, whatever it leads
    await waitKvReady(port, KV_READY_TIMEOUT_MS);
    const pids = dsync.nodes.map((node) => node.pid);
    targets.push({
      label: DSYNC_KV_LABEL,
      pids,
      opener: (op) => respKvOpener([port], op, REQUEST_TIMEOUT_MS),
    });
    context.progress.advance("dsync started");
    if (await etcdInstalled()) {
      etcd = await startEtcdCluster(3, context.workDir);
      const url = etcd.members[0]!.clientUrl;
      targets.push({
        label: ETCD_LABEL,
        pids: etcd.members.map((member) => member.pid),
        opener: (op) => etcdKvOpener([url], op, REQUEST_TIMEOUT_MS),
      });
      peerNames[ETCD_LABEL] = `${
        (await etcdVersion()).replace("etcd Version: ", "etcd ")
      }, 3 nodes`;
      context.progress.advance("etcd started");
    } else skip("etcd: no 'etcd' on PATH (apt-get install -y etcd-server)");
    const redisVersion = await redisServerVersion();
    if (redisVersion !== null) {
      redis = await startRedisServer(context.workDir);
      const server = redis;
      targets.push({
        label: REDIS_LABEL,
        pids: [server.pid],
        opener: (op) => respKvOpener([server.port], op, REQUEST_TIMEOUT_MS),
      });
      peerNames[REDIS_LABEL] = `redis-server ${redisVersion}, appendfsync always`;
      context.progress.advance("redis-server started");
    } else skip("redis-server: not on PATH (apt-get install -y redis-server)");
  } catch (error) {
    await stop();
    throw error;
  }
  return { targets, peerNames, stop };
}

async function run(context: PartContext): Promise<SectionResult> {
  const started = performance.now();
  const size = sizeOf(context.quick);
  const skipped: string[] = [];
  const systems = await startSystems(context, skipped);
  let levels;
  try {
    levels = await measureKvLevels(
      systems.targets,
      size,
      skipped,
      (label) => context.progress.advance(label),
    );
  } finally {
    await systems.stop();
  }
  const section = kvSection({
    levels,
    summaryClients: size.summaryClients,
    peerNames: systems.peerNames,
    keyCount: size.keyCount,
    valueBytes: KV_VALUE_BYTES,
    secondsPerLevel: size.seconds,
  });
  return {
    id: "kv",
    title: kvPart.title,
    command: partCommand("kv", context.quick),
    ...section,
    skipped,
    elapsedSeconds: (performance.now() - started) / 1000,
  };
}

/** Key-value SET and GET against etcd and redis-server: throughput and p99 by clients. */
export const kvPart: ReportPart = {
  id: "kv",
  title: "Key-value: dsync beside etcd and redis-server",
  steps: (quick) => stepCount(sizeOf(quick)),
  run,
};
