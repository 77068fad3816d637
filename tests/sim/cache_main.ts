/**
 * The cache simulation as a command (cache_workload.ts): seeds of the random fault schedules with
 * the production cache on every node, checked after every event and per key at the end.
 *
 *   deno task sim:cache --seeds 500 --seed-start 1     run seeds 1..500
 *   deno task sim:cache --seed 37                      reproduce one seed (prints its last events)
 *   deno task sim:cache --seeds 500 --write back       the same with write-back caches
 *
 * Prints the totals of what the seeds exercised; exits 1 at the first failing seed.
 * @module
 */
import type { CacheWriteMode } from "../../src/cache/mod.ts";
import { runCacheSeed } from "./cache_workload.ts";

/** Trace lines printed for a failing seed. */
const TRACE_LINES = 60;

/**
 * Parses `--seeds N --seed-start S` or `--seed S`, and `--write through|back`; throws with the
 * usage on bad input.
 */
export function parseCacheSimArgs(
  args: string[],
): { seedCount: number; seedStart: number; writeMode: CacheWriteMode } {
  const usage =
    "Usage: deno task sim:cache [--seeds N] [--seed-start S] [--seed S] [--write through|back]";
  const out = { seedCount: 100, seedStart: 1, writeMode: "through" as CacheWriteMode };
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]!;
    if (name === "--write") {
      const mode = args[i + 1];
      if (mode !== "through" && mode !== "back") {
        throw new Error(`Invalid value ${mode} for --write: expected through or back\n${usage}`);
      }
      out.writeMode = mode;
      continue;
    }
    const value = Number(args[i + 1]);
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new Error(`Invalid value ${args[i + 1]} for ${name}\n${usage}`);
    }
    if (name === "--seeds") out.seedCount = value;
    else if (name === "--seed-start") out.seedStart = value;
    else if (name === "--seed") Object.assign(out, { seedStart: value, seedCount: 1 });
    else throw new Error(`Unknown option ${name}\n${usage}`);
  }
  return out;
}

if (import.meta.main) {
  const { seedCount, seedStart, writeMode } = parseCacheSimArgs(Deno.args);
  const totals: Record<string, number> = {};
  const started = performance.now();
  for (let seed = seedStart; seed < seedStart + seedCount; seed++) {
    const { result, workload } = await runCacheSeed(seed, writeMode);
    if (result.error !== null) {
      console.log(`seed ${seed} FAILED (${result.shape}):\n${result.error}`);
      console.log(result.trace.slice(-TRACE_LINES).join("\n"));
      Deno.exit(1);
    }
    for (const [name, value] of Object.entries(workload.stats)) {
      totals[name] = (totals[name] ?? 0) + value;
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `${seedCount} seeds (write-${writeMode}) passed in ${seconds} s: ${JSON.stringify(totals)}`,
  );
}
