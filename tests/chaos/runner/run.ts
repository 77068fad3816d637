/**
 * One chaos run: start a proxied cluster, run the lock workload while the nemesis plays its
 * schedule, heal everything, read every lock, judge the history, and write the artifacts
 * (history.json, verdict.txt, timeline.svg, node logs). Every process is stopped in `finally`.
 */
import { type HistoryOperation, HistoryRecorder, pairOperations } from "../history.ts";
import { historyToJson } from "../history_json.ts";
import { type NemesisKind, planNemesis } from "../nemesis.ts";
import { buildTimelineSpec, renderTimelineSvg } from "../timeline.ts";
import { ChaosCluster, delay } from "./harness.ts";
import { NemesisExecutor } from "./nemesis_executor.ts";
import { judgeRun, type RunVerdict } from "./verdict.ts";
import { judgeKvRun, judgeKvWriteBackRun } from "./kv_verdict.ts";
import { type AfterTheFaults, afterTheFaults } from "./kv_write_back.ts";
import { judgeQueueRun } from "./queue_verdict.ts";
import {
  drainQueue,
  QUEUE_DRAIN,
  QUEUE_WORKLOAD_DEFAULTS,
  runQueueWorkload,
} from "./queue_workload.ts";
import { describeKeySlots, kvKeyName, runKvWorkload } from "./kv_workload.ts";
import { type LeaseWorkloadCounts, runLeaseWorkload } from "./lease_workload.ts";
import {
  lockName,
  recordedCall,
  runWorkload,
  WORKLOAD_DEFAULTS,
  type WorkloadOptions,
  type WorkloadSummary,
} from "./workload.ts";

/**
 * `--cache-writeback-ms` of the kv-back run: a tenth of the default, so the faults meet many
 * write-backs in flight (the settle waits outlast it either way).
 */
const KV_BACK_WINDOW_MS = 100;

/** Server-side request timeout given to the nodes, ms. */
export const NODE_REQUEST_TIMEOUT_MS = 2_000;
/** Longest wait for a leader and registered incarnations before the run starts. */
export const CLUSTER_SETTLE_TIMEOUT_MS = 30_000;
/** Longest the workload goes on past the planned end while the nemesis is still healing. */
export const OVERRUN_MS_MAX = 60_000;
/** Workload time after the heal, so recovery can be observed. */
export const AFTER_HEAL_MS = 3_000;
/**
 * Wait before a `kv-back` run's phase after the faults (kv_write_back.ts): a node's request
 * timeout, the cache's lease bound (2,000 + 500 ms by default) and 3 s for an election, so no
 * operation of the fault phase takes effect in it.
 */
export const WRITE_BACK_SETTLE_MS = NODE_REQUEST_TIMEOUT_MS + 2_500 + 3_000;
/** Longest time spent on the final reads. */
export const FINAL_READS_TIMEOUT_MS = 20_000;
/** Longest WAIT a lease-workload node lets a parked wait live after a failover, ms. */
export const LEASE_RUN_WAIT_MAX_MS = 3_000;
/** Most operations drawn on the timeline (unknown and failed ones first, then a sample). */
export const TIMELINE_OPS_MAX = 4_000;

/**
 * `basic`: try-once acquires, leases longer than the run. `lease`: see lease_workload.ts. `kv`:
 * GET/SET/DEL registers, see kv_workload.ts; `kv-back`: the same with write-back caches, checked
 * as kv_write_back.ts says. `queue`: producers and consumers of one queue, see
 * queue_workload.ts.
 */
export type WorkloadKind = "basic" | "lease" | "kv" | "kv-back" | "queue";

/** Options of a run. */
export interface ChaosRunOptions {
  /** The workload (default `lease`). */
  readonly workload?: WorkloadKind;
  /** Length of the faulty part of the run, ms. */
  readonly timeMs: number;
  /** Seed of the schedule and the workload. */
  readonly seed: number;
  /** Nemesis kinds to draw from. */
  readonly kinds: readonly NemesisKind[];
  /** Nodes (default 3). */
  readonly nodeCount?: number;
  /** Clients (default 10). */
  readonly clientCount?: number;
  /** Lock names (default 4). */
  readonly lockCount?: number;
  /** Keys of the kv workload (default 6), or of the queue workload's keyed pushes (default 4). */
  readonly keyCount?: number;
  /** Where to write artifacts; none when undefined. */
  readonly outDir?: string;
  /** Recovery bound after the heal (default 10,000 ms). */
  readonly recoveryMsMax?: number;
  /** Assumed effect window of unknown outcomes (default 10,000 ms; Infinity: none). */
  readonly unknownEffectWindowMs?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
  /** Aborting ends the faults and the workload early; the run still heals, checks and cleans up. */
  readonly signal?: AbortSignal;
}

