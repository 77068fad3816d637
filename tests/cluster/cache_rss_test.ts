/**
 * The node's memory stays flat (RSS, /proc/PID/status VmRSS) under a workload ten times the
 * cache's capacity: 3 real nodes with `--cache-max-entries` and `--cache-max-bytes` set small, and
 * a real redis-server (started here on a free 127.0.0.1 port, stopped by PID) as the store of
 * record.
 *
 * What makes it honest:
 * - The backend: without it the slot groups' replicated store keeps every value written, so a
 *   node's RSS grows with the distinct keys whatever the cache does. With it the values live in
 *   Redis, and what a node keeps of them is its cache lines (and, at the homes, the directory).
 * - A long lease: a node drops a line once its lease lapses, so with the default 2 s lease a
 *   workload longer than a lease stays flat even without the bounds. Here the measured workload
 *   runs well within one lease (asserted), so only the bounds can keep the lines out.
 * - A primed process: the first heavy traffic through a fresh node raises its RSS by tens of MiB
 *   (V8's young generation and old-space limit grow, the allocator keeps freed pages) whatever is
 *   retained. A new home grants no line for a lease after it starts, so that wait is spent
 *   reading keys put into Redis directly through the node (served, nothing cached) until every
 *   slot's home grants lines; then three capacities are written and read (the first fills the
 *   cache, the others prime the write path) before the baseline.
 *
 * The workload (distinct keys, each written then read back) goes through the node that leads the
 * fewest slots, so most keys have their home on another node and their lines come from there.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  stopTestCluster,
  type TestClusterPlan,
  type TestNode,
} from "../helpers/node_harness.ts";
import {
  HAS_REDIS_SERVER,
  type RedisServer,
  startRedisServer,
  stopRedisServer,
} from "../helpers/redis_server.ts";
import { waitForLeader } from "../helpers/resp_call.ts";
import { redisClient, retrying } from "../helpers/redis_retry.ts";
import { cacheInfoField, cacheStats } from "../helpers/cache_info.ts";
import { slotLeaders } from "../helpers/slot_groups.ts";
import { keySlot } from "../../src/placement/key_slot.ts";
import { rssBytes } from "../../bench/load/process_memory.ts";

const SLOT_COUNT = 8;
/** Lines per node (`--cache-max-entries`). */
const MAX_ENTRIES = 500;
/** Line bytes per node (`--cache-max-bytes`): 500 lines of this test take 96% of it. */
const MAX_BYTES = 8 * 1024 * 1024;
/** Bytes of every value: a line is key + value + 96 bytes of accounting, about 16.1 KB. */
const VALUE_BYTES = 16_000;
/** Distinct keys of the measured workload: ten times the entries (and about ten times the bytes). */
const WORKLOAD_KEY_COUNT = MAX_ENTRIES * 10;
/** Keys written and read before the baseline: one capacity fills the cache, two more prime. */
const WARM_KEY_COUNT = MAX_ENTRIES * 3;
/** Keys put into Redis directly and read through the node while the homes start. */
const PRIME_KEY_COUNT = 2_000;
/** The lease of every line: longer than the workload and its sampling (asserted). */
const LEASE_MS = 25_000;
/** Commands in flight at once on the one client connection. */
const IN_FLIGHT_MAX = 200;
/** Quiet time before RSS is sampled, then samples taken this far apart. */
const SETTLE_MS = 1_000;
const SAMPLE_COUNT = 3;
const SAMPLE_GAP_MS = 200;
/**
 * RSS growth allowed on the workload node between the two samplings: six times the cache's byte
 * bound (48 MiB). Holding the workload's lines instead of evicting them keeps 4,500 lines more than
 * the capacity, 72 MB (69 MiB) of line bytes, on top of the noise; the broken variants measured
 * +109 MiB (bounds raised 100x) and +129.5 MiB (no eviction). The allowance leaves room for V8 heap
 * and allocator noise, measured -2 to 34 MiB on a loaded machine (34.2 in one CI run, which failed
 * the earlier 32 MiB allowance; docs/cache.md).
 */
const GROWTH_MAX_BYTES = 6 * MAX_BYTES;
/**
 * RSS growth allowed on the homes: they hold no lines, only directory entries, and their RSS is
 * still climbing toward its plateau as the writes begin (measured -5 to 30 MiB, with or without the
 * bounds). Loose: a home keeping every value it committed (its share of the 80 MB) might stay under
 * it; this catches gross growth at the homes only.
 */
const HOME_GROWTH_MAX_BYTES = 6 * MAX_BYTES;

function slotOf(key: string): number {
  return keySlot(new TextEncoder().encode(key), SLOT_COUNT);
}

