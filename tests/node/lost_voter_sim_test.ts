import assert from "node:assert/strict";
import { lostVoters } from "../../src/node/slot_groups.ts";
import { nextGroupStep, type PlacementStep } from "../../src/placement/mod.ts";
import type { NodeId } from "../../src/raft/mod.ts";
import type { SimCluster } from "../sim/cluster.ts";
import { cluster, commitEverywhere, waitLeader } from "../raft/helpers.ts";

type Step = Omit<PlacementStep, "slot">;

/**
 * Runs the slot reconciler's decision (nextGroupStep with the leader's lost voters, as
 * SlotGroups.reconcile does) on whoever leads, one step at a time, until the group is settled on
 * `replicas` and every replica is a voter of its own membership. Returns the steps that took
 * effect.
 */
async function reconcile(c: SimCluster, replicas: NodeId[], timeoutMs: number): Promise<Step[]> {
  const done: Step[] = [];
  const settled = await c.runUntil(() => {
    const leader = c.leader();
    if (leader === null) return false;
    const status = c.node(leader).status();
    const group = {
      voters: status.confState.voters,
      learners: status.confState.learners,
      leader,
      lost: lostVoters(status),
    };
    const step = nextGroupStep(group, { replicas, leader });
    // Settled, and every replica counts itself a voter (so none is an empty one still unheard).
    if (step === null) {
      return status.progress.every((each) => each.caughtUp) &&
        replicas.every((id) => c.node(id).status().confState.voters.includes(id));
    }
    if (step.type === "transferLeader") return true; // any leader will do here
    const result = c.act(
      leader,
      (raft) =>
        raft.proposeConfChange({
          type: step.type as Exclude<Step["type"], "transferLeader">,
          nodeId: step.nodeId,
        }),
    );
    if (result.ok) done.push(step); // refused (one change at a time, learner behind): retry
    return false;
  }, timeoutMs);
  assert.ok(settled, `not settled; steps so far ${JSON.stringify(done)}`);
  return done;
}

/** Every node applied the latest entry and counts every replica as a voter of its own. */
async function assertWhole(c: SimCluster, text: string): Promise<void> {
  await commitEverywhere(c, text, c.ids, 10_000);
  for (const id of c.ids) {
    assert.deepEqual(c.node(id).status().confState.voters.toSorted(), c.ids.toSorted(), id);
  }
}

/** Seeds run (each a different schedule of elections and message timing). */
const SEEDS = [31, 32, 33, 34, 35, 36, 37, 38];

for (const seed of SEEDS) {
  Deno.test(`lost voter (seed ${seed}): the slot leader is wiped and another replica restarts at once; the new leader finds the empty voter from its answers, removes it and adds it back`, () =>
    wipedLeaderThenRestart(seed));
}

async function wipedLeaderThenRestart(seed: number): Promise<void> {
  const c = await cluster(3, { seed });
  const wiped = await waitLeader(c);
  for (let i = 0; i < 5; i++) await commitEverywhere(c, `before-${i}`, c.ids);
  const [restarted, other] = c.ids.filter((id) => id !== wiped) as [NodeId, NodeId];
  // The leader's disk is wiped; a second later the next leader-to-be is killed and restarted, so
  // no process that leads afterwards ever held the group with the old replica (nothing in memory
  // can tell it the replica lost its state).
  c.crash(wiped);
  c.wipe(wiped, { voters: [], learners: [] });
  c.crash(restarted);
  await c.restart(wiped);
  await c.restart(restarted);
  await commitEverywhere(c, "after", [restarted, other], 10_000);
  const steps = await reconcile(c, c.ids, 20_000);
  assert.deepEqual(
    steps.filter((step) => step.nodeId === wiped).map((step) => step.type),
    ["removeNode", "addLearner", "addVoter"],
  );
  await assertWhole(c, "settled");
  // The chaos run's next fault: another replica wiped. With the first one re-added as a voter
  // that holds the data, the group still has a quorum and heals the same way.
  const second = c.leader() === other ? restarted : other;
  c.crash(second);
  c.wipe(second, { voters: [], learners: [] });
  await c.restart(second);
  const again = await reconcile(c, c.ids, 20_000);
  assert.deepEqual(
    again.filter((step) => step.nodeId === second).map((step) => step.type),
    ["removeNode", "addLearner", "addVoter"],
  );
  await assertWhole(c, "settled-again");
}
