import assert from "node:assert/strict";
import { SimCluster } from "../sim/cluster.ts";
import { cluster, commitEverywhere, waitLeader } from "./helpers.ts";

/**
 * A voter's disk is wiped after it acknowledged a committed entry the third voter lacks; the
 * leader is then down, and the lagging voter asks the wiped one for its vote. Returns the
 * roles: leader (down), lagging, wiped. `bootstrap`: what the wiped node restarts with.
 */
async function wipeAfterCommit(
  c: SimCluster,
  bootstrap: { voters: string[]; learners: string[] },
): Promise<{ leader: string; lagging: string; wiped: string }> {
  const leader = await waitLeader(c);
  const [lagging, wiped] = c.ids.filter((id) => id !== leader) as [string, string];
  await commitEverywhere(c, "before", c.ids);
  c.net.isolate(lagging, c.ids);
  await commitEverywhere(c, "acknowledged", [leader, wiped]);
  c.crash(wiped);
  c.wipe(wiped, bootstrap);
  c.crash(leader);
  c.net.heal();
  await c.restart(wiped);
  return { leader, lagging, wiped };
}

Deno.test("wiped member: restarted with no membership, it votes for nobody, so the entry it held stays", async () => {
  const c = await cluster(3, { seed: 11 });
  const { leader, lagging, wiped } = await wipeAfterCommit(c, { voters: [], learners: [] });
  // Without the old leader the lagging voter needs the wiped one's vote; the checker would throw
  // (leader completeness) if it won without the committed entry.
  await c.runFor(5_000);
  assert.equal(c.leader(), null, "no leader without the node that holds the entry");
  assert.equal(c.node(wiped).status().confState.voters.length, 0);
  // The old leader returns: a leader holding the entry is elected and the wiped node is re-added
  // as a new member (removed, learner, voter) and receives the log.
  await c.restart(leader);
  await commitEverywhere(c, "back", [leader, lagging], 10_000);
  const next = c.leader()!;
  assert.notEqual(next, wiped);
  const remove = c.act(next, (r) => r.proposeConfChange({ type: "removeNode", nodeId: wiped }));
  assert.ok(remove.ok, JSON.stringify(remove));
  await commitEverywhere(c, "removed", [leader, lagging]);
  const learner = c.act(next, (r) => r.proposeConfChange({ type: "addLearner", nodeId: wiped }));
  assert.ok(learner.ok, JSON.stringify(learner));
  await commitEverywhere(c, "learner", c.ids);
  // Promotion is refused until the leader has seen the learner catch up.
  const promoted = await c.runUntil(
    () => c.act(next, (r) => r.proposeConfChange({ type: "addVoter", nodeId: wiped })).ok,
    5_000,
  );
  assert.ok(promoted, "the caught-up learner is promoted");
  await commitEverywhere(c, "voter", c.ids);
  assert.deepEqual(c.node(wiped).status().confState.voters.toSorted(), c.ids.toSorted());
});

Deno.test("wiped member (control): restarted as a voter of the first membership, it elects a leader that lost a committed entry", async () => {
  const c = await cluster(3, { seed: 11 });
  await wipeAfterCommit(c, { voters: c.ids, learners: [] });
  await assert.rejects(c.runFor(5_000), /leader completeness|committed entry changed/);
});

Deno.test("learner's vote: a promotion that has not reached the learner yet does not stall the group when the leader dies", async () => {
  const c = await SimCluster.create({
    nodeIds: ["n1", "n2", "n3", "n4"],
    voters: ["n1", "n2", "n3"],
    seed: 5,
  });
  await commitEverywhere(c, "first", ["n1", "n2", "n3"]);
  const leader = c.leader()!;
  const learner = c.act(leader, (r) => r.proposeConfChange({ type: "addLearner", nodeId: "n4" }));
  assert.ok(learner.ok, JSON.stringify(learner));
  await commitEverywhere(c, "learner", c.ids);
  // The leader promotes n4 but the entry never reaches it; the three old voters commit it.
  c.net.cutOneWay(leader, "n4");
  const promoted = await c.runUntil(
    () => c.act(leader, (r) => r.proposeConfChange({ type: "addVoter", nodeId: "n4" })).ok,
    5_000,
  );
  assert.ok(promoted, "the caught-up learner is promoted");
  const others = ["n1", "n2", "n3"].filter((id) => id !== leader);
  await commitEverywhere(c, "promoted", [leader, ...others]);
  assert.deepEqual(c.node("n4").status().confState.learners, ["n4"], "n4 has not seen it");
  // Four voters now: the two others need n4's vote, which it gives as a learner in its own view.
  c.crash(leader);
  c.net.heal();
  const next = await waitLeader(c, 10_000);
  assert.ok([...others, "n4"].includes(next));
  await commitEverywhere(c, "after", [...others, "n4"]);
});
