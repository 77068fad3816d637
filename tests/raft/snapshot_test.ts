import assert from "node:assert/strict";
import { cluster, commitEverywhere, values, waitLeader } from "./helpers.ts";

const SNAPSHOTTING = {
  compactEveryEntries: 5,
  snapshotPaddingBytes: 5000,
  raft: { snapshotChunkBytes: 512 },
};

Deno.test("snapshot: a far-behind follower is caught up with a chunked snapshot", async () => {
  const c = await cluster(3, SNAPSHOTTING);
  const leader = await waitLeader(c);
  const follower = c.ids.find((id) => id !== leader)!;
  c.crash(follower);
  for (let i = 0; i < 40; i++) {
    await commitEverywhere(
      c,
      `s${i}`,
      c.ids.filter((id) => id !== follower),
    );
  }
  assert.ok(c.node(leader).snapshotIndex > 10, "leader compacted");
  await c.restart(follower);
  await commitEverywhere(c, "after-snapshot");
  assert.ok((c.sentByType.get("snapshot") ?? 0) >= 10, "image sent in several 512-byte chunks");
  assert.equal(c.host(follower).sm.index, c.host(leader).sm.index);
  assert.equal(c.host(follower).sm.hash, c.host(leader).sm.hash);
});

Deno.test("snapshot: install survives message loss, duplication and crashes mid-transfer", async () => {
  for (let seed = 1; seed <= 5; seed++) {
    const c = await cluster(3, { ...SNAPSHOTTING, seed });
    const leader = await waitLeader(c);
    const follower = c.ids.find((id) => id !== leader)!;
    c.crash(follower);
    for (let i = 0; i < 30; i++) {
      await commitEverywhere(
        c,
        `s${i}`,
        c.ids.filter((id) => id !== follower),
      );
    }
    await c.restart(follower);
    c.net.faults = { lossRate: 0.3, duplicateRate: 0.1, delayMinMs: 0.5, delayMaxMs: 20 };
    for (let round = 0; round < 4; round++) {
      await c.runUntil(() => c.node(follower).status().snapshotIndex === 0, 100);
      await c.runFor(20 + c.random.int(40));
      c.crash(follower);
      await c.runFor(30);
      await c.restart(follower);
    }
    c.net.faults = { lossRate: 0, duplicateRate: 0, delayMinMs: 1, delayMaxMs: 5 };
    await commitEverywhere(c, "done", c.ids, 10_000);
    assert.equal(c.host(follower).sm.hash, c.host(leader).sm.hash, `seed ${seed}`);
  }
});

Deno.test("snapshot: compaction keeps values for nodes that never needed a snapshot", async () => {
  const c = await cluster(3, { ...SNAPSHOTTING, compactEveryEntries: 3 });
  await waitLeader(c);
  for (let i = 0; i < 12; i++) await commitEverywhere(c, `k${i}`);
  for (const id of c.ids) assert.equal(values(c, id).length, 12);
  assert.throws(
    () => c.node("n1").compact(c.node("n1").appliedIndex + 1, new Uint8Array(0)),
    /Cannot compact: index \d+ exceeds applied index/,
  );
});
