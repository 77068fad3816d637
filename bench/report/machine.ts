/**
 * The machine facts of the report, measured at start: cores, memory, OS, Deno, and the fdatasync
 * latency of the disk the report (and every part's data directories) is written to.
 */
import type { Machine } from "./results.ts";

/** Writes timed when measuring fsync latency. */
export const FSYNC_SAMPLE_COUNT = 200;
/** Bytes of each timed write (one page-sized log append). */
const FSYNC_WRITE_BYTES = 4096;

/** The value at `fraction` (0..1) of `sortedValues` (nearest rank); 0 for an empty list. */
export function percentileOf(sortedValues: number[], fraction: number): number {
  if (sortedValues.length === 0) return 0;
  const rank = Math.ceil(fraction * sortedValues.length);
  const index = Math.min(sortedValues.length - 1, Math.max(0, rank - 1));
  return sortedValues[index]!;
}

/**
 * Appends `FSYNC_SAMPLE_COUNT` writes of 4 KiB to a scratch file in `dir`, each followed by
 * fdatasync, and returns the p50 and p99 of write+sync in milliseconds. Removes the file.
 */
export async function measureFsync(dir: string): Promise<{ p50Ms: number; p99Ms: number }> {
  const path = `${dir}/.fsync-probe`;
  const page = new Uint8Array(FSYNC_WRITE_BYTES).fill(0x61);
  const file = await Deno.open(path, { create: true, write: true, truncate: true });
  const samplesMs: number[] = [];
  try {
    for (let i = 0; i < FSYNC_SAMPLE_COUNT; i++) {
      const started = performance.now();
      for (let offset = 0; offset < page.length;) {
        offset += await file.write(page.subarray(offset));
      }
      await file.syncData();
      samplesMs.push(performance.now() - started);
    }
  } finally {
    file.close();
    await Deno.remove(path).catch(() => {});
  }
  samplesMs.sort((a, b) => a - b);
  return { p50Ms: percentileOf(samplesMs, 0.5), p99Ms: percentileOf(samplesMs, 0.99) };
}

/** The 1-minute load average now, labelled `at` ("start", "after locks"). */
export function loadSample(at: string): { at: string; load1m: number } {
  return { at, load1m: Deno.loadavg()[0] ?? 0 };
}

/** Every machine fact, with the fsync latency of `dir`'s disk and the load average now. */
export async function measureMachine(dir: string): Promise<Machine> {
  const fsync = await measureFsync(dir);
  return {
    cores: navigator.hardwareConcurrency,
    memoryBytes: Deno.systemMemoryInfo().total,
    os: `${Deno.build.os} ${Deno.osRelease()} ${Deno.build.arch}`,
    denoVersion: Deno.version.deno,
    fsyncP50Ms: fsync.p50Ms,
    fsyncP99Ms: fsync.p99Ms,
    loadAverages: [loadSample("start")],
  };
}
