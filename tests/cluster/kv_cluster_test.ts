import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { parseClusterGroups } from "../../src/client/cluster_groups.ts";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  startTestNode,
  stopTestCluster,
  stopTestNode,
} from "../helpers/node_harness.ts";
import { waitForLeader } from "../helpers/resp_call.ts";
import { redisClient, retrying } from "../helpers/redis_retry.ts";

/** Retries a refusal that applied nothing (TRYAGAIN, NOQUORUM) for up to `timeoutMs`. */
function retry<T>(run: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  return retrying(run, timeoutMs);
}

/** The CLUSTER GROUPS lines of the slot groups: slot → members and leader ("-" while none). */
async function slotGroups(redis: Redis): Promise<Map<number, { members: string; leader: string }>> {
  const groups = parseClusterGroups(await redis.call("CLUSTER", "GROUPS") as string);
  return new Map(
    groups.filter((group) => group.purpose === "slot").map((group) => [
      group.slot!,
      { members: group.members.join(","), leader: group.leaderId ?? "-" },
    ]),
  );
}

Deno.test("kv: keys on many slots, set and read through every node, survive a restart", async () => {
  const plan = await planTestCluster(3);
  let nodes = await startTestCluster(plan, ["--slots", "16"]);
  let clients = nodes.map(redisClient);
  try {
    await waitForLeader(nodes);
    // Every node hosts every slot group (3 replicas of 3 members) and they elect leaders.
    await eventually("16 slot groups with a leader on every node", async () => {
      for (const redis of clients) {
        const groups = await slotGroups(redis);
        if (groups.size !== 16) return false;
        if ([...groups.values()].some((group) => group.members !== "n1,n2,n3")) return false;
        if ([...groups.values()].some((group) => group.leader === "-")) return false;
      }
      return true;
    }, 20_000);
    const keys = Array.from({ length: 40 }, (_, i) => `key:${i}`);
    const slots = new Set(
      await Promise.all(keys.map((key) => clients[0]!.call("CLUSTER", "KEYSLOT", key))),
    );
    assert.ok(slots.size >= 10, `40 keys fall on ${slots.size} of 16 slots`);
    for (const [i, key] of keys.entries()) {
      const writer = clients[i % 3]!;
      assert.equal(await retry(() => writer.set(key, `value-${i}`)), "OK");
    }
    for (const [i, key] of keys.entries()) {
      const reader = clients[(i + 1) % 3]!;
      assert.equal(await retry(() => reader.get(key)), `value-${i}`, `read ${key}`);
    }
    // Multi-key commands are split by slot and gathered on the node the client talks to.
    const all = await retry(() => clients[2]!.mget(...keys, "missing"));
    assert.deepEqual(all, [...keys.map((_, i) => `value-${i}`), null]);
    assert.equal(await retry(() => clients[1]!.exists(...keys.slice(0, 10), "missing")), 10);
    assert.equal(await retry(() => clients[0]!.mset("m:a", "1", "m:b", "2", "m:c", "3")), "OK");
    assert.deepEqual(await retry(() => clients[2]!.mget("m:a", "m:b", "m:c")), ["1", "2", "3"]);
    assert.equal(await retry(() => clients[1]!.del("m:a", "m:c", "missing")), 2);
    assert.equal(await retry(() => clients[0]!.set("nx", "1", "NX")), "OK");
    assert.equal(await retry(() => clients[1]!.set("nx", "2", "NX")), null);
    assert.equal(await retry(() => clients[2]!.get("nx")), "1");
    // Expiry: decided by the slot leader, replicated; PTTL counts down on the leader's clock.
    assert.equal(await retry(() => clients[0]!.set("ttl", "x", "PX", "400")), "OK");
    const left = await retry(() => clients[1]!.pttl("ttl"));
    assert.ok(left > 0 && left <= 400, `pttl ${left}`);
    assert.equal(await retry(() => clients[2]!.pttl("nx")), -1);
    await eventually("the key expired on every node", async () => {
      for (const redis of clients) {
        if (await retry(() => redis.get("ttl")) !== null) return false;
      }
      return true;
    }, 5_000);
    assert.equal(await retry(() => clients[0]!.pttl("ttl")), -2);
    // Values over --max-bulk-bytes are refused before they reach a slot.
    const info = await clients[0]!.info("keyspace");
    assert.match(info, /kv_slots_hosted:16/);
    assert.match(await clients[1]!.info("slots"), /slots_hosted:16\r\nslots_led:\d+/);

    // Restart every node: the slot groups come back from the node log with their values.
    for (const redis of clients) redis.disconnect();
    await Promise.all(nodes.map((node) => stopTestNode(node)));
    nodes = await Promise.all(plan.ids.map((id) => startTestNode(plan, id, ["--slots", "16"])));
    clients = nodes.map(redisClient);
    await waitForLeader(nodes);
    const again = await retry(() => clients[1]!.mget(...keys), 20_000);
    assert.deepEqual(again, keys.map((_, i) => `value-${i}`));
    assert.equal(await retry(() => clients[0]!.get("m:b")), "2");
    assert.equal(await retry(() => clients[2]!.get("m:a")), null);
  } finally {
    for (const redis of clients) redis.disconnect();
    await stopTestCluster(nodes, plan);
  }
});

// Both ways to the store: through the cache (the default) and straight (`--cache off`).
for (const cache of ["on", "off"]) {
  Deno.test(`kv: a value over --max-bulk-bytes is refused (--cache ${cache})`, async () => {
    await bulkLimitRefused(cache);
  });
}

async function bulkLimitRefused(cache: string): Promise<void> {
  const plan = await planTestCluster(1);
  const nodes = await startTestCluster(plan, ["--max-bulk-bytes", "1000", "--cache", cache]);
  const redis = redisClient(nodes[0]!);
  try {
    await waitForLeader(nodes);
    assert.equal(await retry(() => redis.set("small", "x".repeat(1000))), "OK");
    await assert.rejects(redis.set("big", "x".repeat(1001)));
    const again = redisClient(nodes[0]!);
    try {
      assert.equal(await retry(() => again.get("big")), null);
      assert.equal((await retry(() => again.get("small")))?.length, 1000);
      // The reads went through the cache's lines only when it is on.
      const stats = await again.call("CACHE.STATS") as Array<string | number>;
      const misses = Number(stats[stats.indexOf("misses") + 1]);
      assert.ok(cache === "on" ? misses > 0 : misses === 0, `${misses} misses, --cache ${cache}`);
    } finally {
      again.disconnect();
    }
  } finally {
    redis.disconnect();
    await stopTestCluster(nodes, plan);
  }
}
