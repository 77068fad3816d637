/**
 * Seeded Raft simulator CLI.
 *
 *   deno task sim --seeds 1000 --seed-start 1     run seeds 1..1000
 *   deno task sim --seed 411 --trace 400          reproduce one seed with a longer trace
 *   deno task sim --seed 411 --groups 1           force the groups per node (default: drawn)
 *   deno task sim --workload locks --seeds 500    the lock table over Raft (lock_workload.ts)
 *
 * Exits 1 and prints the failing seed and its last events on the first failure.
 * @module
 */
import { runLockSeed } from "./lock_workload.ts";
import { DEFAULT_SEED_OPTIONS, runSeed, type SeedOptions, type SeedResult } from "./random_run.ts";

/** Workloads the CLI can run: text proposals (Raft only) or the lock table over Raft. */
export const SIM_WORKLOADS = ["text", "locks"] as const;
/** One of SIM_WORKLOADS. */
export type SimWorkloadName = typeof SIM_WORKLOADS[number];

/** Parsed command line. */
export interface SimArgs {
  /** Number of seeds to run. */
  seedCount: number;
  /** First seed. */
  seedStart: number;
  /** Trace lines printed on failure. */
  traceLines: number;
  /** Virtual fault-phase duration per seed. */
  faultPhaseMs: number;
  /** What the simulated clients do. */
  workload: SimWorkloadName;
  /** Raft groups per node, or null to draw per seed. */
  groupsPerNode: number | null;
}

const USAGE = "Usage: deno task sim [--seeds N] [--seed-start S] [--seed S] [--trace K] " +
  "[--fault-ms MS] [--groups G] [--workload text|locks]";

/** Parses `--name value` pairs; throws an Error with usage on bad input. */
export function parseSimArgs(args: string[]): SimArgs {
  const out: SimArgs = {
    seedCount: 100,
    seedStart: 1,
    traceLines: 60,
    faultPhaseMs: DEFAULT_SEED_OPTIONS.faultPhaseMs,
    workload: "text",
    groupsPerNode: null,
  };
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]!;
    const raw = args[i + 1];
    if (name === "--workload") {
      const workload = SIM_WORKLOADS.find((w) => w === raw);
      if (workload === undefined) throw new Error(`Invalid value ${raw} for ${name}\n${USAGE}`);
      out.workload = workload;
      continue;
    }
    const value = Number(raw);
    if (raw === undefined || !Number.isSafeInteger(value) || value < 0) {
      throw new Error(`Invalid value ${raw} for ${name}\n${USAGE}`);
    }
    switch (name) {
      case "--seeds":
        out.seedCount = value;
        break;
      case "--seed-start":
        out.seedStart = value;
        break;
      case "--seed":
        out.seedStart = value;
        out.seedCount = 1;
        break;
      case "--trace":
        out.traceLines = value;
        break;
      case "--fault-ms":
        out.faultPhaseMs = value;
        break;
      case "--groups":
        if (value < 1) throw new Error(`Invalid value ${raw} for ${name}\n${USAGE}`);
        out.groupsPerNode = value;
        break;
      default:
        throw new Error(`Unknown option ${name}\n${USAGE}`);
    }
  }
  if (out.workload !== "text" && (out.groupsPerNode ?? 1) > 1) {
    throw new Error(`--groups above 1 needs the text workload\n${USAGE}`);
  }
  return out;
}

function report(result: SeedResult, args: SimArgs): void {
  const traceLines = args.traceLines;
  console.error(`\nFAILED seed ${result.seed}, ${result.mode} schedule (${result.shape})`);
  console.error(result.error);
  console.error(`\nLast ${traceLines} events (virtual time ${result.virtualMs.toFixed(1)}ms):`);
  for (const line of result.trace.slice(-traceLines)) console.error(line);
  let workload = args.workload === "text" ? "" : ` --workload ${args.workload}`;
  if (args.groupsPerNode !== null) workload += ` --groups ${args.groupsPerNode}`;
  console.error(
    `\nReproduce: deno task sim${workload} --seed ${result.seed} --trace ${traceLines}`,
  );
}

async function main(): Promise<number> {
  let args: SimArgs;
  try {
    args = parseSimArgs(Deno.args);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const options: SeedOptions = { ...DEFAULT_SEED_OPTIONS, faultPhaseMs: args.faultPhaseMs };
  if (args.groupsPerNode !== null) options.groupsPerNode = args.groupsPerNode;
  const run = args.workload === "locks" ? runLockSeed : runSeed;
  const started = performance.now();
  let lastPrint = started;
  let events = 0;
  let multiGroup = 0;
  for (let i = 0; i < args.seedCount; i++) {
    const result = await run(args.seedStart + i, options);
    events += result.eventCount;
    if (result.groups > 1) multiGroup++;
    if (result.error !== null) {
      report(result, args);
      return 1;
    }
    const now = performance.now();
    if (now - lastPrint > 1000 || i === args.seedCount - 1) {
      lastPrint = now;
      const rate = (i + 1) / ((now - started) / 1000);
      console.log(
        `seeds ${i + 1}/${args.seedCount} ok (${multiGroup} with several groups per node), ` +
          `${rate.toFixed(1)} seeds/s, ${events} events`,
      );
    }
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
