import assert from "node:assert/strict";
import { cluster, commitEverywhere, values, waitLeader } from "./helpers.ts";

Deno.test("replication: basic agreement on every node in order", async () => {
  const c = await cluster(5);
  await waitLeader(c);
  for (let i = 0; i < 20; i++) await commitEverywhere(c, `v${i}`);
  const expected = Array.from({ length: 20 }, (_, i) => `v${i}`);
  for (const id of c.ids) assert.deepEqual(values(c, id), expected);
});

Deno.test("replication: message count and bytes per agreement are bounded", async () => {
  const c = await cluster(3, { raft: { heartbeatTimeoutTicks: 5 } });
  const leader = await waitLeader(c);
  await c.runFor(500);
  const count = () => (c.sentByType.get("append") ?? 0) + (c.sentByType.get("appendResponse") ?? 0);
  const before = count();
  const bytesBefore = c.bytesSent;
  const heartbeatsBefore = c.sentByType.get("heartbeat") ?? 0;
  const rounds = 50;
  for (let i = 0; i < rounds; i++) {
    const { index } = c.propose(leader, `m${i}`) as { index: number };
    assert.ok(await c.runUntil(() => c.host(leader).sm.index >= index, 1000));
  }
  const perAgreement = (count() - before) / rounds;
  const heartbeats = (c.sentByType.get("heartbeat") ?? 0) - heartbeatsBefore;
  const bytesPer = (c.bytesSent - bytesBefore) / rounds;
  // One append to each follower and one acknowledgement back, then the commit notice to each
  // follower (an empty append) and its answer: at most 8 messages per agreement when idle.
  assert.ok(perAgreement <= 8, `appends+acks per agreement ${perAgreement}`);
  assert.ok(bytesPer < 8 * 100 + heartbeats * 2 * 60 / rounds, `bytes per agreement ${bytesPer}`);
  // A burst of proposals travels batched: far fewer appends than entries.
  const burstBefore = count();
  for (let i = 0; i < 100; i++) c.propose(leader, `b${i}`);
  await c.runFor(100);
  assert.ok(count() - burstBefore <= 24, `burst of 100 took ${count() - burstBefore} appends+acks`);
});

Deno.test("replication: followers learn a commit at once, not with the next heartbeat", async () => {
  // Heartbeats every 50 ticks (500 ms): a follower told of the commit only by heartbeats would
  // apply hundreds of ms after the leader; told at once it applies within a few deliveries.
  const c = await cluster(3, { raft: { heartbeatTimeoutTicks: 50, electionTimeoutTicks: 150 } });
  const leader = await waitLeader(c);
  await c.runFor(1_000);
  for (let i = 0; i < 10; i++) {
    const { index } = c.propose(leader, `c${i}`) as { index: number };
    assert.ok(await c.runUntil(() => c.host(leader).sm.index >= index, 1_000));
    const leaderAppliedMs = c.nowMs;
    assert.ok(await c.runUntil(() => c.ids.every((id) => c.host(id).sm.index >= index), 1_000));
    const lagMs = c.nowMs - leaderAppliedMs;
    assert.ok(lagMs < 100, `a follower applied entry ${index} ${lagMs} ms after the leader`);
  }
});

Deno.test("replication: agreement after a follower reconnects", async () => {
  const c = await cluster(3);
  const leader = await waitLeader(c);
  const follower = c.ids.find((id) => id !== leader)!;
  c.net.isolate(follower, c.ids);
  for (let i = 0; i < 10; i++) {
    await commitEverywhere(
      c,
      `d${i}`,
      c.ids.filter((id) => id !== follower),
    );
  }
  c.net.heal();
  await commitEverywhere(c, "reconnected");
  assert.deepEqual(values(c, follower), values(c, leader));
});

Deno.test("replication: no agreement without a majority", async () => {
  const c = await cluster(5, { raft: { checkQuorum: false } });
  const leader = await waitLeader(c);
  await commitEverywhere(c, "before");
  const others = c.ids.filter((id) => id !== leader);
  c.net.partition([[leader, others[0]!], others.slice(1)]);
  const result = c.propose(leader, "minority");
  assert.ok(result.ok);
  await c.runFor(1000);
  assert.ok(c.ids.every((id) => !values(c, id).includes("minority")));
  c.net.heal();
  await commitEverywhere(c, "after");
});

Deno.test("replication: concurrent proposals all commit exactly once", async () => {
  const c = await cluster(3);
  const leader = await waitLeader(c);
  const indexes = new Set<number>();
  for (let i = 0; i < 50; i++) {
    const result = c.propose(leader, `c${i}`);
    assert.ok(result.ok);
    indexes.add(result.index);
  }
  assert.equal(indexes.size, 50);
  await commitEverywhere(c, "fence");
  for (const id of c.ids) assert.equal(values(c, id).length, 51);
});

Deno.test("replication: a partitioned leader rejoins and its uncommitted entries vanish", async () => {
  const c = await cluster(3);
  const old = await waitLeader(c);
  await commitEverywhere(c, "base");
  c.net.isolate(old, c.ids);
  c.propose(old, "lost-1");
  c.propose(old, "lost-2");
  const rest = c.ids.filter((id) => id !== old);
  await commitEverywhere(c, "new-leader-entry", rest);
  c.net.heal();
  await commitEverywhere(c, "joined");
  for (const id of c.ids) assert.deepEqual(values(c, id), ["base", "new-leader-entry", "joined"]);
});

Deno.test("replication: fast backup over long divergent logs", async () => {
  const c = await cluster(5, { raft: { appendEntriesMax: 64 } });
  const first = await waitLeader(c);
  await commitEverywhere(c, "common");
  const others = c.ids.filter((id) => id !== first);
  // The old leader and one follower collect 200 uncommitted entries in a minority.
  c.net.partition([[first, others[0]!], others.slice(1)]);
  for (let i = 0; i < 200; i++) c.propose(first, `stale${i}`);
  const majority = others.slice(1);
  for (let i = 0; i < 200; i++) {
    const leader = c.leader();
    if (leader !== null && majority.includes(leader)) c.propose(leader, `fresh${i}`);
    else await c.runFor(50);
  }
  await commitEverywhere(c, "majority-done", majority);
  c.net.heal();
  const before = c.messagesSent;
  await commitEverywhere(c, "converged", c.ids, 5000);
  assert.ok(c.messagesSent - before < 400, `backup took ${c.messagesSent - before} messages`);
  for (const id of c.ids) assert.deepEqual(values(c, id), values(c, majority[0]!));
  assert.ok(values(c, first).every((v) => !v.startsWith("stale")));
});
