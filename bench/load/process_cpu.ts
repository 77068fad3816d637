/**
 * CPU time of processes from Linux's `/proc/<pid>/stat`, for load tools that want to say where a
 * level's CPU went (servers vs the load generator). Deno reads /proc only with --allow-all, so the
 * files are read by `cat` (--allow-run); elsewhere the figures are null.
 */
import process from "node:process";

/** Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100 on every Linux port). */
const USER_HZ = 100;
/** Fields after the command name: utime and stime are stat fields 14 and 15 (1-based). */
const UTIME_FIELD_INDEX = 11;
/** Processes read in one `cat` call at most. */
const PID_COUNT_MAX = 64;

/** User + system CPU ms of one `/proc/<pid>/stat` line, or null when it does not parse. */
export function parseStatCpuMs(line: string): number | null {
  // The command name (field 2) is in parentheses and may contain spaces: split after it.
  const close = line.lastIndexOf(")");
  if (close < 0) return null;
  const fields = line.slice(close + 2).split(" ");
  const userTicks = Number(fields[UTIME_FIELD_INDEX]);
  const systemTicks = Number(fields[UTIME_FIELD_INDEX + 1]);
  if (!Number.isFinite(userTicks) || !Number.isFinite(systemTicks)) return null;
  return ((userTicks + systemTicks) * 1000) / USER_HZ;
}

/** Summed user + system CPU ms used so far by `pids`, or null if any cannot be read. */
export async function totalCpuMs(pids: number[]): Promise<number | null> {
  if (pids.length === 0 || pids.length > PID_COUNT_MAX) return null;
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("cat", {
      args: pids.map((pid) => `/proc/${pid}/stat`),
      stdout: "piped",
      stderr: "null",
    }).output();
  } catch {
    return null; // no cat, or not allowed to run it
  }
  if (!output.success) return null;
  const lines = new TextDecoder().decode(output.stdout).split("\n").filter((line) => line !== "");
  if (lines.length !== pids.length) return null;
  let total = 0;
  for (const line of lines) {
    const cpuMs = parseStatCpuMs(line);
    if (cpuMs === null) return null;
    total += cpuMs;
  }
  return total;
}

/** User + system CPU ms used so far by this process. */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}
