/**
 * A pure, seeded nemesis schedule: timed fault start/stop events for a chaos run. Faults run one
 * at a time, each for a bounded time, after a quiet start; all are healed by `durationMs -
 * healTailMs`, leaving a fault-free tail in which recovery is checked. The runner that applies
 * the events (proxies, signals, data directories) lives elsewhere; this file only plans.
 */
import { SeededRandom } from "../../src/raft/mod.ts";

/** A kind of fault the schedule may use. */
export type NemesisKind =
  | "partition-majority"
  | "partition-bridge"
  | "isolate-leader"
  | "kill"
  | "pause"
  | "restart"
  | "wipe-minority"
  | "link-delay"
  | "link-loss-oneway";

/** Every kind, in a fixed order. */
export const NEMESIS_KINDS: readonly NemesisKind[] = [
  "partition-majority",
  "partition-bridge",
  "isolate-leader",
  "kill",
  "pause",
  "restart",
  "wipe-minority",
  "link-delay",
  "link-loss-oneway",
];

/** Fewest nodes each kind makes sense for (a minority must exist, a bridge needs two sides). */
const NODE_COUNT_MIN: Readonly<Record<NemesisKind, number>> = {
  "partition-majority": 2,
  "partition-bridge": 3,
  "isolate-leader": 2,
  "kill": 1,
  "pause": 1,
  "restart": 1,
  "wipe-minority": 3,
  "link-delay": 2,
  "link-loss-oneway": 2,
};

/** Default bound on the faults of one schedule; a longer run is truncated (and says so). */
export const NEMESIS_FAULT_COUNT_MAX = 1000;

/** A directed link `[from, to]` between node ids. */
export type Link = readonly [string, string];

/** What one fault does while active. */
export type Fault =
  /** Nodes in different groups cannot talk; `cutLinks` lists every blocked directed link. */
  | {
    readonly kind: "partition-majority" | "partition-bridge";
    readonly groups: readonly (readonly string[])[];
    readonly cutLinks: readonly Link[];
  }
  /** Whoever leads when the fault starts is cut off from every other node, both ways. */
  | { readonly kind: "isolate-leader" }
  /**
   * kill: SIGKILL, started again at stop. pause: SIGSTOP, SIGCONT at stop. restart: SIGTERM,
   * started again at stop. wipe-minority: killed and data directories erased, started empty.
   */
  | {
    readonly kind: "kill" | "pause" | "restart" | "wipe-minority";
    readonly nodes: readonly string[];
  }
  /** Every byte sent on `links` is lost: one node hears nobody, or nobody hears it. */
  | { readonly kind: "link-loss-oneway"; readonly links: readonly Link[] }
  /** Every chunk on `links` is delayed by delayMs +- jitterMs. */
  | {
    readonly kind: "link-delay";
    readonly links: readonly Link[];
    readonly delayMs: number;
    readonly jitterMs: number;
  };

/** A fault and its active interval [startMs, stopMs). */
export interface ScheduledFault {
  /** Position in the schedule, 0-based. */
  readonly faultIndex: number;
  /** ms from the run's start when the fault begins. */
  readonly startMs: number;
  /** ms when it is healed (> startMs, <= durationMs - healTailMs). */
  readonly stopMs: number;
  /** What it does. */
  readonly fault: Fault;
}

/** One thing for the runner to do at `atMs`. */
export interface NemesisEvent {
  /** ms from the run's start. */
  readonly atMs: number;
  /** Begin or heal the fault. */
  readonly action: "start" | "stop";
  /** Index of the fault in `faults`. */
  readonly faultIndex: number;
  /** The fault. */
  readonly fault: Fault;
}

/** A complete plan. */
export interface NemesisSchedule {
  /** Seed it was made from. */
  readonly seed: number;
  /** Faults in start order; they never overlap. */
  readonly faults: readonly ScheduledFault[];
  /** Start and stop events in time order. */
  readonly events: readonly NemesisEvent[];
  /** ms by which every fault is healed. */
  readonly healedByMs: number;
  /** True when `faultCountMax` stopped planning before the time ran out. */
  readonly truncated: boolean;
}

