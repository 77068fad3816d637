import assert from "node:assert/strict";
import { cluster, commitEverywhere, waitLeader } from "./helpers.ts";

Deno.test("transfer: leadership moves to the chosen voter with TimeoutNow", async () => {
  const c = await cluster(3);
  const leader = await waitLeader(c);
  await commitEverywhere(c, "before");
  const target = c.ids.find((id) => id !== leader)!;
  const result = c.act(leader, (r) => r.transferLeadership(target));
  assert.ok(result.ok);
  const during = c.node(leader).propose(new Uint8Array(1));
  assert.equal(during.ok ? "" : during.reason, "transferInProgress");
  assert.ok(await c.runUntil(() => c.leader() === target, 1000));
  assert.ok((c.sentByType.get("timeoutNow") ?? 0) >= 1);
  await commitEverywhere(c, "after");
});

Deno.test("transfer: to a lagging voter waits for catch-up; to a crashed one times out", async () => {
  const c = await cluster(3);
  const leader = await waitLeader(c);
  const [a, b] = c.ids.filter((id) => id !== leader) as [string, string];
  c.net.isolate(a, c.ids);
  for (let i = 0; i < 10; i++) await commitEverywhere(c, `l${i}`, [leader, b]);
  c.act(leader, (r) => r.transferLeadership(a));
  c.net.heal();
  assert.ok(await c.runUntil(() => c.leader() === a, 2000), "lagging target catches up then leads");
  const now = c.leader()!;
  c.crash(b);
  c.act(now, (r) => r.transferLeadership(b));
  await c.runFor(300);
  assert.equal(c.leader(), now);
  assert.equal(c.node(now).status().leadTransferee, null, "transfer aborted after a timeout");
  assert.ok(c.propose(now, "accepting-again").ok);
});

Deno.test("read index: leader and follower reads are linearizable and wait for commit", async () => {
  for (const readOnly of ["safe", "leaseBased"] as const) {
    const c = await cluster(3, { raft: { readOnly, checkQuorum: true } });
    const leader = await waitLeader(c);
    await commitEverywhere(c, "w1");
    const follower = c.ids.find((id) => id !== leader)!;
    let requestId = readOnly === "safe" ? 100 : 200;
    for (const id of [leader, follower]) {
      const rid = ++requestId;
      c.read(id, rid);
      assert.ok(
        await c.runUntil(() => c.host(id).readsServed.includes(rid), 500),
        `${readOnly} ${id}`,
      );
    }
    // The checker verifies each served read saw every acknowledged write.
    const index = await commitEverywhere(c, "w2");
    assert.ok(index > 0);
  }
});

Deno.test("read index: a minority leader cannot serve a safe read until it hears a quorum", async () => {
  const c = await cluster(3, { raft: { checkQuorum: false } });
  const leader = await waitLeader(c);
  await commitEverywhere(c, "w");
  c.net.isolate(leader, c.ids);
  c.read(leader, 7);
  await c.runFor(500);
  assert.equal(c.node(leader).role, "leader");
  assert.ok(!c.host(leader).readsServed.includes(7), "no read served without a quorum");
  assert.ok(!c.host(leader).readsRefused.includes(7), "the read was refused, not held");
  c.net.heal();
  await c.runFor(500);
  // After healing the old leader learns the newer term; its read is dropped, never served stale.
  assert.ok(!c.host(leader).readsServed.includes(7) || c.node(leader).role === "leader");
});

Deno.test("read index: pending reads are bounded", async () => {
  const c = await cluster(3, { raft: { pendingReadsMax: 4 } });
  const leader = await waitLeader(c);
  await commitEverywhere(c, "w");
  c.net.isolate(leader, c.ids);
  for (let i = 0; i < 4; i++) assert.ok(c.node(leader).readIndex(i).ok);
  const refused = c.node(leader).readIndex(99);
  assert.equal(refused.ok ? "" : refused.reason, "tooManyPendingReads");
  assert.throws(() => c.node(leader).readIndex(-1), /not a non-negative safe integer/);
});
