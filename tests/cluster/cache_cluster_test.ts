import assert from "node:assert/strict";
import { Redis } from "ioredis";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  stopTestCluster,
} from "../helpers/node_harness.ts";
import { waitForLeader } from "../helpers/resp_call.ts";
import { cacheInfoField, cacheStats } from "../helpers/cache_info.ts";
import { slotLeaders } from "../helpers/slot_groups.ts";
import { redisClient, retrying } from "../helpers/redis_retry.ts";

/** Retries a refusal that applied nothing (TRYAGAIN, NOQUORUM) for up to `timeoutMs`. */
function retry<T>(run: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  return retrying(run, timeoutMs);
}

/** Lines per node in this cluster: the bounded-memory step writes ten times as many keys. */
const MAX_ENTRIES = 100;
/** Long enough that a line read a moment ago is still live on a loaded machine. */
const LEASE_MS = 4_000;

Deno.test({
  name: "cache: coherent copies across three nodes, local hits, bounded lines",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const plan = await planTestCluster(3);
    const nodes = await startTestCluster(plan, [
      ...["--cache", "on", "--slots", "8", "--cache-lease-ms", String(LEASE_MS)],
      ...["--cache-max-entries", String(MAX_ENTRIES)],
    ]);
    const clients = nodes.map(redisClient);
    try {
      await waitForLeader(nodes);
      await eventually("every slot group has a leader", async () => {
        const leaders = await slotLeaders(clients[0]!);
        return leaders.size === 8 && [...leaders.values()].every((leader) => leader !== "-");
      }, 20_000);

      await t.step("read-after-write: a write on one node is read on the others", async () => {
        for (let round = 0; round < 12; round++) {
          const writer = round % 3;
          const value = `v${round}`;
          assert.equal(await retry(() => clients[writer]!.set("raw", value)), "OK");
          for (const reader of [0, 1, 2].filter((i) => i !== writer)) {
            // The readers hold the previous value in S from the last round: the write must have
            // invalidated it before it was acknowledged.
            assert.equal(
              await retry(() => clients[reader]!.get("raw")),
              value,
              `round ${round}`,
            );
          }
        }
        const stats = await cacheStats(clients[0]!);
        assert.ok(stats.get("invalidations_received")! > 0, "readers were invalidated");
      });

      await t.step(
        "CACHE.STATE: S on two readers, then M on the writer and I elsewhere",
        async () => {
          const [a, b, c] = clients as [Redis, Redis, Redis];
          assert.equal(await retry(() => a.set("state", "one")), "OK");
          assert.equal(await a.call("CACHE.STATE", "state"), "M");
          assert.equal(await retry(() => b.get("state")), "one");
          assert.equal(await retry(() => c.get("state")), "one");
          assert.equal(await b.call("CACHE.STATE", "state"), "S");
          assert.equal(await c.call("CACHE.STATE", "state"), "S");
          assert.equal(await a.call("CACHE.STATE", "state"), "S"); // downgraded by the reads
          assert.equal(await retry(() => a.set("state", "two")), "OK");
          assert.equal(await a.call("CACHE.STATE", "state"), "M");
          assert.equal(await b.call("CACHE.STATE", "state"), "I");
          assert.equal(await c.call("CACHE.STATE", "state"), "I");
          assert.equal(await retry(() => b.get("state")), "two");
        },
      );

      await t.step("a local hit does not cross the network", async () => {
        // A key whose home (slot leader) is not the reader, so a miss must send a frame.
        const reader = nodes[1]!;
        const redis = clients[1]!;
        const leaders = await slotLeaders(redis);
        let key = "";
        for (let i = 0; key === ""; i++) {
          const slot = await redis.call("CLUSTER", "KEYSLOT", `hit:${i}`) as number;
          if (leaders.get(slot) !== reader.id) key = `hit:${i}`;
        }
        assert.equal(await retry(() => clients[0]!.set(key, "hot")), "OK");
        const framesBeforeMiss = await cacheInfoField(redis, "cache_frames_sent");
        assert.equal(await retry(() => redis.get(key)), "hot");
        assert.equal(await redis.call("CACHE.STATE", key), "S");
        const before = await cacheStats(redis);
        const framesSent = await cacheInfoField(redis, "cache_frames_sent");
        const framesReceived = await cacheInfoField(redis, "cache_frames_received");
        assert.ok(framesSent > framesBeforeMiss, "the miss went to the home");
        const pipeline = redis.pipeline();
        for (let i = 0; i < 200; i++) pipeline.get(key);
        const replies = await pipeline.exec();
        assert.ok(replies !== null && replies.every(([error, value]) => !error && value === "hot"));
        const after = await cacheStats(redis);
        assert.equal(after.get("hits")! - before.get("hits")!, 200);
        assert.equal(after.get("misses"), before.get("misses"));
        assert.equal(await cacheInfoField(redis, "cache_frames_sent"), framesSent);
        assert.equal(await cacheInfoField(redis, "cache_frames_received"), framesReceived);
      });

      await t.step(
        "lines stay within --cache-max-entries under ten times as many keys",
        async () => {
          const keys = Array.from({ length: MAX_ENTRIES * 10 }, (_, i) => `bulk:${i}`);
          const redis = clients[2]!;
          const reader = clients[1]!;
          let highest = 0;
          for (let start = 0; start < keys.length; start += 50) {
            const batch = keys.slice(start, start + 50);
            const pairs = batch.flatMap((key) => [key, `value-of-${key}`]);
            assert.equal(await retry(() => redis.mset(...pairs)), "OK");
            const values = await retry(() => reader.mget(...batch));
            assert.deepEqual(values, batch.map((key) => `value-of-${key}`));
            for (const each of [redis, reader]) {
              const entries = (await cacheStats(each)).get("entries")!;
              highest = Math.max(highest, entries);
              assert.ok(entries <= MAX_ENTRIES, `${entries} lines > ${MAX_ENTRIES}`);
            }
          }
          const stats = await cacheStats(reader);
          assert.equal(stats.get("capacity_entries"), MAX_ENTRIES);
          assert.ok(stats.get("evictions")! >= keys.length - MAX_ENTRIES - 10, "LRU evicted");
          assert.ok(stats.get("bytes")! <= stats.get("capacity_bytes")!);
          assert.ok(highest > MAX_ENTRIES / 2, `the cache was used (${highest} lines at most)`);
        },
      );
    } finally {
      for (const redis of clients) redis.disconnect();
      await stopTestCluster(nodes, plan);
    }
  },
});

