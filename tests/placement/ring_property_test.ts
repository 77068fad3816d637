import assert from "node:assert/strict";
import fc from "fast-check";
import {
  computePlacement,
  decodePlacement,
  encodePlacement,
  type Placement,
  placementBalance,
  placementMovement,
  placementsEqual,
  slotPosition,
  vnodePosition,
} from "../../src/placement/mod.ts";
import { MEMBER_COUNTS, memberIdsArbitrary, permute } from "./arbitraries.ts";

/** The defaults: 64 slots, 64 virtual nodes per member. */
const SLOT_COUNT = 64;
const VNODES = 64;

/**
 * Stated balance bound (docs/slots.md): the busiest member replicates at most this many times
 * the mean number of slots, for 3-9 members, 64 slots, 64 vnodes. Measured worst case over
 * 3,000 random id sets per member count: 1.75 (R=3), 2.11 (R=2), 2.81 (R=1).
 */
const REPLICA_MAX_OVER_MEAN: Readonly<Record<number, number>> = { 1: 3.4, 2: 2.4, 3: 1.95 };

const RUNS_PER_COUNT = 25;

function config(replicas: number) {
  return { slotCount: SLOT_COUNT, vnodes: VNODES, replicas };
}

/** The ring rule by brute force: all points sorted, walked from the slot's position. */
function replicasByBruteForce(members: readonly string[], slot: number, count: number): string[] {
  const sorted = [...members].sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
  const points = sorted.flatMap((id, rank) =>
    Array.from(
      { length: VNODES },
      (_, vnode) => ({ position: vnodePosition(id, vnode), rank, vnode, id }),
    )
  ).sort((a, b) => a.position - b.position || a.rank - b.rank || a.vnode - b.vnode);
  const start = points.findIndex((point) => point.position >= slotPosition(slot));
  const ordered = start < 0 ? points : [...points.slice(start), ...points.slice(0, start)];
  const replicas: string[] = [];
  for (const point of ordered) {
    if (replicas.length === count) break;
    if (!replicas.includes(point.id)) replicas.push(point.id);
  }
  return replicas;
}

Deno.test("placement: replicas are the first distinct members clockwise, leader among them", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 9 }).chain((count) => memberIdsArbitrary(count)),
      fc.integer({ min: 1, max: 5 }),
      (members, replicas) => {
        const placement = computePlacement(members, config(replicas));
        const count = Math.min(replicas, members.length);
        assert.equal(placement.slots.length, SLOT_COUNT);
        placement.slots.forEach((slot, index) => {
          assert.deepEqual(slot.replicas, replicasByBruteForce(members, index, count));
          assert.ok(slot.replicas.includes(slot.leader));
        });
      },
    ),
    { numRuns: 30 },
  );
});

Deno.test("placement: deterministic from the member set (any order) and the stored placement", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 9 }).chain((count) => memberIdsArbitrary(count)),
      fc.array(fc.integer(), { minLength: 9, maxLength: 9 }),
      fc.integer({ min: 1, max: 3 }),
      (members, keys, replicas) => {
        const placement = computePlacement(members, config(replicas));
        const shuffled = computePlacement(permute(members, keys), config(replicas));
        assert.ok(placementsEqual(placement, shuffled));
        assert.deepEqual(placement.members, [...members].sort());
        // The next placement depends on the previous one only through its replicated bytes.
        const stored = decodePlacement(encodePlacement(placement));
        const grown = [...members, "joiner"].filter((id, i, all) => all.indexOf(id) === i);
        assert.ok(placementsEqual(
          computePlacement(grown, config(replicas), stored),
          computePlacement(permute(grown, keys), config(replicas), placement),
        ));
        // Given itself as the previous placement, nothing changes (no leader churn).
        assert.ok(
          placementsEqual(computePlacement(members, config(replicas), placement), placement),
        );
      },
    ),
    { numRuns: 40 },
  );
});

for (const replicas of [1, 2, 3]) {
  Deno.test(`placement: balance within the stated bound for 3-9 members, ${replicas} replicas`, () => {
    for (const memberCount of MEMBER_COUNTS) {
      fc.assert(
        fc.property(memberIdsArbitrary(memberCount), (members) => {
          const balance = placementBalance(computePlacement(members, config(replicas)));
          assert.ok(
            balance.replicaMaxOverMean <= REPLICA_MAX_OVER_MEAN[replicas]!,
            `${memberCount} members: max/mean ${balance.replicaMaxOverMean.toFixed(3)}`,
          );
        }),
        { numRuns: RUNS_PER_COUNT },
      );
    }
  });
}

/** Checks that `to` differs from `from` only by `joined` taking at most one place per slot. */
function assertOnlyJoinerMoves(from: Placement, to: Placement, joined: string): number {
  let gained = 0;
  to.slots.forEach((slot, index) => {
    const before = from.slots[index]!.replicas;
    const added = slot.replicas.filter((id) => !before.includes(id));
    const dropped = before.filter((id) => !slot.replicas.includes(id));
    assert.ok(added.every((id) => id === joined), `slot ${index} gained ${added}`);
    assert.ok(dropped.length <= added.length, `slot ${index} dropped ${dropped}`);
    gained += added.length;
  });
  return gained;
}

for (const replicas of [1, 2, 3]) {
  Deno.test(`placement: a join or a leave moves only the changed member's share, ${replicas} replicas`, () => {
    for (const memberCount of MEMBER_COUNTS) {
      let joinFractionSum = 0;
      let leaveFractionSum = 0;
      let runs = 0;
      fc.assert(
        fc.property(memberIdsArbitrary(memberCount + 1), (ids) => {
          const members = ids.slice(0, memberCount);
          const joiner = ids[memberCount]!;
          const before = computePlacement(members, config(replicas));
          const joined = computePlacement(ids, config(replicas), before);
          const gained = assertOnlyJoinerMoves(before, joined, joiner);
          const join = placementMovement(before, joined);
          assert.equal(join.replicasMoved, gained);
          // The joiner's share is bounded by the balance bound over memberCount + 1 members.
          assert.ok(
            join.replicasMovedFraction <= REPLICA_MAX_OVER_MEAN[replicas]! / (memberCount + 1),
          );
          // Leaving is the reverse: only the leaver's places are refilled.
          const left = computePlacement(members, config(replicas), joined);
          assertOnlyJoinerMoves(left, joined, joiner);
          const leave = placementMovement(joined, left);
          assert.ok(
            leave.replicasMovedFraction <= REPLICA_MAX_OVER_MEAN[replicas]! / (memberCount + 1),
          );
          joinFractionSum += join.replicasMovedFraction;
          leaveFractionSum += leave.replicasMovedFraction;
          runs++;
        }),
        { numRuns: RUNS_PER_COUNT },
      );
      // On average a join moves ≈ 1/(N+1) of the replica assignments (checked loosely: ±35%).
      const joinMean = joinFractionSum / runs;
      const ideal = 1 / (memberCount + 1);
      assert.ok(Math.abs(joinMean - ideal) < 0.35 * ideal, `${memberCount}: join ${joinMean}`);
      if (memberCount + 1 > replicas) {
        const leaveMean = leaveFractionSum / runs;
        assert.ok(Math.abs(leaveMean - ideal) < 0.35 * ideal, `${memberCount}: leave ${leaveMean}`);
      }
    }
  });
}
