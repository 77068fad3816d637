/**
 * The paragraphs of the failures section, written from measured values only (pure: the caller
 * passes every figure in).
 */

/** Best, median and worst of a measure over the trials, in ms. */
export interface Spread {
  best: number;
  median: number;
  worst: number;
}

/** What one timeline measured, ready for the text. */
export interface TimelineFacts {
  /** What happened, in words ("kill -9 of the group's leader, restarted after 5 s"). */
  fault: string;
  victim: string;
  /** The load's groups (`locks`, `SETs`) the victim led at the fault. */
  victimLed: string[];
  /** Leader changes of the load's groups from the fault on, in order (`what`: locks, SETs). */
  leaderMoves: { leaderId: string; what: string; afterFaultSeconds: number }[];
  /** Mean lock cycles/s before the fault (after the first second). */
  baselineLocksPerSecond: number;
  /** Mean lock cycles/s between the fault and its heal. */
  duringLocksPerSecond: number;
  /** Mean lock cycles/s after the heal; null when the timeline ended before a heal. */
  afterLocksPerSecond: number | null;
  /** Longest stretch without a completed lock cycle from the fault to the end. */
  lockGap: GapFacts;
  /** Longest stretch without an acknowledged SET from the fault to the end (null: no SET load). */
  setGap: GapFacts | null;
}

/** A stretch without completions: its length and where it began, in seconds after the fault. */
export interface GapFacts {
  lengthMs: number;
  startSeconds: number;
}

/** What the leader-kill trials measured. */
export interface TrialFacts {
  count: number;
  detection: Spread;
  election: Spread;
  firstSuccess: Spread;
  /** The same trials against etcd, or null when etcd did not run. */
  etcd: { version: string; count: number; election: Spread; firstSuccess: Spread } | null;
}

/** The founding documents' claims, in ms. */
export const CLAIMED_MS = { detection: 3_200, election: 4_100, recovery: 7_300 } as const;

function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

function seconds(valueMs: number): string {
  return `${(valueMs / 1000).toFixed(1)} s`;
}

function trialsWord(count: number): string {
  return count === 1 ? "1 trial" : `${count} trials`;
}

function rate(value: number): string {
  return value.toFixed(value >= 100 ? 0 : 1);
}

function gapText(gap: GapFacts): string {
  const start = gap.startSeconds <= 0.05
    ? "from the fault on"
    : `beginning ${gap.startSeconds.toFixed(1)} s after the fault`;
  return `${ms(gap.lengthMs)}, ${start}`;
}

function movesText(moves: TimelineFacts["leaderMoves"], victim: string): string {
  if (moves.length === 0) return "Neither group's leader changed.";
  const list = moves.map((move) =>
    `${move.what} to ${move.leaderId} at ${move.afterFaultSeconds.toFixed(1)} s`
  );
  const back = moves.length > 1 && moves.at(-1)!.leaderId === victim
    ? `; the last move hands a group back to ${victim} once it caught up (its preferred leader)`
    : "";
  return `Leadership moved: ${list.join(", ")} after the fault${back}.`;
}

/** One paragraph per timeline. */
export function timelineParagraph(facts: TimelineFacts): string {
  const sets = facts.setGap === null
    ? ""
    : ` The longest stretch without an acknowledged SET was ${gapText(facts.setGap)}.`;
  const led = facts.victimLed.length === 0
    ? `${facts.victim} led neither of the load's groups at the fault`
    : `${facts.victim} led the group${facts.victimLed.length > 1 ? "s" : ""} of the ` +
      `${facts.victimLed.join(" and the ")} at the fault`;
  return `**${facts.fault}** (${led}): lock cycles ran at ` +
    `${rate(facts.baselineLocksPerSecond)}/s before, ${rate(facts.duringLocksPerSecond)}/s ` +
    (facts.afterLocksPerSecond === null
      ? "after the fault (not healed in this timeline); the longest "
      : `during the fault and ${rate(facts.afterLocksPerSecond)}/s after the heal; the longest `) +
    `stretch without a completed cycle was ${gapText(facts.lockGap)}.${sets} ` +
    movesText(facts.leaderMoves, facts.victim);
}

/** The paragraph on the leader-kill trials, against the claims and etcd where it ran. */
export function trialsParagraph(facts: TrialFacts): string {
  const { detection, election, firstSuccess } = facts;
  const claims = `The founding documents claimed ${seconds(CLAIMED_MS.detection)} to detect, ` +
    `${seconds(CLAIMED_MS.election)} to elect and ${seconds(CLAIMED_MS.recovery)} to recover.`;
  const dsync =
    `Over ${trialsWord(facts.count)} (kill -9 of the leader of the meta group, which holds the ` +
    `locks; a fresh ` +
    `3-node cluster each), a survivor marked the leader down after ${ms(detection.median)} ` +
    `(median; worst ${ms(detection.worst)}), named a new leader after ${ms(election.median)} ` +
    `(worst ${ms(election.worst)}) and granted the lock after ${ms(firstSuccess.median)} ` +
    `(worst ${ms(firstSuccess.worst)}).`;
  if (facts.etcd === null) return `${dsync} ${claims}`;
  const etcd = facts.etcd;
  return `${dsync} ${etcd.version}, killed the same way (${trialsWord(etcd.count)}), named a new ` +
    `leader after ${ms(etcd.election.median)} (worst ${ms(etcd.election.worst)}) and granted a ` +
    `lock after ${ms(etcd.firstSuccess.median)} (worst ${ms(etcd.firstSuccess.worst)}). ${claims}`;
}