/** What a run produced. */
export interface ChaosRunResult {
  /** The verdict. */
  readonly verdict: RunVerdict;
  /** Faults applied. */
  readonly faultCount: number;
  /** ms of the heal on the history clock. */
  readonly healMs: number;
  /** What the lease workload exercised; null for the basic workload. */
  readonly leaseCounts: LeaseWorkloadCounts | null;
}

/** Runs one chaos test end to end. */
export async function runChaos(options: ChaosRunOptions): Promise<ChaosRunResult> {
  const log = options.log ?? (() => {});
  const nodeCount = options.nodeCount ?? 3;
  const ids = Array.from({ length: nodeCount }, (_, i) => `n${i + 1}`);
  const schedule = planNemesis({
    nodeIds: ids,
    durationMs: options.timeMs,
    kinds: options.kinds,
    seed: options.seed,
    healTailMs: 3_000,
  });
  log(`seed ${options.seed}: ${schedule.faults.length} faults planned over ${options.timeMs} ms`);
  const workload = options.workload ?? "lease";
  const cluster = await ChaosCluster.start({
    nodeCount,
    seed: options.seed,
    nodeArgs: [
      "--request-timeout-ms",
      String(NODE_REQUEST_TIMEOUT_MS),
      ...(workload === "lease" ? ["--lock-wait-max-ms", String(LEASE_RUN_WAIT_MAX_MS)] : []),
      // The kv registers are read and written through every node's coherent cache (the default;
      // named here so the run keeps checking the cache whatever the default becomes).
      ...(workload === "kv" ? ["--cache", "on"] : []),
      ...(workload === "kv-back"
        ? [
          "--cache",
          "on",
          "--cache-write",
          "back",
          "--cache-writeback-ms",
          String(KV_BACK_WINDOW_MS),
        ]
        : []),
    ],
    log,
  });
  try {
    await settle(cluster);
    if (workload === "queue") await requireQueues(cluster);
    const originMs = performance.now();
    const now = () => performance.now() - originMs;
    const recorder = new HistoryRecorder(now);
    const executor = new NemesisExecutor(cluster, log);
    let healMs: number | null = null;
    const nemesis = (async () => {
      await executor.run(schedule, originMs, () => options.signal?.aborted === true);
      await executor.healAll();
      healMs = now();
      log(`${healMs.toFixed(0).padStart(7)} ms  all faults healed`);
    })();
    const ports = ids.map((id) => cluster.clientPort(id));
    const progress = setInterval(() => log(progressLine(recorder, now())), 10_000);
    const workloadOptions: WorkloadOptions = {
      ports,
      seed: options.seed,
      ttlMs: Math.min(86_400_000, options.timeMs + OVERRUN_MS_MAX + 600_000),
      clientCount: options.clientCount ?? WORKLOAD_DEFAULTS.clientCount,
      lockCount: options.lockCount ?? WORKLOAD_DEFAULTS.lockCount,
    };
    const shouldStop = () => {
      const t = now();
      if (options.signal?.aborted === true) return true;
      if (t > options.timeMs + OVERRUN_MS_MAX) return true;
      return healMs !== null && t >= Math.max(options.timeMs, healMs + AFTER_HEAL_MS);
    };
    let workloadLine = `== workload: ${workload}`;
    let summary: WorkloadSummary;
    let leaseCounts: LeaseWorkloadCounts | null = null;
    try {
      if (workload === "queue") {
        const keyCount = options.keyCount ?? QUEUE_WORKLOAD_DEFAULTS.keyCount;
        workloadLine += ` (queue ${QUEUE_WORKLOAD_DEFAULTS.queue}, keys k0..k${keyCount - 1})`;
        summary = await runQueueWorkload(recorder, { ...workloadOptions, keyCount }, shouldStop);
      } else if (workload === "kv" || workload === "kv-back") {
        const keyCount = options.keyCount ?? 6;
        workloadLine += ` (keys ${describeKeySlots(keyCount)})`;
        summary = await runKvWorkload(recorder, { ...workloadOptions, keyCount }, shouldStop);
      } else if (workload === "lease") {
        const leased = await runLeaseWorkload(recorder, workloadOptions, shouldStop);
        workloadLine += ` (${
          Object.entries(leased.counts).map(([name, count]) => `${name} ${count}`).join(", ")
        })`;
        summary = leased;
        leaseCounts = leased.counts;
      } else {
        summary = await runWorkload(recorder, workloadOptions, shouldStop);
      }
    } finally {
      clearInterval(progress);
    }
    log(workloadLine);
    await nemesis;
    const heal = healMs ?? now();
    if (summary.operationCountCapped) log("workload stopped early: operation bound reached");
    const readProcess = options.clientCount ?? WORKLOAD_DEFAULTS.clientCount;
    let after: AfterTheFaults | null = null;
    const phaseErrors: string[] = [];
    if (workload === "kv-back") {
      const phase = await afterTheFaults(recorder, {
        ports,
        seed: options.seed,
        clientCount: readProcess,
        keyCount: options.keyCount ?? 6,
        settleMs: WRITE_BACK_SETTLE_MS,
      });
      if (typeof phase === "string") phaseErrors.push(phase);
      else after = phase;
      workloadLine += `; ${await writeBackCounts(cluster)}`;
    }
    const finalCommands = workload === "kv"
      ? Array.from({ length: options.keyCount ?? 6 }, (_, i) => ["GET", kvKeyName(i)])
      : Array.from(
        { length: options.lockCount ?? WORKLOAD_DEFAULTS.lockCount },
        (_, i) => ["LOCK.INFO", lockName(i)],
      );
    if (workload === "queue") {
      // The backlog grows with the run (keyed messages go one at a time per key): so does the bound.
      const timeoutMs = Math.max(2 * QUEUE_DRAIN.timeoutMs, options.timeMs);
      await drainQueue(recorder, ports, readProcess, QUEUE_WORKLOAD_DEFAULTS.queue, { timeoutMs });
    } else if (workload !== "kv-back") {
      await finalReads(recorder, ports, readProcess, finalCommands);
    }
    const harnessErrors = [
      ...phaseErrors,
      ...executor.errors,
      ...cluster.unexpectedExits.map((line) => `unexpected exit: ${line}`),
    ];
    const rules = {
      healMs: heal,
      recoveryMsMax: options.recoveryMsMax ?? 10_000,
      unknownEffectWindowMs: options.unknownEffectWindowMs ?? 10_000,
      okCountMin: 10,
      harnessErrors,
    };
    const events = recorder.events();
    const judged = workload === "queue"
      ? judgeQueueRun(events, { ...rules, queue: QUEUE_WORKLOAD_DEFAULTS.queue })
      : workload === "kv-back"
      ? judgeKvWriteBackRun(events, { ...rules, afterTheFaults: after })
      : workload === "kv"
      ? judgeKvRun(events, rules)
      // dsync's lock table has one token counter for all locks
      : judgeRun(events, { ...rules, tokensUniqueAcrossLocks: true });
    const notes = executor.notes;
    const verdict = {
      ...judged,
      text: `${judged.text}${workloadLine}\n` + (notes.length === 0 ? "" : (
        `== repaired during the run (${notes.length})\n` + notes.map((n) => `  ${n}\n`).join("")
      )),
    };
    if (options.outDir !== undefined) {
      await writeArtifacts(options.outDir, recorder, verdict, executor, cluster, options);
    }
    return { verdict, faultCount: executor.applied.length, healMs: heal, leaseCounts };
  } finally {
    await cluster.close();
  }
}