Deno.test({
  name: "cache write-back: a write on an owned line is acknowledged locally and read elsewhere",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const plan = await planTestCluster(3);
    const nodes = await startTestCluster(plan, [
      ...["--cache", "on", "--slots", "8", "--cache-lease-ms", String(LEASE_MS)],
      // Periodic write-backs (a frame) far apart: none falls between a local write and the
      // frame count read after it on a loaded machine; the reads below flush through forwards.
      ...["--cache-write", "back", "--cache-writeback-ms", "5000"],
    ]);
    const clients = nodes.map(redisClient);
    try {
      await waitForLeader(nodes);
      const [a, b, c] = clients as [Redis, Redis, Redis];
      assert.match(await a.info("cache"), /cache_write_mode:back/);
      // A new home grants no M before the old leases could have lapsed; a write that waited out
      // that start (longer than a lease) is acknowledged without a line. Wait for a settled home.
      await eventually("a write leaves the writer's line in M", async () => {
        await retry(() => a.set("wb", "warm"));
        return await a.call("CACHE.STATE", "wb") === "M";
      }, 30_000);
      for (let round = 0; round < 5; round++) {
        // The first write of a round goes to the home (the line was shared or invalidated).
        assert.equal(await retry(() => a.set("wb", `first-${round}`)), "OK");
        assert.equal(await a.call("CACHE.STATE", "wb"), "M");
        const framesSent = await cacheInfoField(a, "cache_frames_sent");
        const hits = (await cacheStats(a)).get("hits")!;
        // The second is acknowledged on the line itself: no frame, one more hit.
        assert.equal(await a.set("wb", `second-${round}`), "OK");
        assert.equal(await cacheInfoField(a, "cache_frames_sent"), framesSent);
        assert.equal((await cacheStats(a)).get("hits")!, hits + 1);
        // Another node reads it: the home forwards to the owner, which sends its dirty value.
        const reader = round % 2 === 0 ? b : c;
        assert.equal(await retry(() => reader.get("wb")), `second-${round}`, `round ${round}`);
        assert.equal(await a.call("CACHE.STATE", "wb"), "S");
      }
    } finally {
      for (const redis of clients) redis.disconnect();
      await stopTestCluster(nodes, plan);
    }
  },
});
