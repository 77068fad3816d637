/**
 * Pure helpers of the failures timelines: completion times into fixed buckets (operations per
 * second over time), fault events into chart marks, and the outage a fault caused. Times are
 * milliseconds on one monotonic clock (`performance.now()` of the caller); no clock is read here.
 */
import type { ChartMark, Point } from "../../results.ts";

/** Width of one timeline bucket. */
export const TIMELINE_BUCKET_MS = 100;
/** Most buckets one timeline may have (10,000 x 100 ms = 1,000 s). */
export const TIMELINE_BUCKET_COUNT_MAX = 10_000;

/** A moment of a timeline: a fault injected or healed. */
export interface TimelineEvent {
  atMs: number;
  label: string;
}

/**
 * Operations per second in consecutive whole buckets of `bucketMs` from `startMs` until `endMs`;
 * x is the bucket's start in seconds since `startMs`. Completions outside the buckets are ignored.
 */
export function bucketCompletions(
  completionsMs: readonly number[],
  startMs: number,
  endMs: number,
  bucketMs: number = TIMELINE_BUCKET_MS,
): Point[] {
  if (!(bucketMs > 0) || !(endMs >= startMs)) {
    throw new RangeError(`Cannot bucket [${startMs}, ${endMs}) ms into ${bucketMs} ms buckets`);
  }
  const bucketCount = Math.floor((endMs - startMs) / bucketMs);
  if (bucketCount > TIMELINE_BUCKET_COUNT_MAX) {
    throw new RangeError(
      `Cannot bucket: ${bucketCount} buckets exceed ${TIMELINE_BUCKET_COUNT_MAX}`,
    );
  }
  const counts = new Array<number>(bucketCount).fill(0);
  for (const atMs of completionsMs) {
    const index = Math.floor((atMs - startMs) / bucketMs);
    if (index >= 0 && index < bucketCount) counts[index]!++;
  }
  return counts.map((count, i) => ({
    x: roundTo(i * bucketMs / 1000, 3),
    y: count * 1000 / bucketMs,
  }));
}

/** Events inside [startMs, endMs] as chart marks at seconds since `startMs` (0.01 s), in order. */
export function placeMarks(
  events: readonly TimelineEvent[],
  startMs: number,
  endMs: number,
): ChartMark[] {
  return events
    .filter((event) => event.atMs >= startMs && event.atMs <= endMs)
    .sort((a, b) => a.atMs - b.atMs)
    .map((event) => ({ x: roundTo((event.atMs - startMs) / 1000, 2), label: event.label }));
}

/** A stretch of time without a completion. */
export interface Gap {
  startMs: number;
  lengthMs: number;
}

/**
 * The longest stretch of [fromMs, toMs] without a completion (edges count: from `fromMs` to the
 * first completion and from the last one to `toMs`); the earliest of equal ones.
 * `completionsMs` must be sorted ascending.
 */
export function longestGap(completionsMs: readonly number[], fromMs: number, toMs: number): Gap {
  if (!(toMs >= fromMs)) throw new RangeError(`Cannot measure a gap in [${fromMs}, ${toMs}] ms`);
  let previousMs = fromMs;
  let longest: Gap = { startMs: fromMs, lengthMs: 0 };
  const consider = (endMs: number) => {
    if (endMs - previousMs > longest.lengthMs) {
      longest = { startMs: previousMs, lengthMs: endMs - previousMs };
    }
  };
  for (const atMs of completionsMs) {
    if (atMs < previousMs) {
      if (atMs >= fromMs) throw new RangeError("Cannot measure gaps: completions are not sorted");
      continue;
    }
    if (atMs > toMs) break;
    consider(atMs);
    previousMs = atMs;
  }
  consider(toMs);
  return longest;
}

/** Mean of the points' y whose x lies in [fromSeconds, toSeconds); null without such points. */
export function meanRate(
  points: readonly Point[],
  fromSeconds: number,
  toSeconds: number,
): number | null {
  const inside = points.filter((point) => point.x >= fromSeconds && point.x < toSeconds);
  if (inside.length === 0) return null;
  return inside.reduce((sum, point) => sum + point.y, 0) / inside.length;
}

function roundTo(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** The leader of the load's group as seen at one moment (the highest term among the nodes). */
export interface LeaderSample {
  atMs: number;
  /** Null while no node names a leader. */
  leaderId: string | null;
  term: number;
}

/**
 * One event per change of leader in time-ordered samples (`<id> leads <what>`), at the first
 * sample that names the new leader; the first named leader is the starting point, not a change.
 */
export function leaderChanges(samples: readonly LeaderSample[], what: string): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  let current: string | null = null;
  for (const sample of samples) {
    if (sample.leaderId === null || sample.leaderId === current) continue;
    if (current !== null) {
      events.push({ atMs: sample.atMs, label: `${sample.leaderId} leads ${what}` });
    }
    current = sample.leaderId;
  }
  return events;
}
