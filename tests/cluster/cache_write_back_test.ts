import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  stopTestCluster,
  stopTestNode,
} from "../helpers/node_harness.ts";
import { waitForLeader } from "../helpers/resp_call.ts";
import { slotLeadersPlaced } from "../helpers/slot_leaders.ts";
import { cacheInfoField, cacheStats } from "../helpers/cache_info.ts";
import { redisClient, retrying } from "../helpers/redis_retry.ts";

/** Short enough that the writes below outlast three leases of the first grant. */
const LEASE_MS = 3_000;
const KEY_COUNT = 24;
/** Writes of every key, one round every ROUND_PAUSE_MS: about three leases in all. */
const ROUNDS = 300;
const ROUND_PAUSE_MS = 30;

const keys = Array.from({ length: KEY_COUNT }, (_, i) => `wb:${i}`);

/** One SET of every key of `names`, pipelined; every reply must be OK. */
async function writeAll(redis: Redis, value: string, names: string[] = keys): Promise<void> {
  const pipeline = redis.pipeline();
  for (const key of names) pipeline.set(key, value);
  for (const [error, reply] of (await pipeline.exec())!) {
    assert.equal(error, null);
    assert.equal(reply, "OK");
  }
}

/** Refusals and unknown outcomes a repeated SET or a GET may retry. */
const RETRIED = /TRYAGAIN|NOQUORUM|TIMEOUT/;

/** Keys n2 writes in the stop test; the slots n1 leads home some of them. */
const otherKeys = Array.from({ length: KEY_COUNT }, (_, i) => `wb-n2:${i}`);

/** Writes `value` to every one of `names` through `redis` until each line is M there. */
async function ownLines(redis: Redis, names: string[], value: string): Promise<void> {
  await eventually("every key's line is M on its writer", async () => {
    for (const key of names) await retrying(() => redis.set(key, value), 30_000, RETRIED);
    const states = await Promise.all(names.map((key) => redis.call("CACHE.STATE", key)));
    return states.every((state) => state === "M");
  }, 60_000);
}

Deno.test({
  name: "cache write-back: lines written steadily stay M for many leases, write-backs batched",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const plan = await planTestCluster(3);
    const nodes = await startTestCluster(plan, [
      ...["--cache", "on", "--slots", "8", "--cache-lease-ms", String(LEASE_MS)],
      ...["--cache-write", "back", "--cache-writeback-ms", "100"],
    ]);
    const clients = nodes.map(redisClient);
    try {
      await waitForLeader(nodes);
      const [a, b] = clients as [Redis, Redis];
      // A new home grants no M before the old leases could have lapsed: wait until every
      // line is M on the writer.
      await ownLines(a, keys, "warm");
      const hitsBefore = (await cacheStats(a)).get("hits")!;
      const batchesBefore = await sumField(clients, "cache_store_batches");
      const startMs = performance.now();
      for (let round = 0; round < ROUNDS; round++) {
        await writeAll(a, `v${round}`);
        await new Promise((resolve) => setTimeout(resolve, ROUND_PAUSE_MS));
      }
      const elapsedMs = performance.now() - startMs;
      assert.ok(elapsedMs > 2 * LEASE_MS, `the writes ran for ${elapsedMs} ms`);
      // Every write was acknowledged on the line itself: no lease lapsed in between.
      assert.equal((await cacheStats(a)).get("hits")! - hitsBefore, ROUNDS * KEY_COUNT);
      for (const key of keys) assert.equal(await a.call("CACHE.STATE", key), "M", key);
      // The homes committed write-backs of several lines of a slot together.
      assert.ok(await sumField(clients, "cache_store_batches") > batchesBefore);
      // ... which went out bundled: more messages than frames.
      assert.ok((await cacheInfoField(a, "cache_write_backs_sent")) > 0);
      const localWrites = await cacheInfoField(a, "cache_local_writes");
      assert.ok(localWrites >= ROUNDS * KEY_COUNT, `${localWrites} writes acknowledged locally`);
      const framesSent = await cacheInfoField(a, "cache_frames_sent");
      assert.ok(await cacheInfoField(a, "cache_messages_sent") > 2 * framesSent);
      // A DEL on the owned line answers locally whether the key existed, as the home would.
      const [gone, ...kept] = keys as [string, ...string[]];
      assert.equal(await a.del(gone), 1);
      assert.equal(await a.del(gone), 0);
      assert.equal(await a.call("CACHE.STATE", gone), "M");
      // Another node reads the last values (the owner's dirty data reaches the home).
      assert.equal(await retrying(() => b.get(gone), 20_000), null);
      for (const key of kept) assert.equal(await retrying(() => b.get(key), 20_000), "v299");
    } finally {
      for (const redis of clients) redis.disconnect();
      await stopTestCluster(nodes, plan);
    }
  },
});

