/**
 * Slot replicas that lost their state: a member whose recorded data-directory incarnation
 * changed (wiped, removed and added back under the same id) may still be a voter of slot groups
 * that had not removed it when the placement listed it again. Such a voter starts the group
 * empty with no membership, so it holds none of the data and votes in nothing. Its groups' leader
 * resends it the log and removes it, and the placement adds it back as a learner, whose
 * configuration entries make it a member again. docs/slots.md, "Rejoined replicas".
 */

/** Member ids whose incarnation is remembered at most (ids ever seen; oldest dropped first). */
const INCARNATIONS_SEEN_MAX = 1024;

/** One member record as the meta state holds it. */
export interface MemberIncarnation {
  /** Member id. */
  readonly id: string;
  /** Recorded data-directory incarnation ("" until registered). */
  readonly incarnationId: string;
}

/** Remembers each member's recorded incarnation and reports the ones that changed. */
export class IncarnationWatch {
  readonly #seen = new Map<string, string>();

  /** Members whose recorded incarnation differs from the one seen before (none the first time). */
  changed(members: Iterable<MemberIncarnation>): string[] {
    const changed: string[] = [];
    for (const { id, incarnationId } of members) {
      if (incarnationId === "") continue; // added back, not registered yet: wait for it
      const before = this.#seen.get(id);
      if (before === incarnationId) continue;
      if (before !== undefined) changed.push(id);
      this.#seen.delete(id);
      this.#seen.set(id, incarnationId);
      if (this.#seen.size > INCARNATIONS_SEEN_MAX) {
        this.#seen.delete(this.#seen.keys().next().value!);
      }
    }
    return changed;
  }
}

/** Per slot, the voters that lost their state and are to be removed (then added back). */
export class LostReplicas {
  readonly #bySlot = new Map<number, Set<string>>();

  /** Marks `id` in `slot`. */
  mark(slot: number, id: string): void {
    const ids = this.#bySlot.get(slot) ?? new Set<string>();
    ids.add(id);
    this.#bySlot.set(slot, ids);
  }

  /**
   * The marked voter of `slot` to remove now, given the group's voters; marks of members that
   * are no voter any more (removed, or back as learners) are cleared.
   */
  toRemove(slot: number, voters: readonly string[]): string | null {
    const ids = this.#bySlot.get(slot);
    if (ids === undefined) return null;
    for (const id of ids) if (!voters.includes(id)) ids.delete(id);
    if (ids.size === 0) this.#bySlot.delete(slot);
    return ids.values().next().value ?? null;
  }

  /** True while `slot` has a mark (stale ones are cleared by `toRemove`). */
  has(slot: number): boolean {
    return this.#bySlot.has(slot);
  }

  /** True while one of `voters` is marked in `slot`. */
  hasVoter(slot: number, voters: readonly string[]): boolean {
    const ids = this.#bySlot.get(slot);
    return ids !== undefined && voters.some((id) => ids.has(id));
  }

  /** Forgets `slot` (its group was dropped here). */
  forget(slot: number): void {
    this.#bySlot.delete(slot);
  }
}
