/**
 * A Ready whose only change is the commit index costs no log write of its own (each write is an
 * fdatasync the next entries would queue behind): the commit index rides with the next write of
 * entries, term or vote, and a restart still applies every committed entry.
 */
import assert from "node:assert/strict";
import type { RaftLogStore } from "../../src/storage/mod.ts";
import { eventually } from "../helpers/node_harness.ts";
import { interceptAppend, openHostTrio, TRIO_IDS } from "./host_trio.ts";

/** Proposals made one after another, each awaited. */
const PROPOSALS = 20;

/** Counts the log writes that carry no entries and no new term or vote (commit index only). */
interface WriteCounts {
  entries: number;
  commitOnly: number;
}

function countingLog(inner: RaftLogStore, counts: WriteCounts): RaftLogStore {
  return interceptAppend(inner, (target, batch) => {
    const before = target.hardState();
    const hard = batch.hardState;
    if ((batch.entries?.length ?? 0) > 0) counts.entries++;
    else if (
      hard !== undefined && hard.term === before.term && hard.votedFor === before.votedFor
    ) counts.commitOnly++;
    return target.append(batch);
  });
}

Deno.test("commits cost no log write of their own; a restart still applies them", async () => {
  const counts = new Map<string, WriteCounts>();
  const trio = await openHostTrio({
    seed: 7,
    electionTicks: 10,
    wal: (id, inner) => {
      const count = { entries: 0, commitOnly: 0 };
      counts.set(id, count);
      return countingLog(inner, count);
    },
  });
  try {
    const [leaderId, leader] = await trio.leader();
    await leader.propose(Uint8Array.of(0));
    for (const count of counts.values()) Object.assign(count, { entries: 0, commitOnly: 0 });

    for (let i = 1; i <= PROPOSALS; i++) await leader.propose(Uint8Array.of(i));
    const lastIndex = leader.status().commitIndex;
    for (const [id, count] of counts) {
      // Every proposal committed and moved every node's commit index: the old host wrote each of
      // those moves on its own (at least PROPOSALS - 1 commit-only writes per node).
      assert.equal(count.commitOnly, 0, `${id} wrote commit-only hard states: ${count.commitOnly}`);
      assert.ok(count.entries >= PROPOSALS, `${id} wrote ${count.entries} entry batches`);
    }
    // The commit index of entry k rode with entry k + 1: a follower's log holds all but the last.
    const followerId = TRIO_IDS.find((id) => id !== leaderId)!;
    await eventually(
      "the follower applied everything",
      () => trio.hosts.get(followerId)!.status().appliedIndex === lastIndex,
      5_000,
      5,
    );
    const stored = trio.logs.get(followerId)!.group(1).hardState().commitIndex;
    assert.ok(stored >= lastIndex - 1, `stored commit ${stored}, last ${lastIndex}`);

    // Every node restarts (the unwritten commit index is lost): the group elects a leader again,
    // which commits in its new term, and every node applies every entry it had committed.
    await trio.restart(70);
    await eventually(
      "every node applied every committed entry again",
      () => [...trio.machines.values()].every((machine) => machine.applied >= PROPOSALS + 1),
      5_000,
      5,
    );
  } finally {
    await trio.close();
  }
});