/**
 * The write-back traffic of the nodes' current processes (INFO cache), so a `kv-back` run shows
 * that writes were acknowledged locally and written back (a restarted node counts from zero).
 */
async function writeBackCounts(cluster: ChaosCluster): Promise<string> {
  let localWrites = 0;
  let writeBacks = 0;
  for (const id of cluster.ids) {
    const info = await cluster.admin(id, ["INFO", "cache"]).catch(() => "");
    localWrites += Number(/cache_local_writes:(\d+)/.exec(info)?.[1] ?? 0);
    writeBacks += Number(/cache_write_backs_sent:(\d+)/.exec(info)?.[1] ?? 0);
  }
  return `${localWrites} writes acknowledged locally, ${writeBacks} WriteBacks sent`;
}

/** Waits for a leader and, for the wiped-disk procedure, every incarnation registered. */
async function settle(cluster: ChaosCluster): Promise<void> {
  const deadline = performance.now() + CLUSTER_SETTLE_TIMEOUT_MS;
  const pattern = new RegExp(`registered_members:${cluster.ids.length}\\r?\\n`);
  while (performance.now() < deadline) {
    const leader = await cluster.findLeader();
    if (leader !== null) {
      const info = await cluster.admin(leader, ["INFO", "cluster"]).catch(() => "");
      if (pattern.test(info)) return;
    }
    await delay(100);
  }
  throw new Error(
    `Cannot start run: the cluster did not settle in ${CLUSTER_SETTLE_TIMEOUT_MS} ms`,
  );
}

