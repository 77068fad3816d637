import { assert } from "../util/assert.ts";
import { ringHash } from "./hash32.ts";
import { RING_MEMBERS_MAX, VNODES_MAX } from "./limits.ts";

/** Weight of the member index in a point's sort key (vnode indexes are below it). */
const MEMBER_WEIGHT = VNODES_MAX;
/** Weight of a point's position in its sort key (member and vnode parts are below it). */
const POSITION_WEIGHT = RING_MEMBERS_MAX * MEMBER_WEIGHT;

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
  /** Position of each point, clockwise (non-decreasing). */
  readonly #positions: Uint32Array;
  /** Index in `members` of each point's member, in the same order as `#positions`. */
  readonly #memberIndexes: Uint8Array;

  /** Builds the ring of `members` (sorted, distinct, 1..64) with `vnodes` (1..1024) points each. */
  constructor(members: readonly string[], vnodes: number) {
    assert(members.length > 0 && members.length <= RING_MEMBERS_MAX, "ring member count");
    assert(vnodes > 0 && vnodes <= VNODES_MAX, "ring points per member");
    this.members = members;
    // Keys position · 2^16 + member · 2^10 + vnode stay below 2^48: exact in a double.
    const keys = new Float64Array(members.length * vnodes);
    members.forEach((memberId, memberIndex) => {
      for (let vnodeIndex = 0; vnodeIndex < vnodes; vnodeIndex++) {
        keys[memberIndex * vnodes + vnodeIndex] = vnodePosition(memberId, vnodeIndex) *
            POSITION_WEIGHT + memberIndex * MEMBER_WEIGHT + vnodeIndex;
      }
    });
    // memberIndex follows the sorted ids, so it breaks position ties by member id.
    keys.sort();
    this.#positions = new Uint32Array(keys.length);
    this.#memberIndexes = new Uint8Array(keys.length);
    keys.forEach((key, pointIndex) => {
      this.#positions[pointIndex] = Math.floor(key / POSITION_WEIGHT);
      this.#memberIndexes[pointIndex] = Math.floor((key % POSITION_WEIGHT) / MEMBER_WEIGHT);
    });
  }

  /** Index of the first point at or clockwise after `position` (wrapping to 0). */
  #firstPointAtOrAfter(position: number): number {
    let low = 0;
    let high = this.#positions.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#positions[middle]! < position) low = middle + 1;
      else high = middle;
    }
    return low === this.#positions.length ? 0 : low;
  }

  /**
   * The first `count` distinct members clockwise from `position` (all members if fewer), as
   * member ids in ring order: the first one is the slot's primary.
   */
  walk(position: number, count: number): string[] {
    const wanted = Math.min(count, this.members.length);
    const taken = new Set<number>();
    const replicas: string[] = [];
    const pointCount = this.#positions.length;
    const start = this.#firstPointAtOrAfter(position);
    for (let step = 0; step < pointCount && replicas.length < wanted; step++) {
      const memberIndex = this.#memberIndexes[(start + step) % pointCount]!;
      if (taken.has(memberIndex)) continue;
      taken.add(memberIndex);
      replicas.push(this.members[memberIndex]!);
    }
    assert(replicas.length === wanted, "every member has a point on the ring");
    return replicas;
  }

  /** The replicas of `slot`: the first `count` distinct members clockwise from its position. */
  replicasOfSlot(slot: number, count: number): string[] {
    return this.walk(slotPosition(slot), count);
  }
}