/** The value stored under `key`: the key, then padding to VALUE_BYTES. */
function valueOf(key: string): string {
  return `${key}:`.padEnd(VALUE_BYTES, "v");
}

/** Runs `run` for every key, at most IN_FLIGHT_MAX at a time. */
async function forEachKey(keys: string[], run: (key: string) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < keys.length) await run(keys[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT_MAX, keys.length) }, worker));
}

/** Reads every key through `redis` and checks its value (refusals that applied nothing retried). */
async function readAll(redis: Redis, keys: string[]): Promise<void> {
  await forEachKey(keys, async (key) => {
    const value = await retrying(() => redis.get(key), 20_000);
    assert.ok(value === valueOf(key), `GET ${key} returned the value written`);
  });
}

/** Writes then reads back every key through `redis`. */
async function writeThenRead(redis: Redis, keys: string[]): Promise<void> {
  await forEachKey(keys, async (key) => {
    assert.equal(await retrying(() => redis.set(key, valueOf(key)), 20_000), "OK");
  });
  await readAll(redis, keys);
}

/** After SETTLE_MS, SAMPLE_COUNT readings of VmRSS of each pid, SAMPLE_GAP_MS apart. */
async function sampleRss(pids: number[]): Promise<number[][]> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const samples: number[][] = pids.map(() => []);
  for (let round = 0; round < SAMPLE_COUNT; round++) {
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, SAMPLE_GAP_MS));
    for (const [index, pid] of pids.entries()) samples[index]!.push(await rssBytes(pid));
  }
  return samples;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

/** One key of every slot (probes of when each slot's home grants lines). */
function keyPerSlot(): string[] {
  const keys = new Map<number, string>();
  for (let i = 0; keys.size < SLOT_COUNT; i++) {
    const key = `probe:${i}`;
    if (!keys.has(slotOf(key))) keys.set(slotOf(key), key);
  }
  return [...keys.values()];
}

/** The cluster of this test, its clients, and each slot's leader. */
interface RssCluster {
  nodes: TestNode[];
  clients: Redis[];
  leaders: Map<number, string>;
}

/** Starts 3 nodes on `redisPort` as backend (appending to `cluster`) and waits for every slot. */
async function startCluster(
  plan: TestClusterPlan,
  redisPort: number,
  cluster: RssCluster,
): Promise<void> {
  cluster.nodes.push(
    ...await startTestCluster(plan, [
      ...["--slots", String(SLOT_COUNT), "--cache-backend", `redis://127.0.0.1:${redisPort}`],
      ...["--cache-max-entries", String(MAX_ENTRIES), "--cache-max-bytes", String(MAX_BYTES)],
      ...["--cache-lease-ms", String(LEASE_MS)],
    ]),
  );
  cluster.clients.push(...cluster.nodes.map(redisClient));
  await waitForLeader(cluster.nodes);
  const first = cluster.clients[0]!;
  await eventually("every slot group has a leader", async () => {
    cluster.leaders = await slotLeaders(first);
    const ids = [...cluster.leaders.values()];
    return ids.length === SLOT_COUNT && ids.every((id) => id !== "-");
  }, 20_000);
  await eventually("the backend connected", async () => {
    return (await cacheInfoField(first, "cache_backend_connected")) === 1;
  }, 10_000);
}

/** Reads `prime` through `redis` in passes until every probe (one per slot) gets a line. */
async function primeUntilHomesGrant(redis: Redis, prime: string[], probes: string[]) {
  const startedMs = performance.now();
  for (let passes = 1;; passes++) {
    await readAll(redis, prime);
    await readAll(redis, probes);
    const states = await Promise.all(probes.map((key) => redis.call("CACHE.STATE", key)));
    if (states.every((state) => state !== "I")) {
      return { passes, ms: performance.now() - startedMs };
    }
    assert.ok(performance.now() - startedMs < LEASE_MS + 20_000, "every home grants lines");
  }
}

