import assert from "node:assert/strict";
import { QUIESCE_NOTICE_ROUNDS } from "../../src/raft/mod.ts";
import type { SimCluster } from "../sim/cluster.ts";
import { cluster, commitEverywhere, waitLeader } from "./helpers.ts";

/** 10 ms ticks: a group idle for 200 ms, then 3 notices, goes quiet. */
const QUIESCE_AFTER_TICKS = 20;
const QUIET_AFTER_MS = (QUIESCE_AFTER_TICKS + QUIESCE_NOTICE_ROUNDS + 5) * 10;

function quietCluster(
  count: number,
  readOnly: "safe" | "leaseBased" = "safe",
): Promise<SimCluster> {
  return cluster(count, { raft: { quiesceAfterTicks: QUIESCE_AFTER_TICKS, readOnly } });
}

/** Runs until every live node is quiet (fails after `timeoutMs`). */
async function waitQuiet(c: SimCluster, timeoutMs = 2000): Promise<void> {
  const live = () => c.ids.filter((id) => c.isUp(id));
  assert.ok(await c.runUntil(() => live().every((id) => c.node(id).quiet), timeoutMs), "not quiet");
  await c.runFor(20); // The last notices (sent as the leader went quiet) land.
}

/** A quiet cluster with one entry committed everywhere, gone quiet; and its leader. */
async function quietGroup(
  count: number,
  readOnly: "safe" | "leaseBased" = "safe",
): Promise<{ c: SimCluster; leader: string }> {
  const c = await quietCluster(count, readOnly);
  const leader = await waitLeader(c);
  await commitEverywhere(c, "a");
  await waitQuiet(c);
  return { c, leader };
}

async function sentDuring(c: SimCluster, durationMs: number): Promise<Map<string, number>> {
  const before = new Map(c.sentByType);
  await c.runFor(durationMs);
  const delta = new Map<string, number>();
  for (const [type, count] of c.sentByType) {
    const sent = count - (before.get(type) ?? 0);
    if (sent > 0) delta.set(type, sent);
  }
  return delta;
}

Deno.test("quiesce: an idle group stops all traffic and nobody campaigns", async () => {
  const c = await quietCluster(3);
  const leader = await waitLeader(c);
  await commitEverywhere(c, "a");
  await c.runFor(QUIET_AFTER_MS);
  await waitQuiet(c);
  const term = c.node(leader).term;
  assert.deepEqual([...(await sentDuring(c, 10_000))], [], "messages sent by a quiet group");
  assert.equal(c.leader(), leader);
  for (const id of c.ids) {
    assert.equal(c.node(id).term, term, `${id} changed term while quiet`);
    assert.equal(c.node(id).commitIndex, c.node(leader).commitIndex, `${id} lacks the commit`);
  }
});

Deno.test("quiesce: a proposal wakes the group, commits everywhere, then it quiets again", async () => {
  const c = await quietCluster(3);
  await waitLeader(c);
  await commitEverywhere(c, "a");
  await waitQuiet(c);
  const index = await commitEverywhere(c, "b", c.ids, 200);
  for (const id of c.ids) assert.equal(c.host(id).sm.index, index);
  await waitQuiet(c);
});

Deno.test("quiesce: a quiet follower told its leader's node is down campaigns at once", async () => {
  const c = await quietCluster(3);
  const leader = await waitLeader(c);
  await commitEverywhere(c, "a");
  await waitQuiet(c); // The last notices land first, as on a TCP connection closed after them.
  const crashedAt = c.nowMs;
  const preVotesBefore = c.sentByType.get("preVote") ?? 0;
  c.crash(leader); // Tells the others leaderUnreachable, as a closed connection does.
  // A campaign starts after 1-3 ticks; a quiet follower without the hint would never start one.
  assert.ok(await c.runUntil(() => (c.sentByType.get("preVote") ?? 0) > preVotesBefore, 40));
  assert.ok(c.nowMs - crashedAt <= 40, `first PreVote after ${c.nowMs - crashedAt} ms`);
  assert.ok(await c.runUntil(() => c.leader() !== null, 1000), "no new leader");
  await commitEverywhere(c, "b");
});

Deno.test("quiesce: a read on a quiet lease leader does a quorum round first", async () => {
  const { c, leader } = await quietGroup(3, "leaseBased");
  const acksBefore = c.sentByType.get("heartbeatResponse") ?? 0;
  c.read(leader, 7);
  assert.ok(await c.runUntil(() => c.host(leader).readsServed.includes(7), 200), "read not served");
  const acks = (c.sentByType.get("heartbeatResponse") ?? 0) - acksBefore;
  assert.ok(acks >= 1, "served from a lease older than the quiet, without a quorum round");
});

Deno.test("quiesce: an isolated quiet lease leader serves no read after others moved on", async () => {
  const { c, leader: old } = await quietGroup(3, "leaseBased");
  const others = c.ids.filter((id) => id !== old);
  c.net.isolate(old, others);
  // Their failure detectors see the old leader's node down; its own sees nothing (quiet).
  for (const id of others) c.act(id, (raft) => raft.leaderUnreachable(old));
  assert.ok(
    await c.runUntil(() => c.leader() !== null && c.leader() !== old, 1000),
    "no new leader",
  );
  await commitEverywhere(c, "b", others);
  assert.equal(c.node(old).role, "leader", "the isolated quiet leader still thinks it leads");
  c.read(old, 9);
  await c.runFor(1);
  assert.ok(!c.host(old).readsRefused.includes(9), "the read was refused, not held");
  await c.runFor(2000);
  assert.ok(!c.host(old).readsServed.includes(9), "stale read served by the old leader");
  assert.notEqual(c.node(old).role, "leader", "CheckQuorum did not act once it woke");
});

