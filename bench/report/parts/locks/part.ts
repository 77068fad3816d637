/**
 * The locks part of `deno task report`: acquire+release cycles against dsync on 1, 3 and 5 nodes
 * beside etcd on 1 and 3 members, all started here at once and measured level by level.
 */
import { etcdInstalled, etcdVersion } from "../../../load/etcd_cluster.ts";
import {
  LOCK_NAME_COUNT,
  LOCK_OPENERS,
  LOCK_TTL_MS,
  LOCK_WAIT_MS,
  type LockLevelSettings,
  measureLockLevels,
} from "../../../load/lock_levels.ts";
import { type RunningTargets, startTargets, type SystemName } from "../../../load/lock_targets.ts";
import type { PartContext, ReportPart, SectionResult } from "../../results.ts";
import { partCommand } from "../../runner.ts";
import { locksSection } from "./section.ts";

/** Sizes of the locks part: quick for CI, full for the report. */
interface LocksSize extends LockLevelSettings {
  systems: SystemName[];
  summaryClients: number;
}

const QUICK: LocksSize = {
  systems: ["dsync1", "dsync3", "etcd1", "etcd3"],
  clientCounts: [1, 16],
  seconds: 1,
  warmupSeconds: 0,
  summaryClients: 16,
};

const FULL: LocksSize = {
  systems: ["dsync1", "dsync3", "dsync5", "etcd1", "etcd3"],
  clientCounts: [1, 16, 64, 256],
  seconds: 8,
  warmupSeconds: 1,
  summaryClients: 64,
};

function sizeOf(quick: boolean): LocksSize {
  return quick ? QUICK : FULL;
}

/** Steps: one per system started, one per warm-up, one per level. */
function stepCount(size: LocksSize): number {
  return size.systems.length * (2 + size.clientCounts.length);
}

/** Attempts to start one system (a busy machine can miss the start timeout once). */
const START_ATTEMPT_COUNT = 2;

/**
 * Starts each system on its own, so that one that does not start is skipped (with its reason)
 * instead of ending the part; the others are measured.
 */
async function startEach(
  systems: SystemName[],
  context: PartContext,
  skipped: string[],
): Promise<RunningTargets[]> {
  const running: RunningTargets[] = [];
  const levelSteps = 1 + sizeOf(context.quick).clientCounts.length;
  try {
    for (const system of systems) {
      let lastError: unknown = null;
      for (let attempt = 1; attempt <= START_ATTEMPT_COUNT; attempt++) {
        try {
          const onStarted = () => context.progress.advance(`${system} started`);
          running.push(
            await startTargets([system], ["leader"], LOCK_OPENERS, onStarted, context.workDir),
          );
          lastError = null;
          break;
        } catch (error) {
          lastError = error;
          context.progress.log(`${system} did not start (attempt ${attempt}): ${String(error)}`);
        }
      }
      if (lastError !== null) {
        const reason = lastError instanceof Error ? lastError.message : String(lastError);
        skipped.push(`${system}: did not start: ${reason}`);
        context.progress.advance(`${system} skipped`, 1 + levelSteps);
      }
    }
  } catch (error) {
    await Promise.all(running.map((one) => one.stop()));
    throw error;
  }
  return running;
}

async function run(context: PartContext): Promise<SectionResult> {
  const started = performance.now();
  const size = sizeOf(context.quick);
  const skipped: string[] = [];
  let systems = size.systems;
  const haveEtcd = await etcdInstalled();
  if (!haveEtcd) {
    systems = systems.filter((system) => !system.startsWith("etcd"));
    skipped.push("etcd: no 'etcd' on PATH (apt-get install -y etcd-server)");
    context.progress.log(skipped.at(-1)!);
    const missing = size.systems.length - systems.length;
    context.progress.advance("etcd skipped", missing * (2 + size.clientCounts.length));
  }
  const running = await startEach(systems, context, skipped);
  let levels;
  try {
    levels = await measureLockLevels(
      running.flatMap((one) => one.targets),
      size,
      skipped,
      (label) => context.progress.advance(label),
    );
  } finally {
    await Promise.all(running.map((one) => one.stop()));
  }
  const section = locksSection({
    levels,
    summaryClients: size.summaryClients,
    etcdVersion: haveEtcd ? (await etcdVersion()).replace("etcd Version: ", "etcd ") : null,
    lockTtlMs: LOCK_TTL_MS,
    lockWaitMs: LOCK_WAIT_MS,
    nameCount: LOCK_NAME_COUNT,
    secondsPerLevel: size.seconds,
  });
  return {
    id: "locks",
    title: locksPart.title,
    command: partCommand("locks", context.quick),
    ...section,
    skipped,
    elapsedSeconds: (performance.now() - started) / 1000,
  };
}

/** Locks against etcd: throughput and p99 by clients, for 1, 3 and 5 nodes. */
export const locksPart: ReportPart = {
  id: "locks",
  title: "Locks: dsync beside etcd",
  steps: (quick) => stepCount(sizeOf(quick)),
  run,
};
