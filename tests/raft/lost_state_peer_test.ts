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

Deno.test("lost-state peer: without being told, the leader keeps the old match index and never resends the log", async () => {
  const c = await cluster(3, { seed: 21 });
  const { leader, wiped, held } = await wipeFollower(c);
  await commitEverywhere(c, "after", c.ids.filter((id) => id !== wiped));
  await c.runFor(5_000);
  assert.equal(c.leader(), leader, "the same leader leads throughout");
  // The wiped node rejects every append at the old match index as "log too short", and the
  // leader takes those rejections for stale ones: the node stays empty and outside the group.
  assert.ok(c.host(wiped).sm.index < held, `wiped node applied ${c.host(wiped).sm.index}`);
  assert.deepEqual(c.node(wiped).status().confState.voters, []);
  const progress = progressOf(c, leader, wiped);
  assert.ok(progress.matchIndex >= held, "the leader still counts what the old disk held");
  assert.equal(progress.caughtUp, true, "and reports the empty node as caught up");
});

Deno.test("lost-state peer: peerLostState makes the leader resend the log and report the peer lagging until it has it", async () => {
  const c = await cluster(3, { seed: 21 });
  const { leader, wiped, held } = await wipeFollower(c);
  await c.runFor(1_000);
  const lastIndex = c.node(leader).status().lastIndex;
  c.act(leader, (raft) => raft.peerLostState(wiped));
  const right = progressOf(c, leader, wiped);
  assert.equal(right.matchIndex, 0);
  assert.equal(right.caughtUp, false, "lagging until it holds the leader's log");
  const caughtUp = await c.runUntil(() => progressOf(c, leader, wiped).caughtUp, 5_000);
  assert.ok(caughtUp, "the wiped node catches up");
  assert.equal(c.leader(), leader);
  assert.ok(progressOf(c, leader, wiped).matchIndex >= lastIndex);
  await commitEverywhere(c, "after", c.ids);
  assert.ok(c.host(wiped).sm.index > held, "the wiped node applies the whole log again");
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
  }
  assert.deepEqual(c.node(wiped).status().confState.voters.toSorted(), c.ids.toSorted());
});

Deno.test("lost-state peer: a follower that keeps its disk is caught up once it acknowledges the leader's no-op", async () => {
  const c = await cluster(3, { seed: 22 });
  const leader = await waitLeader(c);
  await commitEverywhere(c, "one", c.ids);
  for (const id of c.ids) assert.equal(progressOf(c, leader, id).caughtUp, true, id);
  // Ignored off the leader and for the leader itself.
  const follower = c.ids.find((id) => id !== leader)!;
  c.act(follower, (raft) => raft.peerLostState(leader));
  c.act(leader, (raft) => raft.peerLostState(leader));
  assert.equal(progressOf(c, leader, leader).caughtUp, true);
});
