/**
 * The tables and summary rows of the failures section, from measured figures (pure).
 */
import { DETECTION_CLAIM, ELECTION_CLAIM, RECOVERY_CLAIM } from "../../claims.ts";
import type { SummaryRow, Table } from "../../results.ts";
import { CLAIMED_MS, type Spread, type TimelineFacts, type TrialFacts } from "./text.ts";

function roundMs(value: number): number {
  return Math.round(value);
}

function spreadCells(spread: Spread | undefined): (number | null)[] {
  if (spread === undefined) return [null, null, null];
  return [spread.best, spread.median, spread.worst].map(roundMs);
}

/** The timelines' table (one row per fault) and the trials' table (best/median/worst). */
export function failuresTables(timelines: readonly TimelineFacts[], trials: TrialFacts | null) {
  const tables: Table[] = [];
  if (timelines.length > 0) {
    tables.push({
      title: "Lock cycles through each fault (3 nodes)",
      columns: [
        "fault",
        "cycles/s before",
        "during",
        "after heal",
        "longest gap, locks (ms)",
        "its start after the fault (s)",
        "longest gap, SET (ms)",
      ],
      rows: timelines.map((t) => [
        t.fault,
        Number(t.baselineLocksPerSecond.toFixed(1)),
        Number(t.duringLocksPerSecond.toFixed(1)),
        t.afterLocksPerSecond === null ? null : Number(t.afterLocksPerSecond.toFixed(1)),
        roundMs(t.lockGap.lengthMs),
        Number(t.lockGap.startSeconds.toFixed(1)),
        t.setGap === null ? null : roundMs(t.setGap.lengthMs),
      ]),
    });
  }
  if (trials !== null) {
    const etcdName = trials.etcd?.version ?? "etcd";
    tables.push({
      title: `After kill -9 of the leader, ms (dsync: ${trials.count} trials` +
        (trials.etcd === null ? ")" : `; ${etcdName}: ${trials.etcd.count} trials)`),
      columns: [
        "measure",
        "dsync best",
        "dsync median",
        "dsync worst",
        `${etcdName} best`,
        `${etcdName} median`,
        `${etcdName} worst`,
        "claimed",
      ],
      rows: [
        [
          "detection (leader marked down)",
          ...spreadCells(trials.detection),
          null,
          null,
          null,
          CLAIMED_MS.detection,
        ],
        [
          "election (new leader named)",
          ...spreadCells(trials.election),
          ...spreadCells(trials.etcd?.election),
          CLAIMED_MS.election,
        ],
        [
          "first success (lock granted)",
          ...spreadCells(trials.firstSuccess),
          ...spreadCells(trials.etcd?.firstSuccess),
          CLAIMED_MS.recovery,
        ],
      ],
    });
  }
  return tables;
}

/** Summary rows: detection, election, first success (medians, ms; lower is better). */
export function failuresSummary(trials: TrialFacts | null): SummaryRow[] {
  if (trials === null) return [];
  const row = (
    measure: string,
    dsync: number,
    peer: number | undefined,
    claim: string,
  ): SummaryRow => {
    const peerValue = peer === undefined ? null : roundMs(peer);
    return {
      primitive: "failover",
      measure: `${measure} after kill -9 of the leader, median ms (lower is better)`,
      dsync: roundMs(dsync),
      peer: peerValue === null ? null : trials.etcd!.version,
      peerValue,
      ratio: peerValue === null || dsync <= 0 ? null : peerValue / dsync,
      claim,
    };
  };
  return [
    row("detection", trials.detection.median, undefined, DETECTION_CLAIM),
    row("election", trials.election.median, trials.etcd?.election.median, ELECTION_CLAIM),
    row(
      "first success",
      trials.firstSuccess.median,
      trials.etcd?.firstSuccess.median,
      RECOVERY_CLAIM,
    ),
  ];
}
