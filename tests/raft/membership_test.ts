import assert from "node:assert/strict";
import { SimCluster } from "../sim/cluster.ts";
import { commitEverywhere, values, waitLeader } from "./helpers.ts";

function fiveHostsThreeVoters(): Promise<SimCluster> {
  return SimCluster.create({
    nodeIds: ["n1", "n2", "n3", "n4", "n5"],
    voters: ["n1", "n2", "n3"],
  });
}

Deno.test("membership: add a learner, promote it after catch-up, then remove a voter", async () => {
  const c = await fiveHostsThreeVoters();
  let leader = await waitLeader(c);
  for (let i = 0; i < 5; i++) await commitEverywhere(c, `a${i}`, ["n1", "n2", "n3"]);
  const added = c.act(leader, (r) => r.proposeConfChange({ type: "addLearner", nodeId: "n4" }));
  assert.ok(added.ok);
  await commitEverywhere(c, "learner-added", ["n1", "n2", "n3", "n4"]);
  assert.deepEqual(values(c, "n4"), values(c, leader), "learner receives the log");
  assert.equal(c.node(leader).status().progress.find((p) => p.id === "n4")?.isLearner, true);
  // A learner never campaigns even when its timer fires.
  c.net.isolate("n4", c.ids);
  await c.runFor(1000);
  assert.equal(c.node("n4").role, "follower");
  c.net.heal();
  await commitEverywhere(c, "learner-back", ["n1", "n2", "n3", "n4"]);
  leader = c.leader()!;
  const promoted = c.act(leader, (r) => r.proposeConfChange({ type: "addVoter", nodeId: "n4" }));
  assert.ok(promoted.ok, JSON.stringify(promoted));
  await commitEverywhere(c, "promoted", ["n1", "n2", "n3", "n4"]);
  assert.deepEqual(c.node(leader).status().confState.voters, ["n1", "n2", "n3", "n4"]);
  const victim = ["n1", "n2", "n3"].find((id) => id !== leader)!;
  const removed = c.act(leader, (r) => r.proposeConfChange({ type: "removeNode", nodeId: victim }));
  assert.ok(removed.ok);
  const remaining = ["n1", "n2", "n3", "n4"].filter((id) => id !== victim);
  await commitEverywhere(c, "removed", remaining);
  c.crash(victim);
  await commitEverywhere(c, "works-without-victim", remaining);
});

Deno.test("membership: one pending change at a time; invalid changes are refused", async () => {
  const c = await fiveHostsThreeVoters();
  const leader = await waitLeader(c);
  await commitEverywhere(c, "x", ["n1", "n2", "n3"]);
  const first = c.node(leader).proposeConfChange({ type: "addLearner", nodeId: "n4" });
  assert.ok(first.ok);
  const second = c.node(leader).proposeConfChange({ type: "addLearner", nodeId: "n5" });
  assert.equal(second.ok ? "" : second.reason, "confChangePending");
  c.act(leader, () => {});
  await commitEverywhere(c, "y", ["n1", "n2", "n3", "n4"]);
  const dup = c.node(leader).proposeConfChange({ type: "addLearner", nodeId: "n4" });
  assert.equal(dup.ok ? "" : dup.reason, "invalidConfChange");
  const ghost = c.node(leader).proposeConfChange({ type: "removeNode", nodeId: "n9" });
  assert.equal(ghost.ok ? "" : ghost.message, "Cannot remove n9: not a member");
  c.crash("n4");
  await commitEverywhere(c, "z", ["n1", "n2", "n3"]);
  const early = c.node(c.leader()!).proposeConfChange({ type: "addVoter", nodeId: "n4" });
  assert.equal(early.ok ? "" : early.reason, "learnerNotCaughtUp");
});

Deno.test("membership: the leader removing itself steps down after the change commits", async () => {
  const c = await fiveHostsThreeVoters();
  const leader = await waitLeader(c);
  await commitEverywhere(c, "x", ["n1", "n2", "n3"]);
  c.act(leader, (r) => r.proposeConfChange({ type: "removeNode", nodeId: leader }));
  const rest = ["n1", "n2", "n3"].filter((id) => id !== leader);
  assert.ok(await c.runUntil(() => c.leader() !== null && rest.includes(c.leader()!), 3000));
  await commitEverywhere(c, "new-era", rest);
  assert.notEqual(c.node(leader).role, "leader");
});
