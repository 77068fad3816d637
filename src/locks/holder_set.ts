import { assertionFailed } from "../util/assert.ts";

/** One grant of a lock. */
export interface Holder {
  readonly owner: string;
  /** Fencing token; replaced by a new one on upgrade. */
  token: number;
  /** Lease length in ms. */
  ttlMs: number;
  /** Log index of the op that started or last renewed the lease (see HolderInfo). */
  leaseIndex: number;
}

/**
 * The holders of one lock by owner, in grant order. Most locks have one holder (every exclusive
 * lock does), so a lone holder is kept in a field and a Map is made only for a second shared
 * holder (and dropped again when one is left): a held lock costs no Map.
 */
export class HolderSet {
  #single: Holder | null = null;
  #many: Map<string, Holder> | null = null;

  /** Number of holders. */
  get size(): number {
    if (this.#many !== null) return this.#many.size;
    return this.#single === null ? 0 : 1;
  }

  /** The grant of `owner`, if it holds the lock. */
  get(owner: string): Holder | undefined {
    if (this.#many !== null) return this.#many.get(owner);
    return this.#single !== null && this.#single.owner === owner ? this.#single : undefined;
  }

  /** Whether `owner` holds the lock. */
  has(owner: string): boolean {
    return this.get(owner) !== undefined;
  }

  /** Adds the grant of an owner that does not hold the lock yet (it becomes the last). */
  add(holder: Holder): void {
    if (this.has(holder.owner)) assertionFailed(`owner ${holder.owner} already holds the lock`);
    if (this.#many !== null) {
      this.#many.set(holder.owner, holder);
    } else if (this.#single === null) {
      this.#single = holder;
    } else {
      this.#many = new Map([[this.#single.owner, this.#single], [holder.owner, holder]]);
      this.#single = null;
    }
  }

  /** Removes the grant of `owner`; false when it did not hold the lock. */
  delete(owner: string): boolean {
    if (this.#many === null) {
      if (this.#single === null || this.#single.owner !== owner) return false;
      this.#single = null;
      return true;
    }
    if (!this.#many.delete(owner)) return false;
    if (this.#many.size === 1) {
      this.#single = this.#many.values().next().value!;
      this.#many = null;
    }
    return true;
  }

  /** The grants in grant order. */
  *values(): IterableIterator<Holder> {
    if (this.#many !== null) yield* this.#many.values();
    else if (this.#single !== null) yield this.#single;
  }

  /** Calls `visit` for each grant in grant order (no iterator object: hot loops over all locks). */
  forEach(visit: (holder: Holder) => void): void {
    if (this.#many !== null) this.#many.forEach(visit);
    else if (this.#single !== null) visit(this.#single);
  }

  /** The owners in grant order. */
  *keys(): IterableIterator<string> {
    for (const holder of this.values()) yield holder.owner;
  }
}
