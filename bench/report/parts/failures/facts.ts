/**
 * From a recorded timeline to what the report shows: the chart (100 ms buckets, fault marks) and
 * the figures the text and the table quote. Pure.
 */
import type { Chart } from "../../results.ts";
import type { TimelineFacts } from "./text.ts";
import {
  bucketCompletions,
  type Gap,
  longestGap,
  meanRate,
  placeMarks,
  TIMELINE_BUCKET_MS,
  type TimelineEvent,
} from "./timeline.ts";

/** The parts of a recorded timeline these helpers read (times on one monotonic clock, ms). */
export interface RecordedTimeline {
  victim: string;
  /** The groups (`locks`, `SETs`) the victim led at the fault. */
  victimLed: string[];
  startMs: number;
  faultAtMs: number;
  healAtMs: number;
  endMs: number;
  events: TimelineEvent[];
  /** Leader changes of the load's groups (`n2 leads locks`, `n1 leads SETs`). */
  leaderEvents: TimelineEvent[];
  lockCompletionsMs: readonly number[];
  /** Empty when the timeline ran no SET clients. */
  setCompletionsMs: readonly number[];
  setClientCount: number;
  /** False when the fault was not healed inside the timeline. */
  healed: boolean;
}

/** The first second is left out of the baseline: clients connect and the group wakes up then. */
export const BASELINE_SKIP_SECONDS = 1;

/** The throughput-over-time chart of one timeline. */
export function timelineChart(id: string, title: string, run: RecordedTimeline): Chart {
  const series = [{
    name: "lock acquire+release cycles",
    points: bucketCompletions(run.lockCompletionsMs, run.startMs, run.endMs),
  }];
  if (run.setClientCount > 0) {
    series.push({
      name: "key-value SETs",
      points: bucketCompletions(run.setCompletionsMs, run.startMs, run.endMs),
    });
  }
  return {
    id,
    title,
    kind: "line",
    xTitle: "seconds since the load started",
    yTitle: `completed per second (${TIMELINE_BUCKET_MS} ms buckets)`,
    series,
    marks: placeMarks([...run.events, ...run.leaderEvents], run.startMs, run.endMs),
  };
}

/** The figures of one timeline; `fault` names it in words. */
export function timelineFacts(fault: string, run: RecordedTimeline): TimelineFacts {
  const seconds = (atMs: number) => (atMs - run.startMs) / 1000;
  const afterFault = (gap: Gap) => ({
    lengthMs: gap.lengthMs,
    startSeconds: (gap.startMs - run.faultAtMs) / 1000,
  });
  const points = bucketCompletions(run.lockCompletionsMs, run.startMs, run.endMs);
  const baseline = meanRate(points, BASELINE_SKIP_SECONDS, seconds(run.faultAtMs)) ?? 0;
  return {
    fault,
    victim: run.victim,
    victimLed: run.victimLed,
    leaderMoves: run.leaderEvents.filter((event) => event.atMs >= run.faultAtMs).map((event) => ({
      leaderId: event.label.split(" ")[0]!,
      what: event.label.split(" ").slice(2).join(" "),
      afterFaultSeconds: (event.atMs - run.faultAtMs) / 1000,
    })),
    baselineLocksPerSecond: baseline,
    duringLocksPerSecond: meanRate(points, seconds(run.faultAtMs), seconds(run.healAtMs)) ?? 0,
    afterLocksPerSecond: run.healed
      ? meanRate(points, seconds(run.healAtMs), seconds(run.endMs)) ?? 0
      : null,
    lockGap: afterFault(longestGap(run.lockCompletionsMs, run.faultAtMs, run.endMs)),
    setGap: run.setClientCount === 0
      ? null
      : afterFault(longestGap(run.setCompletionsMs, run.faultAtMs, run.endMs)),
  };
}