/** Inputs of `planNemesis`; times in ms. */
export interface NemesisOptions {
  /** Node ids of the cluster (unique). */
  readonly nodeIds: readonly string[];
  /** Length of the run. */
  readonly durationMs: number;
  /** Kinds to draw from (at least one). */
  readonly kinds: readonly NemesisKind[];
  /** Seed of every choice. */
  readonly seed: number;
  /** Fault-free time at the start (default 1000). */
  readonly quietStartMs?: number;
  /** Fault-free time at the end (default 2000). */
  readonly healTailMs?: number;
  /** Shortest fault (default 500). */
  readonly faultMsMin?: number;
  /** Longest fault (default 3000). */
  readonly faultMsMax?: number;
  /** Shortest gap between faults (default 200). */
  readonly gapMsMin?: number;
  /** Longest gap between faults (default 1500). */
  readonly gapMsMax?: number;
  /** Longest link delay (default 200). */
  readonly delayMsMax?: number;
  /** Bound on the number of faults (default NEMESIS_FAULT_COUNT_MAX). */
  readonly faultCountMax?: number;
}

const DEFAULTS = {
  quietStartMs: 1000,
  healTailMs: 2000,
  faultMsMin: 500,
  faultMsMax: 3000,
  gapMsMin: 200,
  gapMsMax: 1500,
  delayMsMax: 200,
  faultCountMax: NEMESIS_FAULT_COUNT_MAX,
};

/** Plans a schedule; the same options always give the same schedule. */
export function planNemesis(options: NemesisOptions): NemesisSchedule {
  const o = { ...DEFAULTS, ...options };
  validate(o);
  const random = new SeededRandom(o.seed);
  const between = (low: number, high: number) => low + random.int(high - low + 1);
  const lastStopMs = o.durationMs - o.healTailMs;
  const faults: ScheduledFault[] = [];
  let atMs = o.quietStartMs;
  while (faults.length < o.faultCountMax && atMs + o.faultMsMin <= lastStopMs) {
    const lengthMs = Math.min(between(o.faultMsMin, o.faultMsMax), lastStopMs - atMs);
    const kind = o.kinds[random.int(o.kinds.length)] as NemesisKind;
    const fault = planFault(kind, o.nodeIds, random, o.delayMsMax);
    faults.push({ faultIndex: faults.length, startMs: atMs, stopMs: atMs + lengthMs, fault });
    atMs += lengthMs + between(o.gapMsMin, o.gapMsMax);
  }
  const events = faults.flatMap((f): NemesisEvent[] => [
    { atMs: f.startMs, action: "start", faultIndex: f.faultIndex, fault: f.fault },
    { atMs: f.stopMs, action: "stop", faultIndex: f.faultIndex, fault: f.fault },
  ]);
  return {
    seed: o.seed,
    faults,
    events,
    healedByMs: faults[faults.length - 1]?.stopMs ?? o.quietStartMs,
    truncated: faults.length === o.faultCountMax && atMs + o.faultMsMin <= lastStopMs,
  };
}

/** The faults active at `atMs` (start inclusive, stop exclusive). */
export function activeFaults(schedule: NemesisSchedule, atMs: number): ScheduledFault[] {
  return schedule.faults.filter((f) => f.startMs <= atMs && atMs < f.stopMs);
}

/** One line for logs and the timeline, e.g. `kill n2` or `partition-majority n1 n2 | n3`. */
export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case "partition-majority":
    case "partition-bridge":
      return `${fault.kind} ${fault.groups.map((g) => g.join(" ")).join(" | ")}`;
    case "isolate-leader":
      return fault.kind;
    case "link-delay":
      return `link-delay ${fault.delayMs}+-${fault.jitterMs} ms on ${fault.links.length} links`;
    case "link-loss-oneway":
      return `link-loss-oneway ${fault.links.map(([from, to]) => `${from}->${to}`).join(" ")}`;
    default:
      return `${fault.kind} ${fault.nodes.join(" ")}`;
  }
}

