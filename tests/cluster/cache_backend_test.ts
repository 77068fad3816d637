/**
 * `--cache-backend redis://...`: a real redis-server (started here on a free 127.0.0.1 port,
 * stopped by PID) is the cache's store of record. Writes through dsync land in Redis (with their
 * TTL), a key put into Redis directly is read through on a miss, DEL removes it, a write on one
 * node is read on another, and with Redis down the nodes answer a clear `-TRYAGAIN backend
 * unavailable`, then serve again once it is back.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  stopTestCluster,
  type TestNode,
} from "../helpers/node_harness.ts";
import {
  HAS_REDIS_SERVER,
  type RedisServer,
  startRedisServer,
  stopRedisServer,
} from "../helpers/redis_server.ts";
import { waitForLeader } from "../helpers/resp_call.ts";
import { retrying } from "../helpers/redis_retry.ts";

/** Retries a refusal that applied nothing (TRYAGAIN, NOQUORUM) for up to `timeoutMs`. */
function retry<T>(run: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  return retrying(run, timeoutMs);
}

/** Long enough that a line read a moment ago is still live on a loaded machine. */
const LEASE_MS = 4_000;

function client(port: number): Redis {
  return new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0, lazyConnect: true });
}

/** The error a call fails with, or null when it succeeds. */
async function failure(run: () => Promise<unknown>): Promise<string | null> {
  try {
    await run();
    return null;
  } catch (error) {
    return String(error);
  }
}

Deno.test({
  name: "cache backend: a real Redis is the store of record behind the coherent lines",
  ignore: !HAS_REDIS_SERVER,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const redisDir = await Deno.makeTempDir({ prefix: "dsync-backend-" });
    let server: RedisServer | null = await startRedisServer(redisDir);
    const port = server.port;
    const plan = await planTestCluster(3);
    let nodes: TestNode[] = [];
    const direct = client(port);
    direct.on("error", () => {}); // reconnects by itself while the server is down
    const clients: Redis[] = [];
    try {
      nodes = await startTestCluster(plan, [
        ...["--slots", "8", "--cache-lease-ms", String(LEASE_MS)],
        ...["--cache-backend", `redis://127.0.0.1:${port}`],
      ]);
      clients.push(...nodes.map((node) => client(node.clientPort)));
      await waitForLeader(nodes);
      const [a, b, c] = clients as [Redis, Redis, Redis];

      await t.step(
        "INFO cache names the backend (the cache is on by --cache-backend)",
        async () => {
          const info = await a.info("cache");
          assert.match(
            info,
            new RegExp(`^cache_backend:redis://127\\.0\\.0\\.1:${port}\\r?$`, "m"),
          );
          await eventually("the backend connected", async () => {
            return /^cache_backend_connected:1\r?$/m.test(await a.info("cache"));
          }, 10_000);
        },
      );

      await t.step("a write through dsync is in Redis, with its TTL", async () => {
        assert.equal(await retry(() => a.set("written", "through")), "OK");
        assert.equal(await direct.get("written"), "through");
        assert.equal(await retry(() => a.set("timed", "soon", "PX", 60_000)), "OK");
        const pttl = await direct.pttl("timed");
        assert.ok(pttl > 50_000 && pttl <= 60_000, `PTTL in Redis ${pttl}`);
        assert.equal(await retry(() => a.set("timed", "other", "NX")), null);
        assert.equal(await direct.get("timed"), "soon");
        const ourPttl = await retry(() => b.pttl("timed"));
        assert.ok(ourPttl > 50_000 && ourPttl <= 60_000, `PTTL through dsync ${ourPttl}`);
      });

      await t.step("a key put into Redis directly is read through on a miss", async () => {
        await direct.set("planted", "from-redis");
        assert.equal(await c.call("CACHE.STATE", "planted"), "I");
        assert.equal(await retry(() => c.get("planted")), "from-redis");
        assert.equal(await retry(() => b.exists("planted")), 1);
      });

      await t.step("DEL through dsync removes the key from Redis", async () => {
        assert.equal(await retry(() => b.get("written")), "through");
        assert.equal(await retry(() => c.del("written")), 1);
        assert.equal(await direct.exists("written"), 0);
        assert.equal(await retry(() => b.get("written")), null);
        // A key only Redis has: DEL must reach Redis to count it and remove it.
        await direct.set("planted-del", "x");
        assert.equal(await retry(() => a.del("planted-del")), 1);
        assert.equal(await direct.exists("planted-del"), 0);
      });

      await t.step("read-after-write across nodes, readers holding the old value", async () => {
        for (let round = 0; round < 6; round++) {
          const writer = clients[round % 3]!;
          const readers = clients.filter((other) => other !== writer);
          for (const reader of readers) await retry(() => reader.get("shared"));
          const value = `v${round}`;
          assert.equal(await retry(() => writer.set("shared", value)), "OK");
          for (const reader of readers) {
            assert.equal(await retry(() => reader.get("shared")), value, `round ${round}`);
          }
          assert.equal(await direct.get("shared"), value);
        }
      });

      await t.step("Redis down: a clear TRYAGAIN; back: serves again", async () => {
        await stopRedisServer(server!);
        server = null;
        await eventually("INFO says disconnected", async () => {
          return /^cache_backend_connected:0\r?$/m.test(await a.info("cache"));
        }, 10_000);
        // A key no node holds: the miss must reach the store.
        const error = await failure(() => b.get("never-read"));
        assert.match(error ?? "", /^ReplyError: TRYAGAIN backend unavailable/);
        const writeError = await failure(() => c.set("while-down", "x"));
        assert.match(writeError ?? "", /^ReplyError: TRYAGAIN backend unavailable/);

        server = await startRedisServer(redisDir, port);
        await eventually("INFO says connected again", async () => {
          return /^cache_backend_connected:1\r?$/m.test(await a.info("cache"));
        }, 10_000);
        assert.equal(await retry(() => c.set("while-down", "after")), "OK");
        assert.equal(await direct.get("while-down"), "after");
        assert.equal(await retry(() => a.get("while-down")), "after");
      });
    } finally {
      for (const redis of [...clients, direct]) redis.disconnect();
      await stopTestCluster(nodes, plan);
      if (server !== null) await stopRedisServer(server);
      await Deno.remove(redisDir, { recursive: true }).catch(() => {});
    }
  },
});
