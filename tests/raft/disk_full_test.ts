import assert from "node:assert/strict";
import { cluster, commitEverywhere, values, waitLeader } from "./helpers.ts";

Deno.test("disk full: a leader refuses proposals, keeps serving reads, accepts again after", async () => {
  const c = await cluster(1);
  const leader = await waitLeader(c);
  await commitEverywhere(c, "before");
  c.node(leader).setDiskFull(true);
  const refused = c.node(leader).propose(new Uint8Array(1));
  assert.equal(refused.ok ? "accepted" : refused.reason, "diskFull");
  const change = c.node(leader).proposeConfChange({ type: "addLearner", nodeId: "n9" });
  assert.equal(change.ok ? "accepted" : change.reason, "diskFull");
  c.read(leader, 41);
  assert.ok(await c.runUntil(() => c.host(leader).readsServed.includes(41), 500), "read served");
  assert.equal(c.leader(), leader, "a sole voter keeps leading");
  c.node(leader).setDiskFull(false);
  await commitEverywhere(c, "after");
  assert.deepEqual(values(c, leader), ["before", "after"]);
});

Deno.test("disk full: a node neither campaigns nor takes a transfer, but still votes", async () => {
  const c = await cluster(3);
  const leader = await waitLeader(c);
  await commitEverywhere(c, "w1");
  const [full, other] = c.ids.filter((id) => id !== leader) as [string, string];
  c.node(full).setDiskFull(true);
  c.act(leader, (r) => r.transferLeadership(full));
  await c.runFor(1000);
  assert.notEqual(c.leader(), full, "a full node does not answer TimeoutNow by campaigning");
  c.crash(c.leader()!);
  // With one of three down, `other` can only win with the full node's vote.
  assert.ok(
    await c.runUntil(() => c.leader() === other, 3000),
    "the node that can write is elected",
  );
  assert.equal(c.node(full).role, "follower", "the full node never campaigned");
  assert.ok(
    await c.runUntil(() => c.node(full).leaderId === other, 500),
    "it follows the new leader",
  );
});

Deno.test("disk full: a follower drops entries unanswered and catches up once it has room", async () => {
  const c = await cluster(3);
  const leader = await waitLeader(c);
  await commitEverywhere(c, "w1");
  const full = c.ids.find((id) => id !== leader)!;
  const lastBefore = c.node(full).status().lastIndex;
  c.node(full).setDiskFull(true);
  const others = c.ids.filter((id) => id !== full);
  for (let i = 0; i < 5; i++) commitEverywhere(c, `w${i + 2}`, others);
  await c.runFor(300);
  assert.equal(c.node(full).status().lastIndex, lastBefore, "nothing appended while full");
  assert.equal(c.leader(), leader, "heartbeats still answered: no election");
  c.node(full).setDiskFull(false);
  await commitEverywhere(c, "after", c.ids);
  assert.deepEqual(values(c, full), ["w1", "w2", "w3", "w4", "w5", "w6", "after"]);
});

Deno.test("disk full: a sole voter restarted on a full disk still elects itself and serves reads", async () => {
  const c = await cluster(1);
  const leader = await waitLeader(c);
  await commitEverywhere(c, "before");
  c.node(leader).setDiskFull(true);
  c.crash(leader);
  await c.restart(leader);
  c.node(leader).setDiskFull(true);
  assert.equal(await waitLeader(c), leader, "nobody else can lead");
  c.read(leader, 42);
  assert.ok(await c.runUntil(() => c.host(leader).readsServed.includes(42), 500), "read served");
  const refused = c.node(leader).propose(new Uint8Array(1));
  assert.equal(refused.ok ? "accepted" : refused.reason, "diskFull");
});