function planFault(
  kind: NemesisKind,
  nodeIds: readonly string[],
  random: SeededRandom,
  delayMsMax: number,
): Fault {
  const shuffled = shuffle(nodeIds, random);
  const minority = Math.max(1, Math.floor((nodeIds.length - 1) / 2));
  switch (kind) {
    case "partition-majority": {
      const size = 1 + random.int(minority);
      const groups = [shuffled.slice(size), shuffled.slice(0, size)];
      return { kind, groups, cutLinks: linksBetween(groups[0]!, groups[1]!) };
    }
    case "partition-bridge": {
      const [bridge, ...rest] = shuffled;
      const half = Math.floor(rest.length / 2);
      const left = rest.slice(0, half);
      const right = rest.slice(half);
      return {
        kind,
        groups: [left, [bridge as string], right],
        cutLinks: linksBetween(left, right),
      };
    }
    case "isolate-leader":
      return { kind };
    case "kill":
    case "pause":
    case "wipe-minority":
      return { kind, nodes: shuffled.slice(0, 1 + random.int(minority)).sort() };
    case "restart":
      return { kind, nodes: shuffled.slice(0, 1) };
    case "link-loss-oneway": {
      const [node] = shuffled as [string];
      const inbound = random.next() < 0.5;
      const links = nodeIds.filter((id) => id !== node).map((id): Link =>
        inbound ? [id, node] : [node, id]
      );
      return { kind, links };
    }
    case "link-delay": {
      const [node] = shuffled as [string];
      const links = nodeIds.filter((id) => id !== node).flatMap((
        id,
      ): Link[] => [[node, id], [id, node]]);
      const delayMs = 1 + random.int(delayMsMax);
      return { kind, links, delayMs, jitterMs: Math.floor(delayMs / 2) };
    }
  }
}

/** Every directed link from a node of `a` to one of `b`, and back. */
function linksBetween(a: readonly string[], b: readonly string[]): Link[] {
  return a.flatMap((x) => b.flatMap((y): Link[] => [[x, y], [y, x]]));
}

function shuffle(items: readonly string[], random: SeededRandom): string[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [result[i], result[j]] = [result[j] as string, result[i] as string];
  }
  return result;
}

function validate(o: Required<NemesisOptions>): void {
  const fail = (what: string) => {
    throw new RangeError(`Cannot plan nemesis: ${what}`);
  };
  if (o.nodeIds.length === 0 || new Set(o.nodeIds).size !== o.nodeIds.length) {
    fail(`node ids ${JSON.stringify(o.nodeIds)} must be non-empty and unique`);
  }
  if (o.kinds.length === 0) fail("no nemesis kind enabled");
  for (const kind of o.kinds) {
    if (!NEMESIS_KINDS.includes(kind)) fail(`unknown kind ${JSON.stringify(kind)}`);
    const needed = NODE_COUNT_MIN[kind];
    if (o.nodeIds.length < needed) {
      fail(`${kind} needs at least ${needed} nodes, got ${o.nodeIds.length}`);
    }
  }
  const times = [o.durationMs, o.quietStartMs, o.healTailMs, o.gapMsMin, o.gapMsMax, o.delayMsMax];
  if (!times.every((ms) => Number.isSafeInteger(ms) && ms >= 0)) {
    fail("every time must be a non-negative integer of ms");
  }
  if (!(Number.isSafeInteger(o.faultMsMin) && o.faultMsMin >= 1 && o.faultMsMin <= o.faultMsMax)) {
    fail(`fault length ${o.faultMsMin}..${o.faultMsMax} ms is not a range of positive ms`);
  }
  if (o.gapMsMin > o.gapMsMax) fail(`gap ${o.gapMsMin}..${o.gapMsMax} ms is not a range`);
  if (o.delayMsMax < 1) fail("delayMsMax must be at least 1 ms");
  if (!Number.isSafeInteger(o.faultCountMax) || o.faultCountMax < 0) {
    fail(`faultCountMax ${o.faultCountMax} is not a count`);
  }
  if (o.quietStartMs + o.healTailMs > o.durationMs) {
    fail(
      `quiet start ${o.quietStartMs} ms + heal tail ${o.healTailMs} ms exceed ${o.durationMs} ms`,
    );
  }
}
