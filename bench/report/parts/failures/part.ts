/**
 * The failures section of `deno task report`: throughput timelines of a 3-node cluster through a
 * leader kill and rejoin, a leader pause and a minority partition (faults marked), then
 * detection, election and first-success times over several leader-kill trials, beside etcd.
 */
import { ChaosCluster } from "../../../../tests/chaos/runner/harness.ts";
import { etcdInstalled, etcdVersion } from "../../../load/etcd_cluster.ts";
import { type EtcdFailoverTrial, etcdFailoverTrial } from "../../../load/etcd_failover_trial.ts";
import { type LockFailoverTrial, lockFailoverTrial } from "../../../load/lock_failover_trial.ts";
import { summary } from "../../../load/trials.ts";
import type { PartContext, ReportPart, SectionResult } from "../../results.ts";
import { partCommand } from "../../runner.ts";
import { timelineChart, timelineFacts } from "./facts.ts";
import { failuresSummary, failuresTables } from "./tables.ts";
import { timelineParagraph, type TrialFacts, trialsParagraph } from "./text.ts";
import { runTimeline, type TimelinePlan } from "./timeline_run.ts";

/** One timeline the section runs, with its words. */
interface TimelineSpec {
  plan: TimelinePlan;
  title: string;
  fault: string;
}

const FULL_CLIENTS = { lockClientCount: 16, setClientCount: 8 };
const QUICK_CLIENTS = { lockClientCount: 4, setClientCount: 2 };
/** Trials per system (dsync, etcd). */
const FULL_TRIAL_COUNT = 5;
const QUICK_TRIAL_COUNT = 1;

function timelineSpecs(quick: boolean): TimelineSpec[] {
  if (quick) {
    return [{
      plan: {
        kind: "kill",
        beforeMs: 2_000,
        faultMs: 3_000,
        heal: false,
        afterMs: 0,
        ...QUICK_CLIENTS,
      },
      title: "Leader kill -9 (quick: no restart)",
      fault: "kill -9 of the leader",
    }];
  }
  return [{
    plan: {
      kind: "kill",
      beforeMs: 4_000,
      faultMs: 5_000,
      heal: true,
      afterMs: 5_000,
      ...FULL_CLIENTS,
    },
    title: "Leader kill -9, then restart (rejoin)",
    fault: "kill -9 of the leader, restarted 5 s later",
  }, {
    plan: {
      kind: "pause",
      beforeMs: 4_000,
      faultMs: 3_000,
      heal: true,
      afterMs: 4_000,
      ...FULL_CLIENTS,
    },
    title: "Leader paused (SIGSTOP) for 3 s",
    fault: "SIGSTOP of the leader, SIGCONT 3 s later",
  }, {
    plan: {
      kind: "partition",
      beforeMs: 4_000,
      faultMs: 5_000,
      heal: true,
      afterMs: 4_000,
      ...FULL_CLIENTS,
    },
    title: "Leader cut off from both peers (minority partition) for 5 s",
    fault: "the leader cut off from both peers, healed 5 s later",
  }];
}

/** The failures part: timelines through faults, then leader-kill trials beside etcd. */
export const failuresPart: ReportPart = {
  id: "failures",
  title: "Failures: throughput through faults, failover times",
  steps: (quick) => 1 + timelineSpecs(quick).length + 2 * trialCount(quick),
  run: runFailures,
};

function trialCount(quick: boolean): number {
  return quick ? QUICK_TRIAL_COUNT : FULL_TRIAL_COUNT;
}

