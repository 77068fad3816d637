/**
 * The scale section of `deno task report`: idle CPU and RSS against the Raft groups a node hosts,
 * memory per held lock, queued message and cached line, server CPU per operation beside etcd and
 * redis-server, and what bounds the figures (cores, CPU per op and fsync latency, all measured
 * here). Measures only: every process it starts is stopped by PID before it returns.
 */
import type { PartContext, ReportPart, SectionResult } from "../../results.ts";
import { partCommand } from "../../runner.ts";
import { type BoundInputs, computeBounds } from "./bounds.ts";
import { measureCosts } from "./cost.ts";
import type { CostRow, IdleRow, MemoryRow, PeerMemoryRow } from "./figures.ts";
import { measureFsync } from "./fsync_probe.ts";
import { measureIdle } from "./idle.ts";
import { ITEM_BYTES, measureMemory, redisBytesPerKey } from "./memory.ts";
import { costChart, idleCharts, memoryChart, scaleSummary, scaleTables } from "./section.ts";
import { type ScaleSizes, scaleSizes, scaleStepCount } from "./sizes.ts";
import { startSystems } from "./systems.ts";
import { boundsText, costText, idleText, memoryText } from "./text.ts";
import {
  redisServerVersion,
  startRedisServer,
  stopRedisServer,
} from "../../../load/redis_server.ts";

/** Durable commits a lock cycle waits for one after the other: the acquire, then the release. */
const FSYNCS_PER_LOCK_CYCLE = 2;
const MEMORY_STEP_COUNT = 3;
const COST_STEP_COUNT = 9;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function idleRows(context: PartContext, sizes: ScaleSizes, skipped: string[]) {
  const rows: IdleRow[] = [];
  for (const slots of sizes.slotCounts) {
    try {
      rows.push(await measureIdle(slots, sizes.idleWindowMs, context.workDir));
    } catch (error) {
      skipped.push(`idle cost at ${slots} slots failed: ${message(error)}`);
    }
    context.progress.advance(`idle: ${slots} slots`);
  }
  return rows;
}

async function memoryRows(context: PartContext, sizes: ScaleSizes, skipped: string[]) {
  let rows: MemoryRow[] = [];
  let done = 0;
  try {
    rows = await measureMemory(sizes.memory, context.workDir, (label) => {
      done++;
      context.progress.advance(label);
    });
  } catch (error) {
    skipped.push(`memory per item failed: ${message(error)}`);
    context.progress.advance("memory: failed", MEMORY_STEP_COUNT - done);
  }
  const peers: PeerMemoryRow[] = [];
  const version = await redisServerVersion();
  if (version === null) skipped.push("redis-server is not installed: no redis bytes per key");
  else {
    try {
      peers.push(await redisMemory(context.workDir, version, sizes.redisKeyCount));
    } catch (error) {
      skipped.push(`redis-server bytes per key failed: ${message(error)}`);
    }
  }
  skipped.push("NATS JetStream: memory per message not measured in this section");
  context.progress.advance("memory: redis-server");
  return { rows, peers };
}

async function redisMemory(
  workDir: string,
  version: string,
  keyCount: number,
): Promise<PeerMemoryRow> {
  const dir = await Deno.makeTempDir({ dir: workDir, prefix: "redis-memory-" });
  const server = await startRedisServer(dir);
  try {
    return {
      peer: `redis-server ${version}`,
      item: `key with a ${ITEM_BYTES} B value`,
      count: keyCount,
      bytesPerItem: await redisBytesPerKey(server.port, keyCount),
    };
  } finally {
    await stopRedisServer(server);
  }
}

async function costRows(context: PartContext, sizes: ScaleSizes, skipped: string[]) {
  const running = await startSystems(context.workDir, skipped);
  context.progress.advance("cost: systems started");
  let done = 0;
  try {
    const rows = await measureCosts(running.systems, sizes.cost, (label) => {
      done++;
      context.progress.advance(label);
    });
    return { rows, etcdName: running.etcdName };
  } finally {
    await running.stop();
    if (done < COST_STEP_COUNT) context.progress.advance("cost: done", COST_STEP_COUNT - done);
  }
}

function boundInputs(lock: CostRow, fsyncP50Ms: number): BoundInputs {
  return {
    cores: navigator.hardwareConcurrency,
    serverCpuMsPerOp: lock.cpuMsPerOp ?? 0,
    clientCpuMsPerOp: lock.operations > 0 ? lock.clientCpuMs / lock.operations : 0,
    fsyncP50Ms,
    fsyncsPerOp: FSYNCS_PER_LOCK_CYCLE,
    clientCount: lock.clientCount,
    measuredOpsPerSecond: lock.opsPerSecond,
  };
}

/** The scale part: `deno task report --only scale`. */
export const scalePart: ReportPart = {
  id: "scale",
  title: "Scale: idle cost, memory per item, CPU per operation",
  steps: (quick) => scaleStepCount(scaleSizes(quick)),
  async run(context: PartContext): Promise<SectionResult> {
    const t0 = performance.now();
    const sizes = scaleSizes(context.quick);
    const skipped: string[] = [];
    const fsync = await measureFsync(context.workDir, sizes.fsyncCount);
    context.progress.advance("fsync probe");
    const idle = await idleRows(context, sizes, skipped);
    const memory = await memoryRows(context, sizes, skipped);
    let costs: CostRow[] = [];
    let etcdName: string | null = null;
    try {
      ({ rows: costs, etcdName } = await costRows(context, sizes, skipped));
    } catch (error) {
      skipped.push(`CPU per operation failed: ${message(error)}`);
    }
    const text = [idleText(idle), memoryText(memory.rows, memory.peers), costText(costs)];
    const lock = costs.find((row) => row.system === "dsync-3" && row.op === "lock cycle");
    if (lock !== undefined && lock.cpuMsPerOp !== null && lock.operations > 0) {
      const input = boundInputs(lock, fsync.p50Ms);
      const paragraph = boundsText(input, computeBounds(input), fsync, lock.loadAverage1m);
      text.push(`**What bounds these figures.** ${paragraph}`);
    } else skipped.push("what bounds these figures: no dsync lock cycle was measured");
    return {
      id: "scale",
      title: scalePart.title,
      command: partCommand("scale", context.quick),
      text,
      charts: [...idleCharts(idle), memoryChart(memory.rows, memory.peers), costChart(costs)],
      tables: scaleTables(idle, memory.rows, memory.peers, costs),
      summary: scaleSummary(costs, memory.rows, memory.peers, etcdName),
      skipped,
      elapsedSeconds: (performance.now() - t0) / 1000,
    };
  },
};