Deno.test({
  name: "cache: node RSS stays flat under ten times the cache's capacity",
  ignore: !HAS_REDIS_SERVER,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const redisDir = await Deno.makeTempDir({ prefix: "dsync-rss-" });
    let server: RedisServer | null = null;
    let direct: Redis | null = null;
    const plan = await planTestCluster(3);
    const cluster: RssCluster = { nodes: [], clients: [], leaders: new Map() };
    try {
      server = await startRedisServer(redisDir);
      direct = new Redis({ port: server.port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
      const prime = Array.from({ length: PRIME_KEY_COUNT }, (_, i) => `prime:${i}`);
      const probes = keyPerSlot();
      const planted = direct.pipeline();
      for (const key of [...prime, ...probes]) planted.set(key, valueOf(key));
      await planted.exec();
      await startCluster(plan, server.port, cluster);
      const { nodes, clients, leaders } = cluster;

      // The node leading the fewest slots: most keys' lines come from another node.
      const led = nodes.map((node) => [...leaders.values()].filter((id) => id === node.id).length);
      const index = led.indexOf(Math.min(...led));
      const redis = clients[index]!;
      const workload = Array.from({ length: WORKLOAD_KEY_COUNT }, (_, i) => `rss:${i}`);
      const remote = workload.filter((key) => leaders.get(slotOf(key)) !== nodes[index]!.id);
      assert.ok(remote.length >= WORKLOAD_KEY_COUNT / 2, `${remote.length} keys on remote homes`);
      const priming = await primeUntilHomesGrant(redis, prime, probes);

      await writeThenRead(redis, Array.from({ length: WARM_KEY_COUNT }, (_, i) => `warm:${i}`));
      const pids = [...nodes.map((each) => each.process.pid), server.child.pid];
      const before = await sampleRss(pids);
      const statsBefore = await cacheStats(redis);
      const messagesBefore = await cacheInfoField(redis, "cache_messages_sent");
      const startedMs = performance.now();
      await writeThenRead(redis, workload);
      const workloadMs = performance.now() - startedMs;
      const statsAfter = await cacheStats(redis);
      const after = await sampleRss(pids);
      const measuredMs = performance.now() - startedMs;

      const names = [...nodes.map((each) => each.id), "redis-server"];
      const growth = names.map((_, i) => median(after[i]!) - median(before[i]!));
      for (const [i, name] of names.entries()) {
        console.log(
          `${name}${i === index ? " (workload)" : ""}: RSS MiB before [${
            before[i]!.map(mib).join(" ")
          }] after [${after[i]!.map(mib).join(" ")}] growth ${mib(growth[i]!)}`,
        );
      }
      const delta = (name: string) => statsAfter.get(name)! - statsBefore.get(name)!;
      // Messages, not frames: the messages for one node in one turn share a frame (CacheBundle).
      const messagesSent = await cacheInfoField(redis, "cache_messages_sent") - messagesBefore;
      console.log(
        `priming: ${priming.passes} passes, ${
          priming.ms.toFixed(0)
        } ms; workload: ${workload.length} keys x ${VALUE_BYTES} B (${remote.length} on remote homes) in ${
          workloadMs.toFixed(0)
        } ms, to the last sample ${measuredMs.toFixed(0)} ms; evictions ${
          delta("evictions")
        }, misses ${delta("misses")}, cache messages sent ${messagesSent}; entries ${
          statsAfter.get("entries")
        }, bytes ${statsAfter.get("bytes")}`,
      );

      // Every line of the workload was still under lease when sampled: only the bounds evicted.
      assert.ok(measuredMs < LEASE_MS, `workload to last sample took ${measuredMs} ms`);
      assert.ok(
        growth[index]! < GROWTH_MAX_BYTES,
        `workload node RSS grew by ${growth[index]} bytes (allowed ${GROWTH_MAX_BYTES})`,
      );
      for (const [i, each] of nodes.entries()) {
        assert.ok(
          i === index || growth[i]! < HOME_GROWTH_MAX_BYTES,
          `home ${each.id} RSS grew by ${growth[i]} bytes (allowed ${HOME_GROWTH_MAX_BYTES})`,
        );
        const stats = await cacheStats(clients[i]!);
        assert.ok(
          stats.get("entries")! <= MAX_ENTRIES,
          `${each.id} entries ${stats.get("entries")}`,
        );
        assert.ok(stats.get("bytes")! <= MAX_BYTES, `${each.id} bytes ${stats.get("bytes")}`);
      }
      // The instrument sees retained data: Redis keeps every value of the workload.
      const valueBytes = WORKLOAD_KEY_COUNT * VALUE_BYTES;
      assert.ok(growth[nodes.length]! > valueBytes / 2, `redis-server RSS grew ${growth[3]}`);
      // Every line the workload brought in pushed an older one out; the reads missed and
      // fetched their lines (most from other nodes).
      assert.ok(delta("evictions") >= WORKLOAD_KEY_COUNT, `${delta("evictions")} evictions`);
      assert.ok(delta("misses") >= WORKLOAD_KEY_COUNT - MAX_ENTRIES, `${delta("misses")} misses`);
      assert.ok(messagesSent >= remote.length, `${messagesSent} cache messages sent`);
    } finally {
      for (const client of cluster.clients) client.disconnect();
      direct?.disconnect();
      await stopTestCluster(cluster.nodes, plan);
      if (server !== null) await stopRedisServer(server);
      await Deno.remove(redisDir, { recursive: true }).catch(() => {});
    }
  },
});
