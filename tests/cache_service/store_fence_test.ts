/**
 * CacheHomes with a store that fences homes itself (`CacheStore.fence`, Redis): a new home is
 * made only once the store is fenced for its term, a refused fence makes no home in that term,
 * and a failed one is tried again after a pause.
 */
import assert from "node:assert/strict";
import { CACHE_TIMING_DEFAULT, type HomeToNodeMessage } from "../../src/cache/mod.ts";
import { CacheHomes, type CacheStore } from "../../src/cache_service/cache_homes.ts";
import type { RaftHost } from "../../src/consensus/raft_host.ts";
import { Logger } from "../../src/log/logger.ts";

const KEY = new TextEncoder().encode("k");

/** Node n1 leading slot 0 in `world.term`, over a store whose fences the test answers. */
function homesOf() {
  const world = {
    nowMs: 0,
    term: 7,
    fences: [] as Array<{ epoch: number; answer: (raised: boolean | Error) => void }>,
    reads: [] as number[],
    delivered: [] as HomeToNodeMessage[],
  };
  const host = {
    get leading() {
      return true;
    },
    core: {
      get term() {
        return world.term;
      },
    },
    status: () => ({ confState: { voters: ["n1"], learners: [] } }),
  } as unknown as RaftHost<unknown>;
  const store: CacheStore = {
    readKey: (_slot, _key, epoch) => {
      world.reads.push(epoch);
      return Promise.resolve({ value: null, ttlRemainingMs: null });
    },
    writeKey: () => Promise.reject(new Error("no writes here")),
    fence: (_slot, epoch) =>
      new Promise((resolve, reject) => {
        world.fences.push({
          epoch,
          answer: (raised) => raised instanceof Error ? reject(raised) : resolve(raised),
        });
      }),
  };
  const homes = new CacheHomes({
    timing: CACHE_TIMING_DEFAULT,
    slotHost: (slot) => slot === 0 ? host : undefined,
    slotHosts: () => [[0, host]],
    store,
    leaderBarrier: () => Promise.resolve(),
    deliver: (_to, message) => world.delivered.push(message),
    nowMs: () => world.nowMs,
    logger: new Logger({ level: "error", format: "text", sink: () => {} }),
    nodeId: "n1",
    fenceNodes: () => null,
    isMember: () => true,
  });
  const read = () => homes.receive("n2", { type: "readRequest", slot: 0, requestId: 1, key: KEY });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { homes, world, read, settle };
}

Deno.test("cache homes: no home until the store is fenced for its term, then its reads carry it", async () => {
  const { homes, world, read, settle } = homesOf();
  homes.tick();
  homes.tick();
  assert.deepEqual(world.fences.map((f) => f.epoch), [7], "one fence at a time");
  assert.equal(homes.size, 0);
  read(); // refused: not a home here yet
  assert.deepEqual(world.delivered.map((m) => [m.type, m.epoch]), [["refuse", 0]]);
  world.fences[0]!.answer(true);
  await settle();
  assert.equal(homes.size, 1);
  assert.equal(homes.stats.storeFences, 1);
  read();
  await settle();
  assert.deepEqual(world.reads, [7]);
  homes.stop();
});

Deno.test("cache homes: a refused store fence makes no home in that term; a new term fences again", async () => {
  const { homes, world, settle } = homesOf();
  homes.tick();
  world.fences[0]!.answer(false); // a newer home fenced the store first
  await settle();
  world.nowMs += 1_000;
  homes.tick();
  assert.equal(homes.size, 0);
  assert.equal(world.fences.length, 1, "a refused term is not fenced again");
  world.term = 9;
  homes.tick();
  assert.deepEqual(world.fences.map((f) => f.epoch), [7, 9]);
  world.fences[1]!.answer(true);
  await settle();
  assert.equal(homes.size, 1);
  homes.stop();
});

Deno.test("cache homes: a store fence that failed is tried again after a pause", async () => {
  const { homes, world, settle } = homesOf();
  homes.tick();
  world.fences[0]!.answer(new Error("backend unavailable"));
  await settle();
  world.nowMs += 100;
  homes.tick();
  assert.equal(world.fences.length, 1, "not again at once");
  world.nowMs += 150;
  homes.tick();
  assert.equal(world.fences.length, 2);
  world.fences[1]!.answer(true);
  await settle();
  assert.equal(homes.size, 1);
  homes.stop();
});