/** Refuses to start a queue run against a build that answers QUEUE.* with unknown command. */
async function requireQueues(cluster: ChaosCluster): Promise<void> {
  const leader = await cluster.findLeader();
  if (leader === null) return; // settle() saw one; the workload will find it again
  const reply = await cluster.admin(leader, ["QUEUE.LEN", QUEUE_WORKLOAD_DEFAULTS.queue])
    .catch(() => "");
  if (/^-ERR unknown command/i.test(reply)) {
    throw new Error(`Cannot start run: queues not served by this build (QUEUE.LEN: ${reply})`);
  }
}

/** Sends each read once after the heal (retrying other nodes), as process `process`. */
async function finalReads(
  recorder: HistoryRecorder,
  ports: readonly number[],
  process: number,
  commands: readonly string[][],
): Promise<void> {
  const deadline = performance.now() + FINAL_READS_TIMEOUT_MS;
  for (const [name, ...args] of commands) {
    for (let attempt = 0; performance.now() < deadline; attempt++) {
      const port = ports[attempt % ports.length]!;
      if (await recordedCall(recorder, process, port, name!, args)) break;
      await delay(100);
    }
  }
}

function progressLine(recorder: HistoryRecorder, nowMs: number): string {
  const events = recorder.events();
  let ok = 0;
  let unknown = 0;
  for (const event of events) {
    if (event.type === "ok") ok++;
    else if (event.type === "info") unknown++;
  }
  return `${nowMs.toFixed(0).padStart(7)} ms  progress: ${events.length} events, ${ok} ok, ` +
    `${unknown} unknown`;
}

async function writeArtifacts(
  outDir: string,
  recorder: HistoryRecorder,
  verdict: RunVerdict,
  executor: NemesisExecutor,
  cluster: ChaosCluster,
  options: ChaosRunOptions,
): Promise<void> {
  await Deno.mkdir(`${outDir}/nodes`, { recursive: true });
  await Deno.writeTextFile(`${outDir}/history.json`, historyToJson(recorder.events()));
  await Deno.writeTextFile(`${outDir}/verdict.txt`, verdict.text);
  const faultLines = executor.applied.map((f) =>
    `${f.startMs.toFixed(0)}..${f.stopMs.toFixed(0)} ms  ${f.label}`
  );
  await Deno.writeTextFile(`${outDir}/faults.txt`, faultLines.join("\n") + "\n");
  for (const id of cluster.ids) {
    await Deno.writeTextFile(`${outDir}/nodes/${id}.log`, cluster.logLines(id).join("\n") + "\n");
  }
  const ops = pairOperations(recorder.events());
  const shown = sampleForTimeline(ops, TIMELINE_OPS_MAX);
  const spec = buildTimelineSpec(shown, executor.applied, {
    title: `dsync chaos seed ${options.seed} (${options.kinds.join(",")}): ${verdict.status}, ` +
      `${shown.length} of ${ops.length} operations shown`,
    widthPx: 1400,
  });
  await Deno.writeTextFile(`${outDir}/timeline.svg`, await renderTimelineSvg(spec));
}

/** Every unknown and failed operation (up to the bound), then evenly spaced ok ones. */
export function sampleForTimeline(
  ops: readonly HistoryOperation[],
  opsMax: number,
): HistoryOperation[] {
  if (ops.length <= opsMax) return [...ops];
  const notOk = ops.filter((op) => op.outcome !== "ok").slice(0, Math.floor(opsMax / 2));
  const ok = ops.filter((op) => op.outcome === "ok");
  const room = opsMax - notOk.length;
  const step = ok.length / room;
  const sampled = Array.from(
    { length: Math.min(room, ok.length) },
    (_, i) => ok[Math.floor(i * step)]!,
  );
  return [...notOk, ...sampled].sort((a, b) => a.opIndex - b.opIndex);
}