Deno.test("quiesce: a quiet follower that missed a new leader's term converges on first use", async () => {
  const { c, leader: old } = await quietGroup(5);
  const rest = c.ids.filter((id) => id !== old);
  const stale = rest[3]!;
  const majority = rest.slice(0, 3);
  c.net.partition([[old, stale], majority]);
  // Only the majority's detectors see the old leader down; `stale` still hears it.
  for (const id of majority) c.act(id, (raft) => raft.leaderUnreachable(old));
  assert.ok(
    await c.runUntil(() => c.leader() !== null && c.leader() !== old, 1000),
    "no new leader",
  );
  const fresh = c.leader()!;
  await commitEverywhere(c, "b", majority);
  c.net.heal();
  await waitQuiet(c);
  assert.equal(c.node(stale).term, c.node(old).term, "stale follower kept the old term (quiet)");
  // First use: a read forwarded from the stale follower reaches its old leader, which wakes,
  // learns the new term from the answers to its heartbeat and steps down.
  c.read(stale, 11);
  assert.ok(
    await c.runUntil(
      () => c.ids.every((id) => c.node(id).term === c.node(fresh).term) && c.leader() === fresh,
      2000,
    ),
    "terms did not converge",
  );
  assert.ok(!c.host(stale).readsServed.includes(11) || c.host(stale).sm.index >= 2);
  await commitEverywhere(c, "c");
  for (const id of c.ids) assert.ok(c.host(id).sm.values!.join(",").includes("b"), id);
});

Deno.test("quiesce: a restarted follower's PreVote wakes the quiet leader, which it then follows", async () => {
  const { c, leader } = await quietGroup(3);
  const term = c.node(leader).term;
  const follower = c.ids.find((id) => id !== leader)!;
  c.crash(follower);
  await c.restart(follower); // Knows no leader: it will campaign; the others are quiet.
  assert.ok(
    await c.runUntil(() => c.node(follower).leaderId === leader, 1000),
    "leader not learned",
  );
  assert.equal(c.leader(), leader);
  for (const id of c.ids) assert.equal(c.node(id).term, term, `${id} changed term`);
  await waitQuiet(c);
});

Deno.test("quiesce: a leader that woke and stepped down while cut off is elected again by its quiet followers", async () => {
  const c = await quietCluster(3);
  const leader = await waitLeader(c);
  await commitEverywhere(c, "one", c.ids);
  await waitQuiet(c);
  const followers = c.ids.filter((id) => id !== leader);
  // The leader wakes (a proposal) while cut off: its heartbeats never reach the quiet followers,
  // and CheckQuorum makes it step down. The followers' timers stay stopped (no host told them
  // the leader's node is down), so only the old leader campaigns.
  c.net.partition([[leader], followers]);
  c.propose(leader, "cut-off");
  const steppedDown = await c.runUntil(() => c.node(leader).role !== "leader", 5_000);
  assert.ok(steppedDown, "CheckQuorum steps the cut-off leader down");
  c.net.heal();
  // Its quiet followers' lease was its own: they grant it their (pre-)votes.
  const led = await c.runUntil(() => c.leader() !== null, 5_000);
  const roles = c.ids.map((id) => `${id}:${c.node(id).role}/quiet=${c.node(id).quiet}`).join(" ");
  assert.ok(led, `a leader again (${roles})`);
  await commitEverywhere(c, "two", c.ids);
});

Deno.test("quiesce: a quiet leader confirms a read with one round of notices and stays quiet", async () => {
  const { c, leader } = await quietGroup(3);
  const before = new Map(c.sentByType);
  c.read(leader, 11);
  assert.ok(
    await c.runUntil(() => c.host(leader).readsServed.includes(11), 100),
    "read not served",
  );
  const sent = (type: string) => (c.sentByType.get(type) ?? 0) - (before.get(type) ?? 0);
  assert.equal(sent("quiesce"), 2, "one notice to each follower");
  assert.ok(sent("heartbeatResponse") >= 2, "both followers answered");
  assert.equal(sent("heartbeat"), 0, "the leader did not wake");
  // Nothing more: every node is still quiet, and an idle stretch costs no message at all.
  for (const id of c.ids) assert.ok(c.node(id).quiet, `${id} woke`);
  assert.equal([...(await sentDuring(c, 500)).values()].reduce((a, b) => a + b, 0), 0);
});

Deno.test("quiesce: a quiet leader's read whose notices are lost wakes the group and completes", async () => {
  const { c, leader } = await quietGroup(3);
  const followers = c.ids.filter((id) => id !== leader);
  for (const id of followers) c.net.cutOneWay(leader, id); // the notices are lost
  c.read(leader, 12);
  await c.runFor(5);
  assert.ok(!c.host(leader).readsServed.includes(12), "served without a quorum");
  c.net.heal();
  // The leader's next tick finds the read waiting: it wakes and heartbeats until one round is
  // acknowledged, which confirms the read.
  assert.ok(await c.runUntil(() => c.host(leader).readsServed.includes(12), 200), "read stuck");
  assert.equal(c.node(leader).quiet, false, "the group woke");
  assert.equal(c.leader(), leader);
});

Deno.test("quiesce: a quiet lease leader still wakes for a read (its lease needs a running clock)", async () => {
  const { c, leader } = await quietGroup(3, "leaseBased");
  const before = c.sentByType.get("heartbeat") ?? 0;
  c.read(leader, 13);
  assert.ok(
    await c.runUntil(() => c.host(leader).readsServed.includes(13), 200),
    "read not served",
  );
  assert.ok((c.sentByType.get("heartbeat") ?? 0) > before, "no heartbeat round: it did not wake");
});
