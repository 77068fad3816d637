import assert from "node:assert/strict";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  stopTestCluster,
} from "../helpers/node_harness.ts";
import { waitForLeader } from "../helpers/resp_call.ts";
import { cacheStats } from "../helpers/cache_info.ts";
import { slotLeaders } from "../helpers/slot_groups.ts";
import { redisClient, retrying } from "../helpers/redis_retry.ts";

const SLOTS = 8;
/** A short lease, so that the test spans several of them. */
const LEASE_MS = 800;
const KEYS = Array.from({ length: 40 }, (_, i) => `hot:${i}`);
/** How long the keys are read over and over: six leases. */
const READ_MS = 6 * LEASE_MS;
/** Pause between two rounds of reads of every key. */
const ROUND_PAUSE_MS = 40;

Deno.test({
  name: "cache: hot lines stay live through slot renewals, one request per slot at a time",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const plan = await planTestCluster(3);
    const nodes = await startTestCluster(plan, [
      ...["--cache", "on", "--slots", String(SLOTS), "--cache-lease-ms", String(LEASE_MS)],
    ]);
    const clients = nodes.map(redisClient);
    try {
      await waitForLeader(nodes);
      await eventually("every slot group has a leader", async () => {
        const leaders = await slotLeaders(clients[0]!);
        return leaders.size === SLOTS && [...leaders.values()].every((leader) => leader !== "-");
      }, 20_000);
      for (const key of KEYS) {
        assert.equal(await retrying(() => clients[0]!.set(key, `v-${key}`), 20_000), "OK");
      }
      const reader = clients[1]!;
      const readAll = async () => {
        const values = await retrying(() => reader.mget(...KEYS), 20_000);
        assert.deepEqual(values, KEYS.map((key) => `v-${key}`));
      };
      await readAll(); // warm-up: every key becomes a line on the reader
      await readAll();
      const before = await cacheStats(reader);
      const startedMs = performance.now();
      let rounds = 0;
      while (performance.now() - startedMs < READ_MS) {
        await readAll();
        rounds++;
        await new Promise((resolve) => setTimeout(resolve, ROUND_PAUSE_MS));
      }
      const elapsedMs = performance.now() - startedMs;
      const after = await cacheStats(reader);
      const misses = after.get("misses")! - before.get("misses")!;
      const hits = after.get("hits")! - before.get("hits")!;
      const renewals = after.get("renewals")! - before.get("renewals")!;
      let barriers = 0;
      for (const client of clients) barriers += (await cacheStats(client)).get("store_barriers")!;
      const halfLeases = elapsedMs / (LEASE_MS / 2);
      console.log(
        `${rounds} rounds of ${KEYS.length} keys in ${Math.round(elapsedMs)} ms: ${hits} hits, ` +
          `${misses} misses, ${renewals} RenewRequests (${halfLeases.toFixed(1)} half leases, ` +
          `${SLOTS} slots), ${barriers} home barriers`,
      );
      // Without renewals every line lapses once per lease: about 6 misses per key.
      assert.ok(misses < KEYS.length, `${misses} misses after warm-up`);
      assert.ok(hits >= (rounds - 1) * KEYS.length - misses, `${hits} hits`);
      // One request per slot per renewal, a renewal at most every quarter lease per line; per-key
      // renewals would send about one per key per half lease (40 keys, 5 per slot).
      const renewalsMax = Math.ceil(2 * SLOTS * (halfLeases + 1));
      assert.ok(renewals > 0, "the reader renewed its lines");
      assert.ok(renewals <= renewalsMax, `${renewals} RenewRequests, at most ${renewalsMax}`);
      assert.ok(barriers > 0, "homes confirmed their lead before answering");
    } finally {
      for (const client of clients) client.disconnect();
      await stopTestCluster(nodes, plan);
    }
  },
});
