/**
 * The key-value levels: for each client count, SET then GET against every system in turn (dsync,
 * etcd, redis-server back to back), with the servers' CPU per operation.
 */
import type { KvOp } from "../../../load/kv_op_clients.ts";
import { type LevelResult, type OpenClient, runLevel } from "../../../load/lock_workload.ts";
import { totalCpuMs } from "../../../load/process_cpu.ts";

/** A started key-value system and how to open its clients for one operation. */
export interface KvTarget {
  /** "dsync 3 nodes", "etcd 3 nodes", "redis-server". */
  label: string;
  /** Process ids of its servers (for CPU accounting). */
  pids: number[];
  opener(op: KvOp): OpenClient;
}

/** One measured key-value level. */
export type KvLevel = LevelResult & {
  system: string;
  op: KvOp;
  /** CPU ms all server processes used per completed operation (null where /proc is missing). */
  serverCpuMsPerOp: number | null;
  /** The machine's 1-minute load average when the level ended. */
  loadAverage1m: number;
};

/** Sizes of one key-value measurement. */
export interface KvSettings {
  clientCounts: number[];
  seconds: number;
  /** Keys are drawn uniformly from `key-0` .. `key-(keyCount - 1)`. */
  keyCount: number;
}

/** Errors tolerated per level before it is ended early. */
const LEVEL_ERROR_COUNT_MAX = 1_000;
/** The order of operations at every client count: SET first, so GET finds most keys. */
export const KV_OPS: readonly KvOp[] = ["set", "get"];

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Measures every level; a level that cannot run goes to `failures`, `onStep` follows each. */
export async function measureKvLevels(
  targets: KvTarget[],
  settings: KvSettings,
  failures: string[],
  onStep: (label: string) => void,
): Promise<KvLevel[]> {
  const levels: KvLevel[] = [];
  for (const clientCount of settings.clientCounts) {
    for (const op of KV_OPS) {
      for (const target of targets) {
        const label = `${target.label} ${op.toUpperCase()} C=${clientCount}`;
        try {
          const cpuBefore = await totalCpuMs(target.pids);
          const level = await runLevel(target.opener(op), {
            target: target.label,
            clientCount,
            seconds: settings.seconds,
            nameCount: settings.keyCount,
            namePrefix: "key-",
            errorCountMax: LEVEL_ERROR_COUNT_MAX,
            progress: false,
          });
          const cpuAfter = await totalCpuMs(target.pids);
          const serverCpuMsPerOp = cpuBefore === null || cpuAfter === null || level.cycles === 0
            ? null
            : (cpuAfter - cpuBefore) / level.cycles;
          const loadAverage1m = Deno.loadavg()[0] ?? 0;
          levels.push({ ...level, system: target.label, op, serverCpuMsPerOp, loadAverage1m });
          if (level.firstError !== null) failures.push(`${label}: ${level.firstError}`);
        } catch (error) {
          failures.push(`${label}: ${message(error)}`);
        }
        onStep(label);
      }
    }
  }
  return levels;
}
