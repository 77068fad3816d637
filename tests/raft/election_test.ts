import { fromRecord } from "../../src/consensus/wal_bridge.ts";
import { newMessage } from "../../src/raft/mod.ts";
import assert from "node:assert/strict";
import { cluster, leadersInNewestTerm, nodeIds, waitLeader } from "./helpers.ts";

Deno.test("election: initial election picks one leader and terms agree", async () => {
  const c = await cluster(3);
  const leader = await waitLeader(c);
  await c.runFor(500);
  assert.equal(c.leader(), leader, "leader stays stable without faults");
  const terms = new Set(c.ids.map((id) => c.node(id).term));
  assert.equal(terms.size, 1);
  assert.ok(c.ids.every((id) => c.node(id).leaderId === leader));
});

Deno.test("election: re-election after the leader is isolated, and on its return", async () => {
  const c = await cluster(3);
  const first = await waitLeader(c);
  c.net.isolate(first, c.ids);
  assert.ok(await c.runUntil(() => leadersInNewestTerm(c).some((id) => id !== first), 3000));
  c.net.heal();
  await c.runFor(500);
  assert.equal(leadersInNewestTerm(c).length, 1);
  // No quorum: two of three isolated -> no leader can be elected.
  const l = c.leader()!;
  for (const id of c.ids) c.net.isolate(id, c.ids);
  await c.runFor(1000);
  assert.ok(c.ids.every((id) => c.node(id).role !== "leader" || id === l));
  c.net.heal();
  await waitLeader(c);
});

Deno.test("election: many elections with 7 nodes stay safe", async () => {
  const c = await cluster(7, { seed: 3 });
  await waitLeader(c);
  for (let round = 0; round < 10; round++) {
    const victims = nodeIds(7).filter(() => c.random.chance(0.4)).slice(0, 3);
    for (const id of victims) c.net.isolate(id, c.ids);
    await c.runFor(600);
    c.net.heal();
    assert.ok(await c.runUntil(() => leadersInNewestTerm(c).length === 1, 3000), `round ${round}`);
  }
});

Deno.test("election: PreVote keeps a partitioned node from disrupting the cluster", async () => {
  const c = await cluster(3, { raft: { preVote: true, checkQuorum: false } });
  const leader = await waitLeader(c);
  await c.runFor(300);
  const termBefore = c.node(leader).term;
  const outsider = c.ids.find((id) => id !== leader)!;
  c.net.isolate(outsider, c.ids);
  await c.runFor(2000);
  assert.equal(c.node(outsider).term, termBefore, "pre-candidate does not bump its term");
  c.net.heal();
  await c.runFor(500);
  assert.equal(c.leader(), leader);
  assert.equal(c.node(leader).term, termBefore);
});

Deno.test("election: without PreVote a returning node does disrupt (control)", async () => {
  const c = await cluster(3, { raft: { preVote: false, checkQuorum: false } });
  const leader = await waitLeader(c);
  await c.runFor(300);
  const termBefore = c.node(leader).term;
  const outsider = c.ids.find((id) => id !== leader)!;
  c.net.isolate(outsider, c.ids);
  await c.runFor(2000);
  assert.ok(c.node(outsider).term > termBefore);
  c.net.heal();
  await c.runFor(500);
  assert.ok(c.node(c.leader()!).term > termBefore);
});

Deno.test("election: CheckQuorum steps down a leader cut off from the majority", async () => {
  const c = await cluster(5, { raft: { checkQuorum: true } });
  const leader = await waitLeader(c);
  c.net.isolate(leader, c.ids);
  assert.ok(
    await c.runUntil(() => c.node(leader).role !== "leader", 500),
    "minority leader steps down",
  );
  const withoutCheck = await cluster(5, { raft: { checkQuorum: false } });
  const stale = await waitLeader(withoutCheck);
  withoutCheck.net.isolate(stale, withoutCheck.ids);
  await withoutCheck.runFor(1000);
  assert.equal(withoutCheck.node(stale).role, "leader", "control: stays leader without it");
});

Deno.test("election: a leader steps down on seeing a higher term and starts with a no-op", async () => {
  const c = await cluster(3);
  const leader = await waitLeader(c);
  const status = c.node(leader).status();
  const log = c.host(leader).log!;
  const [last] = await log.entries(log.lastIndex(), log.lastIndex() + 1);
  assert.equal(fromRecord(last!).kind, "noop");
  assert.ok(status.lastIndex >= 1);
  const other = c.ids.find((id) => id !== leader)!;
  c.act(
    other,
    (raft) =>
      raft.step(
        newMessage({ type: "heartbeatResponse", groupId: 1, from: leader, to: other, term: 0 }),
      ),
  );
  c.act(leader, (raft) =>
    raft.step(
      newMessage({
        type: "appendResponse",
        groupId: 1,
        from: other,
        to: leader,
        term: status.term + 5,
      }),
    ));
  assert.equal(c.node(leader).role, "follower");
  assert.equal(c.node(leader).term, status.term + 5);
});
