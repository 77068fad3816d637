/**
 * Idle measurements of running nodes, shared by `bench:idle` and the report's scale section: each
 * node's Raft group counts (INFO raft) and its CPU over a quiet window, as % of one core.
 */
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import { totalCpuMs } from "./process_cpu.ts";

/** A node's Raft groups: hosted, still ticking (not quiet), and led by it. */
export interface RaftGroupCounts {
  groups: number;
  active: number;
  leading: number;
}

/** Reads `INFO raft` of the node on 127.0.0.1:`port`. */
export async function raftInfo(port: number): Promise<RaftGroupCounts> {
  const connection = await RespConnection.open("127.0.0.1", port);
  try {
    const text = replyText(await connection.call(["INFO", "raft"]));
    const field = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(text)?.[1] ?? NaN);
    return {
      groups: field("raft_groups"),
      active: field("raft_groups_active"),
      leading: field("raft_groups_leading"),
    };
  } finally {
    connection.close();
  }
}

/**
 * User + system CPU of each process in `pids` over the next `windowMs`, as % of one core (from
 * /proc); throws where /proc cannot be read.
 */
export async function cpuPercentsOver(pids: number[], windowMs: number): Promise<number[]> {
  const before = await Promise.all(pids.map((pid) => totalCpuMs([pid])));
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const after = await Promise.all(pids.map((pid) => totalCpuMs([pid])));
  const elapsedMs = performance.now() - t0;
  return pids.map((_, i) => {
    const b = before[i];
    const a = after[i];
    if (b === null || b === undefined || a === null || a === undefined) {
      throw new Error("cannot read /proc/<pid>/stat (Linux only)");
    }
    return (100 * (a - b)) / elapsedMs;
  });
}
