/**
 * RedisStore's epoch fence against a real redis-server (started here on a free 127.0.0.1 port,
 * stopped by PID): a home of a newer epoch fences the slot, after which every read and write of
 * an older epoch is refused before it touches the key, while the newer home's go through; a
 * fence lost with Redis's data comes back with the next access.
 */
import assert from "node:assert/strict";
import { parseCacheBackendUrl } from "../../src/config/cache_backend_url.ts";
import { ClusterError } from "../../src/consensus/cluster_error.ts";
import { Logger } from "../../src/log/logger.ts";
import { fenceKey, RedisStore } from "../../src/cache_service/redis_store.ts";
import { RespConnection } from "../../src/client/resp_connection.ts";
import { HAS_REDIS_SERVER, startRedisServer, stopRedisServer } from "../helpers/redis_server.ts";

const SLOT = 3;
const KEY = new TextEncoder().encode("fenced-key");
const set = (value: string) => ({
  value: new TextEncoder().encode(value),
  ttlMs: null,
  condition: "always" as const,
});

async function connected(store: RedisStore): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!store.connected) {
    if (performance.now() > deadline) throw new Error("RedisStore did not connect");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function rejectsAsFenced(run: () => Promise<unknown>): Promise<void> {
  await assert.rejects(run, (error: unknown) => {
    assert.ok(error instanceof ClusterError, String(error));
    assert.equal(error.code, "TRYAGAIN");
    assert.match(error.message, /newer cache home than epoch 4/);
    return true;
  });
}

Deno.test({
  name: "redis store: a newer home's fence refuses an older home's reads and writes",
  ignore: !HAS_REDIS_SERVER,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dsync-redis-fence-" });
    const server = await startRedisServer(dir);
    const url = parseCacheBackendUrl(`redis://127.0.0.1:${server.port}`);
    const logger = new Logger({ level: "error", format: "text", sink: () => {} });
    const oldHome = new RedisStore({ url, logger });
    const newHome = new RedisStore({ url, logger });
    const direct = await RespConnection.open("127.0.0.1", server.port);
    try {
      oldHome.start();
      newHome.start();
      await connected(oldHome);
      await connected(newHome);
      // Epoch 4 serves: its write lands and reads back with the value.
      assert.equal(await oldHome.fence(SLOT, 4), true);
      assert.equal((await oldHome.writeKey(SLOT, KEY, set("v4"), 4)).kind, "written");
      assert.deepEqual(await oldHome.readKey(SLOT, KEY, 4), {
        value: new TextEncoder().encode("v4"),
        ttlRemainingMs: null,
      });
      // Epoch 5 fences the slot: epoch 4 can neither read nor write any more.
      assert.equal(await newHome.fence(SLOT, 5), true);
      await rejectsAsFenced(() => oldHome.readKey(SLOT, KEY, 4));
      await rejectsAsFenced(() => oldHome.writeKey(SLOT, KEY, set("late"), 4));
      assert.equal(await oldHome.fence(SLOT, 4), false);
      assert.equal(oldHome.stats.fenced, 3); // the read, the write and the fence
      const written = await newHome.writeKey(SLOT, KEY, { ...set("v5"), ttlMs: 60_000 }, 5);
      assert.equal(written.kind === "written" && written.applied, true);
      const read = await newHome.readKey(SLOT, KEY, 5);
      assert.deepEqual(read.value, new TextEncoder().encode("v5"));
      assert.ok(read.ttlRemainingMs !== null && read.ttlRemainingMs <= 60_000);
      // NX on a present key and DEL report whether they applied.
      const nx = await newHome.writeKey(SLOT, KEY, { ...set("nx"), condition: "ifMissing" }, 5);
      assert.equal(nx.kind === "written" && nx.applied, false);
      const del = await newHome.writeKey(SLOT, KEY, { ...set("x"), value: null }, 5);
      assert.equal(del.kind === "written" && del.applied, true);
      assert.deepEqual(await newHome.readKey(SLOT, KEY, 5), { value: null, ttlRemainingMs: null });
      // Another slot has its own fence.
      assert.equal(await oldHome.fence(SLOT + 1, 4), true);
      // A fence Redis lost (FLUSHALL, a restart without persistence) is raised again by the next
      // access of the newest home; the older one is refused again from then on.
      await direct.call(["FLUSHALL"]);
      assert.deepEqual(await newHome.readKey(SLOT, KEY, 5), { value: null, ttlRemainingMs: null });
      const fence = await direct.call(["GET", fenceKey(SLOT)]);
      assert.deepEqual(fence, { type: "bulk", value: new TextEncoder().encode("5") });
      await rejectsAsFenced(() => oldHome.readKey(SLOT, KEY, 4));
    } finally {
      direct.close();
      oldHome.stop();
      newHome.stop();
      await stopRedisServer(server);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "redis store: scripts go by SHA-1; a server without them (SCRIPT FLUSH) gets the text once",
  ignore: !HAS_REDIS_SERVER,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dsync-redis-scripts-" });
    const server = await startRedisServer(dir);
    const url = parseCacheBackendUrl(`redis://127.0.0.1:${server.port}`);
    const logger = new Logger({ level: "error", format: "text", sink: () => {} });
    const home = new RedisStore({ url, logger });
    const direct = await RespConnection.open("127.0.0.1", server.port);
    /** Calls of `command` the server counted (INFO commandstats). */
    const calls = async (command: string): Promise<number> => {
      const info = await direct.call(["INFO", "commandstats"]);
      const text = info.type === "bulk" ? new TextDecoder().decode(info.value) : "";
      return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(text)?.[1] ?? 0);
    };
    try {
      home.start();
      await connected(home);
      assert.equal(await home.fence(SLOT, 1), true); // the first of each script: NOSCRIPT, EVAL
      for (let i = 0; i < 10; i++) {
        assert.equal((await home.writeKey(SLOT, KEY, set(`v${i}`), 1)).kind, "written");
      }
      assert.equal(home.stats.scriptsSent, 2, "the fence and the write script, once each");
      assert.equal(await calls("eval"), 2);
      assert.equal(await calls("evalsha"), 11, "every call, the two refused included");
      // Scripts flushed: the next call of each is answered NOSCRIPT (nothing ran) and resent.
      await direct.call(["SCRIPT", "FLUSH"]);
      assert.equal((await home.writeKey(SLOT, KEY, set("after"), 1)).kind, "written");
      assert.deepEqual((await home.readKey(SLOT, KEY, 1)).value, new TextEncoder().encode("after"));
      assert.equal(home.stats.scriptsSent, 4);
      assert.equal(await calls("eval"), 4);
    } finally {
      direct.close();
      home.stop();
      await stopRedisServer(server);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
