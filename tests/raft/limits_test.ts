import assert from "node:assert/strict";
import { Inflights } from "../../src/raft/inflights.ts";
import { majorityValue, voteOutcome } from "../../src/raft/quorum.ts";
import { cluster, commitEverywhere, waitLeader } from "./helpers.ts";

Deno.test("limits: uncommitted entries and bytes, and entry size, are refused explicitly", async () => {
  const c = await cluster(3, {
    raft: {
      uncommittedEntriesMax: 5,
      uncommittedBytesMax: 100,
      entryBytesMax: 60,
      checkQuorum: false,
    },
  });
  const leader = await waitLeader(c);
  await commitEverywhere(c, "x");
  c.net.isolate(leader, c.ids);
  const big = c.node(leader).propose(new Uint8Array(61));
  assert.equal(
    big.ok ? "" : big.message,
    "Cannot propose: entry of 61 bytes exceeds maximum of 60",
  );
  assert.ok(c.node(leader).propose(new Uint8Array(50)).ok);
  const bytes = c.node(leader).propose(new Uint8Array(60));
  assert.equal(bytes.ok ? "" : bytes.reason, "tooManyUncommitted");
  for (let i = 0; i < 4; i++) assert.ok(c.node(leader).propose(new Uint8Array(1)).ok);
  const count = c.node(leader).propose(new Uint8Array(1));
  assert.equal(
    count.ok ? "" : count.message,
    "Cannot propose: 5 uncommitted entries reach maximum of 5",
  );
  const follower = c.ids.find((id) => id !== leader)!;
  const notLeader = c.node(follower).propose(new Uint8Array(1));
  assert.equal(notLeader.ok ? "" : notLeader.reason, "notLeader");
});

Deno.test("limits: appends respect entries-per-append, bytes-per-append and the inflight window", async () => {
  const c = await cluster(3, {
    raft: { appendEntriesMax: 4, appendBytesMax: 200, inflightAppendsMax: 2 },
  });
  const leader = await waitLeader(c);
  await commitEverywhere(c, "x");
  const follower = c.ids.find((id) => id !== leader)!;
  c.net.cutOneWay(follower, leader); // acks are lost: the window must fill and stop.
  const before = c.sentByType.get("append") ?? 0;
  for (let i = 0; i < 40; i++) c.act(leader, (r) => r.propose(new Uint8Array(30)));
  const seen: number[] = [];
  const original = c.node(leader).ready.bind(c.node(leader));
  c.node(leader).ready = () => {
    const ready = original();
    for (const m of ready.messagesNow) {
      if (m.type === "append" && m.to === follower) {
        seen.push(m.entries.length);
        const bytes = m.entries.reduce((sum, e) => sum + e.data.length, 0);
        assert.ok(m.entries.length <= 4 && (m.entries.length <= 1 || bytes <= 200));
      }
    }
    return ready;
  };
  await c.runFor(5);
  assert.ok(seen.length <= 2 + 1, `in flight ${seen.length}`);
  assert.ok((c.sentByType.get("append") ?? 0) > before);
});

Deno.test("limits: inflight window and quorum helpers", () => {
  const window = new Inflights(2);
  window.add(5);
  window.add(9);
  assert.ok(window.isFull());
  assert.throws(() => window.add(10), /inflight window overflow/);
  window.freeTo(5);
  assert.equal(window.count, 1);
  window.freeFirst();
  assert.equal(window.count, 0);
  const match = new Map([["a", 5], ["b", 3], ["c", 9]]);
  assert.equal(majorityValue(["a", "b", "c"], (id) => match.get(id) ?? 0), 5);
  assert.equal(majorityValue(["a", "b", "c", "d"], (id) => match.get(id) ?? 0), 3);
  assert.equal(voteOutcome(["a", "b", "c"], new Map([["a", true], ["b", true]])), "won");
  assert.equal(voteOutcome(["a", "b", "c"], new Map([["a", false], ["b", false]])), "lost");
  assert.equal(voteOutcome(["a", "b", "c"], new Map([["a", true]])), "pending");
});
