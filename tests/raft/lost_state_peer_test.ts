import assert from "node:assert/strict";
import type { NodeId } from "../../src/raft/mod.ts";
import type { SimCluster } from "../sim/cluster.ts";
import { cluster, commitEverywhere, waitLeader } from "./helpers.ts";

/**
 * A follower that acknowledged the log is wiped and restarts empty (no membership), still a voter
 * in the leader's membership, while the same leader keeps leading. Returns leader and wiped node,
 * and the index every node held before the wipe.
 */
async function wipeFollower(
  c: SimCluster,
): Promise<{ leader: NodeId; wiped: NodeId; held: number }> {
  const leader = await waitLeader(c);
  const wiped = c.ids.find((id) => id !== leader)!;
  let held = 0;
  for (let i = 0; i < 5; i++) held = await commitEverywhere(c, `before-${i}`, c.ids);
  c.crash(wiped);
  c.wipe(wiped, { voters: [], learners: [] });
  await c.restart(wiped);
  return { leader, wiped, held };
}

/** The leader's progress entry for `peer`. */
function progressOf(c: SimCluster, leader: NodeId, peer: NodeId) {
  const progress = c.node(leader).status().progress.find((pr) => pr.id === peer);
  assert.ok(progress !== undefined, `${leader} has progress for ${peer}`);
  return progress;
}

Deno.test("lost-state peer: told by the wiped node itself, the leader that kept its old match index resends the log and marks it lost", async () => {
  const c = await cluster(3, { seed: 21 });
  const { leader, wiped, held } = await wipeFollower(c);
  await commitEverywhere(c, "after", c.ids.filter((id) => id !== wiped));
  await c.runFor(5_000);
  assert.equal(c.leader(), leader, "the same leader leads throughout");
  // Before, the leader took the empty node's rejections at its old match index for stale ones
  // and never sent it the log again; now the rejections say "no member", so it starts over.
  assert.ok(c.host(wiped).sm.index > held, `wiped node applied ${c.host(wiped).sm.index}`);
  const progress = progressOf(c, leader, wiped);
  assert.equal(progress.lostState, true, "marked lost until it is removed");
  assert.ok(progress.matchIndex >= c.node(leader).status().commitIndex);
  // The founders' membership is no log entry, so the node still knows none and votes in none:
  // only a configuration entry listing it makes it a member again (remove, learner, voter).
  assert.deepEqual(c.node(wiped).status().confState.voters, []);
  for (const change of ["removeNode", "addLearner", "addVoter"] as const) {
    const done = await c.runUntil(
      () => c.act(leader, (raft) => raft.proposeConfChange({ type: change, nodeId: wiped })).ok,
      5_000,
    );
    assert.ok(done, change);
    await commitEverywhere(
      c,
      change,
      c.ids.filter((id) => change !== "removeNode" || id !== wiped),
    );
    if (change === "addLearner") {
      assert.equal(progressOf(c, leader, wiped).lostState, false, "a new progress, no mark");
    }
  }
  assert.deepEqual(c.node(wiped).status().confState.voters.toSorted(), c.ids.toSorted());
  assert.equal(progressOf(c, leader, wiped).lostState, false);
});

Deno.test("lost-state peer: a quiet leader hears the wiped node once the host reports it connected", async () => {
  const c = await cluster(3, { seed: 23, raft: { quiesceAfterTicks: 10 } });
  const leader = await waitLeader(c);
  await commitEverywhere(c, "one", c.ids);
  const quiet = await c.runUntil(() => c.node(leader).quiet, 10_000);
  assert.ok(quiet, "the idle group goes quiet");
  const wiped = c.ids.find((id) => id !== leader)!;
  c.crash(wiped);
  c.wipe(wiped, { voters: [], learners: [] });
  await c.restart(wiped);
  assert.equal(progressOf(c, leader, wiped).lostState, false, "nobody spoke to it yet");
  assert.equal(c.act(leader, (raft) => raft.peerConnected(wiped)), true, "the leader woke");
  assert.equal(progressOf(c, leader, wiped).caughtUp, false, "not caught up until it answers");
  const marked = await c.runUntil(() => progressOf(c, leader, wiped).lostState, 5_000);
  assert.ok(marked, "its heartbeat answer says it is no member");
  // Not for a peer that is no member, nor when the leader is not quiet.
  assert.equal(c.act(leader, (raft) => raft.peerConnected("n9")), false);
  assert.equal(c.act(leader, (raft) => raft.peerConnected(wiped)), false);
});

Deno.test("lost-state peer: a wiped node wakes a quiet leader itself by announcing it is no member", async () => {
  const c = await cluster(3, { seed: 24, raft: { quiesceAfterTicks: 10 } });
  const leader = await waitLeader(c);
  await commitEverywhere(c, "one", c.ids);
  const quiet = await c.runUntil(() => c.node(leader).quiet, 10_000);
  assert.ok(quiet, "the idle group goes quiet");
  await c.runFor(1_000);
  const wiped = c.ids.find((id) => id !== leader)!;
  c.crash(wiped);
  c.wipe(wiped, { voters: [], learners: [] });
  await c.restart(wiped);
  await c.runFor(2_000);
  assert.equal(c.node(leader).quiet, true, "still quiet: nothing told it");
  assert.equal(progressOf(c, leader, wiped).lostState, false);
  assert.equal(c.act(wiped, (raft) => raft.announceNotMember(c.ids)), true);
  const marked = await c.runUntil(() => progressOf(c, leader, wiped).lostState, 5_000);
  assert.ok(marked, "woken, the leader heartbeats it and hears it is no member");
  // A member announces nothing.
  assert.equal(c.act(leader, (raft) => raft.announceNotMember(c.ids)), false);
});

Deno.test("lost-state peer: followers that keep their disks are never marked", async () => {
  const c = await cluster(3, { seed: 22 });
  const leader = await waitLeader(c);
  for (let i = 0; i < 3; i++) await commitEverywhere(c, `one-${i}`, c.ids);
  const follower = c.ids.find((id) => id !== leader)!;
  c.crash(follower);
  await commitEverywhere(c, "while-down", c.ids.filter((id) => id !== follower));
  await c.restart(follower);
  await commitEverywhere(c, "back", c.ids);
  for (const id of c.ids) {
    assert.equal(progressOf(c, leader, id).caughtUp, true, id);
    assert.equal(progressOf(c, leader, id).lostState, false, id);
  }
});
