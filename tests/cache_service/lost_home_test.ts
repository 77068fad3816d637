import assert from "node:assert/strict";
import type { PeerMessage } from "../../protocol/peer/mod.ts";
import type { CacheWrite } from "../../src/cache/mod.ts";
import { cacheMessagesOf } from "../../src/cache_service/cache_frames.ts";
import { ClusterError } from "../../src/consensus/cluster_error.ts";
import { fakeCacheService } from "../helpers/fake_cache_service.ts";

const text = new TextEncoder();
const SET_V: CacheWrite = { value: text.encode("v"), ttlMs: null, condition: "always" };

/** A node n1 whose cache asks homes on other nodes; time, homes and silences are the test's. */
function nodeOf() {
  const world = {
    nowMs: 0,
    home: "n2" as string | null,
    silent: new Set<string>(),
    down: new Set<string>(),
    sent: [] as Array<{ to: string; type: string; requestId: number }>,
  };
  const service = fakeCacheService({
    nodeId: "n1",
    maxEntries: 1_000,
    slotCount: () => 16,
    homeOf: () => world.home,
    send: (to: string, frame: PeerMessage) => {
      // Every message, bundled or not.
      for (const message of cacheMessagesOf(frame) ?? []) {
        if ("requestId" in message) {
          world.sent.push({ to, type: message.type, requestId: message.requestId });
        }
      }
      return true;
    },
    isUp: (id) => !world.down.has(id),
    silent: (id) => world.silent.has(id),
    nowMs: () => world.nowMs,
  });
  /** Advances the clock by `ms` and runs the service's timer once. */
  const tick = async (ms: number) => {
    world.nowMs += ms;
    service.tick();
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return { service, world, tick };
}

/** Settles `promise` into its value or the ClusterError it rejected with. */
function outcome<T>(promise: Promise<T>): Promise<T | ClusterError> {
  return promise.catch((error) => error as ClusterError);
}

Deno.test("a write at a home that went silent and was replaced fails at once with TIMEOUT (outcome unknown)", async () => {
  const { service, world, tick } = nodeOf();
  const write = outcome(service.write(text.encode("k"), SET_V));
  await tick(25);
  assert.deepEqual(world.sent.map(({ to, type }) => [to, type]), [["n2", "exclusiveRequest"]]);
  world.home = "n3";
  world.silent.add("n2");
  await tick(25);
  const result = await write;
  assert.ok(result instanceof ClusterError);
  assert.equal(result.code, "TIMEOUT");
  assert.match(result.message, /may or may not apply/);
  assert.equal(world.sent.length, 1, "a write of unknown outcome is not sent again");
  assert.equal(service.stats.requestsHomeLost, 1);
  service.stop();
});

Deno.test("a read at a home that went silent and was replaced asks the new home", async () => {
  const { service, world, tick } = nodeOf();
  const read = outcome(service.read(text.encode("k")));
  await tick(25);
  world.home = "n3";
  world.silent.add("n2");
  for (let i = 0; i < 4 && world.sent.length < 2; i++) await tick(25);
  assert.deepEqual(world.sent.map(({ to, type }) => [to, type]), [
    ["n2", "readRequest"],
    ["n3", "readRequest"],
  ]);
  service.stop();
  assert.ok((await read) instanceof ClusterError, "stopped before n3 answered");
});

Deno.test("a replaced home that still talks keeps its requests; a home marked down loses them", async () => {
  const { service, world, tick } = nodeOf();
  const write = outcome(service.write(text.encode("k"), SET_V));
  await tick(25);
  world.home = "n3";
  for (let i = 0; i < 10; i++) await tick(25);
  assert.equal(service.stats.requestsHomeLost, 0, "a talking old home answers itself");
  world.down.add("n2");
  await tick(25);
  const result = await write;
  assert.ok(result instanceof ClusterError);
  assert.equal(result.code, "TIMEOUT");
  service.stop();
});
