/**
 * A committed entry that is durable on the leader is applied, and its proposal answered, while the
 * leader's sync of entries proposed after it still runs: a reply does not wait for the next
 * batch's fsync.
 */
import assert from "node:assert/strict";
import type { RaftLogStore } from "../../src/storage/mod.ts";
import { eventually } from "../helpers/node_harness.ts";
import { interceptAppend, openHostTrio } from "./host_trio.ts";

/** A log whose appends holding an entry at an index in `held` wait until it is released. */
function holdingLog(inner: RaftLogStore) {
  const held = new Map<number, () => void>();
  const gates = new Map<number, Promise<void>>();
  const hold = (index: number) => {
    const { promise, resolve } = Promise.withResolvers<void>();
    gates.set(index, promise);
    held.set(index, resolve);
  };
  const release = (index: number) => held.get(index)?.();
  const wal = interceptAppend(inner, async (target, batch) => {
    await target.append(batch);
    for (const entry of batch.entries ?? []) await gates.get(entry.index);
  });
  return { wal, hold, release };
}

Deno.test("a durable committed entry is answered while the next entries still sync", async () => {
  const gates = new Map<string, ReturnType<typeof holdingLog>>();
  const trio = await openHostTrio({
    seed: 11,
    electionTicks: 50,
    wal: (id, inner) => {
      const gate = holdingLog(inner);
      gates.set(id, gate);
      return gate.wal;
    },
  });
  try {
    const [leaderId, leader] = await trio.leader();
    await leader.propose(Uint8Array.of(0));
    const gate = gates.get(leaderId)!;
    const a = leader.status().lastIndex + 1;
    // The leader's write of A waits; both followers store A, so A commits without the leader.
    gate.hold(a);
    gate.hold(a + 1);
    let answeredA = false;
    const proposalA = leader.propose(Uint8Array.of(1)).then(() => answeredA = true);
    proposalA.catch(() => {}); // awaited below; a failed assertion closes the hosts first
    await eventually(
      "A committed by the followers",
      () => leader.status().commitIndex >= a,
      5_000,
      5,
    );
    // B is proposed while A's write waits, then A's write ends: the next Ready writes B (held)
    // and carries A as committed.
    let answeredB = false;
    const proposalB = leader.propose(Uint8Array.of(2)).then(() => answeredB = true);
    proposalB.catch(() => {});
    gate.release(a);
    await eventually("A answered while B's write is held", () => answeredA, 5_000, 5);
    assert.equal(answeredB, false, "B cannot be answered before the leader's write of B ends");
    gate.release(a + 1);
    await Promise.all([proposalA, proposalB]);
    assert.ok(answeredB);
  } finally {
    await trio.close();
  }
});
