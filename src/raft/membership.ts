import { assert } from "../util/assert.ts";
import type { ConfChange, ConfState, NodeId } from "./types.ts";

/** Maximum voters plus learners in one group. */
export const MEMBERS_MAX = 64;

/** Applies one single-server change; returns the new membership or an error message. */
export function applyConfChange(conf: ConfState, change: ConfChange): ConfState | string {
  const id = change.nodeId;
  if (id.length === 0 || id.length > 255) {
    return `Cannot change membership: node id length ${id.length} not in 1..255`;
  }
  const isVoter = conf.voters.includes(id);
  const isLearner = conf.learners.includes(id);
  const voters = conf.voters.filter((v) => v !== id);
  const learners = conf.learners.filter((l) => l !== id);
  switch (change.type) {
    case "addVoter":
      if (isVoter) return `Cannot add voter ${id}: already a voter`;
      voters.push(id);
      break;
    case "addLearner":
      if (isVoter) return `Cannot add learner ${id}: it is a voter (remove it first)`;
      if (isLearner) return `Cannot add learner ${id}: already a learner`;
      learners.push(id);
      break;
    case "removeNode":
      if (!isVoter && !isLearner) return `Cannot remove ${id}: not a member`;
      if (isVoter && voters.length === 0) return `Cannot remove ${id}: it is the last voter`;
      break;
  }
  if (voters.length + learners.length > MEMBERS_MAX) {
    return `Cannot change membership: ${voters.length + learners.length} members exceed ` +
      `maximum of ${MEMBERS_MAX}`;
  }
  return { voters, learners };
}

/** Validates membership read from outside (a snapshot or config entry). */
export function validateConfState(conf: ConfState): void {
  const seen = new Set<NodeId>();
  for (const id of [...conf.voters, ...conf.learners]) {
    if (seen.has(id)) throw new Error(`Invalid membership: ${id} listed twice`);
    seen.add(id);
  }
  if (seen.size > MEMBERS_MAX) {
    throw new Error(`Invalid membership: ${seen.size} members exceed maximum of ${MEMBERS_MAX}`);
  }
}

/**
 * Membership by log position. A config takes effect as soon as it is appended, so the active
 * membership is the latest config entry in the log (reverting when that entry is truncated).
 */
export class ConfHistory {
  #base: ConfState;
  #baseIndex: number;
  #changes: { index: number; conf: ConfState }[] = [];

  /** Starts from the membership recorded in the snapshot at `index`. */
  constructor(index: number, conf: ConfState) {
    this.#baseIndex = index;
    this.#base = conf;
  }

  /** The membership in effect (latest appended). */
  active(): ConfState {
    return this.#changes.at(-1)?.conf ?? this.#base;
  }

  /** Index of the latest config entry (or of the snapshot). */
  activeIndex(): number {
    return this.#changes.at(-1)?.index ?? this.#baseIndex;
  }

  /** The membership in effect at `index`. */
  at(index: number): ConfState {
    let conf = this.#base;
    for (const change of this.#changes) {
      if (change.index > index) break;
      conf = change.conf;
    }
    return conf;
  }

  /** Records a config entry appended at `index`. */
  push(index: number, conf: ConfState): void {
    assert(index > this.activeIndex(), `config at ${index} not after ${this.activeIndex()}`);
    this.#changes.push({ index, conf });
  }

  /** Forgets config entries at or above `index` (they were truncated). */
  truncateFrom(index: number): void {
    while ((this.#changes.at(-1)?.index ?? -1) >= index) this.#changes.pop();
  }

  /** Folds entries up to `index` into the base (after compaction or snapshot install). */
  compactTo(index: number, conf: ConfState): void {
    this.#changes = this.#changes.filter((c) => c.index > index);
    this.#baseIndex = index;
    this.#base = conf;
  }

  /** Resets to a snapshot's membership. */
  reset(index: number, conf: ConfState): void {
    this.#changes = [];
    this.#baseIndex = index;
    this.#base = conf;
  }
}

/** True when `id` is a voter in `conf`. */
export function isVoter(conf: ConfState, id: NodeId): boolean {
  return conf.voters.includes(id);
}

/** All members (voters then learners). */
export function members(conf: ConfState): NodeId[] {
  return [...conf.voters, ...conf.learners];
}
