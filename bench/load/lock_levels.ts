/**
 * The lock measurement of `deno task report --only locks`: warms every started target up, then
 * runs each client count against every target in turn (levels of different systems interleaved
 * so background load hits them alike), with the servers' and this process's CPU per cycle.
 */
import { DsyncLockClient } from "./dsync_lock_client.ts";
import { EtcdLockClient } from "./etcd_lock_client.ts";
import { type LevelOptions, type LevelResult, runLevel } from "./lock_workload.ts";
import type { Openers, Target, TargetRow } from "./lock_targets.ts";
import { ownCpuMs, totalCpuMs } from "./process_cpu.ts";

/** Lock TTL of every dsync grant (ms) and of every etcd client lease (30 s). */
export const LOCK_TTL_MS = 30_000;
/** How long an acquire may wait in the lock's queue. */
export const LOCK_WAIT_MS = 5_000;
/** Timeout of every request beyond its WAIT. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Size of the pool of lock names. */
export const LOCK_NAME_COUNT = 1_000;
/** Errors tolerated per level before it is ended early. */
const LEVEL_ERROR_COUNT_MAX = 1_000;
/** Clients used during the warm-up of each target. */
const WARMUP_CLIENT_COUNT = 16;

/** One measured level with the cluster it ran against. */
export type LockLevel = LevelResult & Omit<TargetRow, "label"> & {
  /** The machine's 1-minute load average when the level ended (2 cores: 2.0 is busy). */
  loadAverage1m: number;
  /** CPU ms all server processes used per completed cycle (null where /proc is missing). */
  serverCpuMsPerCycle: number | null;
  /** CPU ms this load generator used per completed cycle (null where /proc is missing). */
  clientCpuMsPerCycle: number | null;
};

/** Sizes of one lock measurement. */
export interface LockLevelSettings {
  clientCounts: number[];
  /** Seconds per level. */
  seconds: number;
  /** Seconds of warm-up per target (0: none). */
  warmupSeconds: number;
}

/** Opens dsync clients (LOCK.ACQUIRE/RELEASE) or etcd clients (lease + lock API). */
export const LOCK_OPENERS: Openers = {
  dsync: (ports) => (clientIndex) =>
    DsyncLockClient.open(ports[clientIndex % ports.length]!, {
      owner: `owner-${clientIndex}`,
      ttlMs: LOCK_TTL_MS,
      waitMs: LOCK_WAIT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    }),
  etcd: (urls) => (clientIndex) =>
    EtcdLockClient.open(urls[clientIndex % urls.length]!, {
      leaseTtlSeconds: LOCK_TTL_MS / 1000,
      waitMs: LOCK_WAIT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    }),
};

function levelOptions(row: TargetRow, clientCount: number, seconds: number): LevelOptions {
  return {
    target: row.label,
    clientCount,
    seconds,
    nameCount: LOCK_NAME_COUNT,
    errorCountMax: LEVEL_ERROR_COUNT_MAX,
    progress: false,
  };
}

interface CpuSample {
  serverMs: number | null;
  clientMs: number | null;
}

async function cpuNow(serverPids: number[]): Promise<CpuSample> {
  return { serverMs: await totalCpuMs(serverPids), clientMs: ownCpuMs() };
}

/** CPU milliseconds per completed cycle spent by the servers and by this load generator. */
function cpuPerCycle(before: CpuSample, after: CpuSample, cycles: number) {
  const per = (from: number | null, to: number | null) =>
    from === null || to === null || cycles === 0 ? null : (to - from) / cycles;
  return {
    serverCpuMsPerCycle: per(before.serverMs, after.serverMs),
    clientCpuMsPerCycle: per(before.clientMs, after.clientMs),
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Warms every target up, then measures each client count against every target in turn. A level
 * that cannot run is recorded in `failures`; `onStep` is called after every warm-up and level.
 */
export async function measureLockLevels(
  targets: Target[],
  settings: LockLevelSettings,
  failures: string[],
  onStep: (label: string) => void,
): Promise<LockLevel[]> {
  for (const { row, opener } of targets) {
    if (settings.warmupSeconds > 0) {
      try {
        const options = levelOptions(row, WARMUP_CLIENT_COUNT, settings.warmupSeconds);
        await runLevel(await opener(), options);
      } catch (error) {
        failures.push(`${row.label} warm-up: ${message(error)}`);
      }
    }
    onStep(`${row.label} warm-up`);
  }
  const results: LockLevel[] = [];
  for (const clientCount of settings.clientCounts) {
    for (const { row, pids, opener } of targets) {
      try {
        const open = await opener();
        const cpuBefore = await cpuNow(pids);
        const level = await runLevel(open, levelOptions(row, clientCount, settings.seconds));
        const cpu = cpuPerCycle(cpuBefore, await cpuNow(pids), level.cycles);
        const { system, nodeCount, route } = row;
        const loadAverage1m = Deno.loadavg()[0] ?? 0;
        results.push({ ...level, system, nodeCount, route, loadAverage1m, ...cpu });
      } catch (error) {
        failures.push(`${row.label} C=${clientCount}: ${message(error)}`);
      }
      onStep(`${row.label} C=${clientCount}`);
    }
  }
  return results;
}