async function sumField(clients: Redis[], name: string): Promise<number> {
  let sum = 0;
  for (const redis of clients) sum += await cacheInfoField(redis, name);
  return sum;
}

/**
 * Long enough that no line lapses between its grant and the stop (a lapse sends dirty data home
 * too; the test checks none did), short because every new home waits out a lease bound: at the
 * start (a node fences only after watching the membership that long) and after n1 stops.
 */
const LONG_LEASE_MS = 8_000;

Deno.test({
  name: "cache write-back: a node stopped by SIGTERM sends its dirty lines home and takes back " +
    "the lines its homes granted",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const plan = await planTestCluster(3);
    const nodes = await startTestCluster(plan, [
      ...["--cache", "on", "--slots", "8", "--cache-lease-ms", String(LONG_LEASE_MS)],
      ...["--cache-write", "back", "--cache-writeback-ms", "60000"],
    ]);
    const clients = nodes.map(redisClient);
    try {
      await waitForLeader(nodes);
      // A leader moving now would make its new home wait out the old one's long leases.
      await slotLeadersPlaced(clients, plan.ids, 8);
      const [n1, n2, n3] = clients as [Redis, Redis, Redis];
      // Lines M on their writers: `keys` on n1, `otherKeys` on n2 (the first SETs wait until
      // the new homes may grant: see the lease).
      await ownLines(n1, keys, "warm");
      await ownLines(n2, otherKeys, "warm");
      for (const [redis, names] of [[n1, keys], [n2, otherKeys]] as const) {
        await writeAll(redis, "last", names);
        // Acknowledged on the writer alone: no write-back is due for a minute, and a line still
        // M was neither evicted nor lapsed (either would have sent its data home).
        for (const key of names) assert.equal(await redis.call("CACHE.STATE", key), "M", key);
        assert.equal(await cacheInfoField(redis, "cache_dirty_lines"), names.length);
      }
      n1.disconnect();
      const status = await stopTestNode(nodes[0]!);
      assert.equal(status.code, 0);
      // n1 sent its own lines home, and its homes took back n2's lines of the slots n1 led.
      const handedBack = nodes[0]!.lines.find((line) => line.includes("cache lines handed back"));
      const recalled = Number(/recalled=(\d+)/.exec(handedBack ?? "")?.[1] ?? 0);
      assert.ok(recalled > 0, `n1's homes held none of n2's lines: ${handedBack}`);
      assert.ok(await cacheInfoField(n2, "cache_dirty_lines") < otherKeys.length);
      // Every write reached the store before n1 exited. (The slots n1 led get new homes, which
      // wait out n1's leases before answering: a read may time out meanwhile, and is retried.)
      for (const key of [...keys, ...otherKeys]) {
        assert.equal(await retrying(() => n3.get(key), 30_000, RETRIED), "last", key);
      }
    } finally {
      for (const redis of clients) redis.disconnect();
      await stopTestCluster(nodes, plan);
    }
  },
});
