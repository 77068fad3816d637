import { assert } from "../util/assert.ts";
import { ringHash } from "./hash32.ts";

/** One virtual node: a member's position on the ring. */
interface RingPoint {
  /** Position on the ring, an unsigned 32-bit integer. */
  position: number;
  /** Index of the owning member in the ring's sorted member list. */
  memberIndex: number;
  /** Which of the member's virtual nodes this is, 0 ≤ vnodeIndex < vnodes. */
  vnodeIndex: number;
}

/** Ring position of a member's virtual node: hash of `${memberId}#${vnodeIndex}`. */
export function vnodePosition(memberId: string, vnodeIndex: number): number {
  return ringHash(`${memberId}#${vnodeIndex}`);
}

/** Ring position of a slot: hash of `slot#${slot}`. */
export function slotPosition(slot: number): number {
  return ringHash(`slot#${slot}`);
}

/**
 * A consistent-hash ring: `vnodes` points per member, sorted by position (ties by member id,
 * then vnode index, so the order never depends on the order the members were given in).
 * `members` must be sorted and distinct (the caller validates).
 */
export class HashRing {
  /** Member ids, sorted ascending, distinct. */
  readonly members: readonly string[];
  /** Every virtual node, sorted clockwise. */
  readonly #points: RingPoint[];

  /** Builds the ring of `members` (sorted, distinct, non-empty) with `vnodes` points each. */
  constructor(members: readonly string[], vnodes: number) {
    assert(members.length > 0, "a ring needs a member");
    assert(vnodes > 0, "a ring needs a point per member");
    this.members = members;
    const points: RingPoint[] = [];
    members.forEach((memberId, memberIndex) => {
      for (let vnodeIndex = 0; vnodeIndex < vnodes; vnodeIndex++) {
        points.push({ position: vnodePosition(memberId, vnodeIndex), memberIndex, vnodeIndex });
      }
    });
    // memberIndex follows the sorted ids, so it breaks position ties by member id.
    points.sort((a, b) =>
      a.position - b.position || a.memberIndex - b.memberIndex || a.vnodeIndex - b.vnodeIndex
    );
    this.#points = points;
  }

  /** Index of the first point at or clockwise after `position` (wrapping to 0). */
  #firstPointAtOrAfter(position: number): number {
    let low = 0;
    let high = this.#points.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#points[middle]!.position < position) low = middle + 1;
      else high = middle;
    }
    return low === this.#points.length ? 0 : low;
  }

  /**
   * The first `count` distinct members clockwise from `position` (all members if fewer), as
   * member ids in ring order: the first one is the slot's primary.
   */
  walk(position: number, count: number): string[] {
    const wanted = Math.min(count, this.members.length);
    const taken = new Set<number>();
    const replicas: string[] = [];
    const start = this.#firstPointAtOrAfter(position);
    for (let step = 0; step < this.#points.length && replicas.length < wanted; step++) {
      const point = this.#points[(start + step) % this.#points.length]!;
      if (taken.has(point.memberIndex)) continue;
      taken.add(point.memberIndex);
      replicas.push(this.members[point.memberIndex]!);
    }
    assert(replicas.length === wanted, "every member has a point on the ring");
    return replicas;
  }

  /** The replicas of `slot`: the first `count` distinct members clockwise from its position. */
  replicasOfSlot(slot: number, count: number): string[] {
    return this.walk(slotPosition(slot), count);
  }
}