async function runFailures(context: PartContext): Promise<SectionResult> {
  const startedMs = performance.now();
  const skipped: string[] = [];
  const section: SectionResult = {
    id: failuresPart.id,
    title: failuresPart.title,
    command: partCommand("failures", context.quick),
    text: [],
    charts: [],
    tables: [],
    summary: [],
    skipped,
    elapsedSeconds: 0,
  };
  const timelines = await runTimelines(context, section);
  const dsync = await runTrials(context, "dsync", (i) => lockFailoverTrial(i));
  const etcd = await runEtcdTrials(context);
  skipped.push(...dsync.failures, ...etcd.failures);
  const facts = trialFacts(dsync.trials, etcd.version, etcd.trials);
  section.text.push(...timelines.map(timelineParagraph));
  if (facts !== null) section.text.push(trialsParagraph(facts));
  section.tables.push(...failuresTables(timelines, facts));
  section.summary.push(...failuresSummary(facts));
  section.elapsedSeconds = (performance.now() - startedMs) / 1000;
  return section;
}

async function runTimelines(context: PartContext, section: SectionResult) {
  const specs = timelineSpecs(context.quick);
  const facts = [];
  let cluster: ChaosCluster;
  try {
    cluster = await ChaosCluster.start({ nodeCount: 3, nodeArgs: ["--log-level", "warn"] });
  } catch (error) {
    section.skipped.push(`timelines: the 3-node cluster did not start: ${message(error)}`);
    context.progress.advance("timelines skipped", 1 + specs.length);
    return [];
  }
  try {
    context.progress.advance("3-node cluster started");
    for (const [index, spec] of specs.entries()) {
      try {
        const run = await runTimeline(cluster, spec.plan, index < specs.length - 1);
        const recorded = {
          ...run,
          lockCompletionsMs: run.load.lockCompletionsMs,
          setCompletionsMs: run.load.setCompletionsMs,
          setClientCount: spec.plan.setClientCount,
          healed: spec.plan.heal,
        };
        section.charts.push(timelineChart(`failures-${spec.plan.kind}`, spec.title, recorded));
        facts.push(timelineFacts(spec.fault, recorded));
      } catch (error) {
        section.skipped.push(`timeline "${spec.title}" failed: ${message(error)}`);
      }
      context.progress.advance(`timeline: ${spec.plan.kind}`);
    }
  } finally {
    await cluster.close();
  }
  return facts;
}

async function runTrials<T>(
  context: PartContext,
  system: string,
  trial: (index: number) => Promise<T>,
): Promise<{ trials: T[]; failures: string[] }> {
  const trials: T[] = [];
  const failures: string[] = [];
  const count = trialCount(context.quick);
  for (let i = 0; i < count; i++) {
    try {
      trials.push(await trial(i));
    } catch (error) {
      failures.push(`${system} leader-kill trial ${i + 1} failed: ${message(error)}`);
      context.progress.log(failures.at(-1)!);
    }
    context.progress.advance(`${system} trial ${i + 1}/${count}`);
  }
  return { trials, failures };
}

async function runEtcdTrials(context: PartContext) {
  if (!(await etcdInstalled())) {
    context.progress.advance("etcd not installed", trialCount(context.quick));
    const reason = "etcd is not installed: the leader-kill trials ran without a peer";
    return { version: null, trials: [] as EtcdFailoverTrial[], failures: [reason] };
  }
  const version = (await etcdVersion()).replace(/^etcd Version:\s*/, "etcd ");
  return { version, ...(await runTrials(context, "etcd", etcdFailoverTrial)) };
}

function trialFacts(
  dsync: LockFailoverTrial[],
  etcdVersionText: string | null,
  etcd: EtcdFailoverTrial[],
): TrialFacts | null {
  if (dsync.length === 0) return null;
  return {
    count: dsync.length,
    detection: summary(dsync.map((t) => t.detectedMs)),
    election: summary(dsync.map((t) => t.electedMs)),
    firstSuccess: summary(dsync.map((t) => t.grantedMs)),
    etcd: etcdVersionText === null || etcd.length === 0 ? null : {
      version: etcdVersionText,
      count: etcd.length,
      election: summary(etcd.map((t) => t.electedMs)),
      firstSuccess: summary(etcd.map((t) => t.grantedMs)),
    },
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
