import { assert } from "../util/assert.ts";
import type { LockEntry, TableState } from "./table_state.ts";
import type { Waiter } from "./wait_queue.ts";

/** Result of a deadlock search from one owner. */
export type CycleSearch =
  | { kind: "none" }
  | { kind: "cycle"; cycle: string[] }
  | { kind: "budget"; stepsMax: number };

/** Counts search steps against `deadlockSearchStepsMax`. */
class StepBudget {
  #stepCount = 0;
  readonly stepsMax: number;

  constructor(stepsMax: number) {
    this.stepsMax = stepsMax;
  }

  /** Spends one step; false once the budget is exceeded. */
  spend(): boolean {
    this.#stepCount += 1;
    return this.#stepCount <= this.stepsMax;
  }
}

/** Per-search memo: shared waiter -> the nearest exclusive waiter ahead of it (or null). */
type ExclusiveAhead = Map<Waiter, Waiter | null>;

/**
 * Breadth-first search of the wait-for graph from `start`, looking for a path back to it.
 *
 * The true graph: waiter W (owner o) waits for every holder other than o incompatible with W's
 * mode and every waiter ahead of W incompatible with it. The search walks a subset of those
 * edges with the same reachability, so its cost is linear in what it touches:
 * - exclusive W: the shared waiters just ahead of it up to and including the nearest exclusive
 *   waiter X (X itself waits for everything ahead of it and for every holder but X's owner); with
 *   no X, those shared waiters and every holder other than o;
 * - shared W: the nearest exclusive waiter ahead of it; with none, the holder if the lock is held
 *   exclusive.
 * Every edge walked is a true edge, so a cycle found is a real cycle. The cycle returned is a
 * shortest one in that subgraph, starting and ending with `start`.
 */
export function findWaitCycle(state: TableState, start: string): CycleSearch {
  const budget = new StepBudget(state.limits.deadlockSearchStepsMax);
  const exclusiveAhead: ExclusiveAhead = new Map();
  const parents = new Map<string, string>();
  const frontier: string[] = [start];
  const targets: string[] = [];
  // Bounded by the step budget: every owner visited and every edge examined spends a step.
  for (let readIndex = 0; readIndex < frontier.length; readIndex++) {
    const owner = frontier[readIndex]!;
    if (!budget.spend()) return { kind: "budget", stepsMax: budget.stepsMax };
    targets.length = 0;
    if (!collectTargets(state, owner, exclusiveAhead, budget, targets)) {
      return { kind: "budget", stepsMax: budget.stepsMax };
    }
    for (const target of targets) {
      if (target === start) return { kind: "cycle", cycle: tracePath(parents, owner, start) };
      if (parents.has(target)) continue;
      parents.set(target, owner);
      frontier.push(target);
    }
  }
  return { kind: "none" };
}

/** [start, ..., last, start] following `parents` back from `last`. */
function tracePath(parents: Map<string, string>, last: string, start: string): string[] {
  const path = [last];
  for (let owner = last; owner !== start;) {
    owner = parents.get(owner)!;
    assert(owner !== undefined, "deadlock path broken");
    path.push(owner);
  }
  path.reverse().push(start);
  return path;
}

/** Appends the owners `owner` waits for to `out`; false when the budget ran out. */
function collectTargets(
  state: TableState,
  owner: string,
  exclusiveAhead: ExclusiveAhead,
  budget: StepBudget,
  out: string[],
): boolean {
  const waited = state.waitsByOwner.get(owner);
  if (waited === undefined) return true;
  // Sorted so the search order does not depend on the order the waits were parked in.
  const names = waited.size === 1 ? waited : [...waited].sort();
  for (const name of names) {
    const lock = state.locks.get(name);
    const waiter = lock?.queue.get(owner);
    assert(lock !== undefined && waiter !== undefined, `${owner} indexed as waiting for ${name}`);
    const done = waiter.mode === "exclusive"
      ? exclusiveTargets(lock, waiter, budget, out)
      : sharedTargets(lock, waiter, exclusiveAhead, budget, out);
    if (!done) return false;
  }
  return true;
}

function exclusiveTargets(
  lock: LockEntry,
  waiter: Waiter,
  budget: StepBudget,
  out: string[],
): boolean {
  for (let ahead = waiter.prev; ahead !== null; ahead = ahead.prev) {
    if (!budget.spend()) return false;
    out.push(ahead.owner);
    if (ahead.mode === "exclusive") return true;
  }
  return holderTargets(lock, waiter.owner, budget, out);
}

function sharedTargets(
  lock: LockEntry,
  waiter: Waiter,
  exclusiveAhead: ExclusiveAhead,
  budget: StepBudget,
  out: string[],
): boolean {
  const nearest = nearestExclusiveAhead(waiter, exclusiveAhead, budget);
  if (nearest === undefined) return false;
  if (nearest !== null) {
    if (!budget.spend()) return false;
    out.push(nearest.owner);
    return true;
  }
  return lock.mode === "shared" || holderTargets(lock, waiter.owner, budget, out);
}

function holderTargets(lock: LockEntry, self: string, budget: StepBudget, out: string[]): boolean {
  for (const owner of lock.holders.keys()) {
    if (owner === self) continue;
    if (!budget.spend()) return false;
    out.push(owner);
  }
  return true;
}

/** The nearest exclusive waiter ahead of shared `waiter`, memoized; undefined: out of budget. */
function nearestExclusiveAhead(
  waiter: Waiter,
  memo: ExclusiveAhead,
  budget: StepBudget,
): Waiter | null | undefined {
  const known = memo.get(waiter);
  if (known !== undefined) return known;
  const run: Waiter[] = [waiter];
  let found: Waiter | null = null;
  for (let ahead = waiter.prev; ahead !== null; ahead = ahead.prev) {
    const memoized = memo.get(ahead);
    if (memoized !== undefined) {
      found = memoized;
      break;
    }
    if (!budget.spend()) return undefined;
    if (ahead.mode === "exclusive") {
      found = ahead;
      break;
    }
    run.push(ahead);
  }
  for (const shared of run) memo.set(shared, found);
  return found;
}
