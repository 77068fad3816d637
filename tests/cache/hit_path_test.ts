import assert from "node:assert/strict";
import { CACHE_CAPACITY_DEFAULT } from "../../src/cache/mod.ts";
import { LineStore } from "../../src/cache/line_store.ts";
import { CacheService } from "../../src/cache_service/cache_service.ts";
import { Logger } from "../../src/log/logger.ts";

const TIMING = { leaseMs: 1000, holderMarginMs: 250, expiryMarginMs: 50, writeBackMs: 100 };
const KEY = new TextEncoder().encode("k");
const VALUE = new TextEncoder().encode("v");

function line(key: Uint8Array, grantSeq: number) {
  const value = VALUE;
  const state = "S" as const;
  const leaseEndMs = 1000;
  return {
    key,
    slot: 0,
    state,
    value,
    leaseEndMs,
    expiryEndMs: null,
    epoch: 1,
    grantSeq,
    writeCount: 0,
    usedAtMs: 0,
    renewingId: null,
    ownsValue: false,
  };
}

Deno.test("line store: touchFound makes the line peekKey found the newest, once", () => {
  const store = new LineStore(1 << 20, 2);
  const a = new TextEncoder().encode("a");
  const b = new TextEncoder().encode("b");
  store.insert("a", { ...line(a, 1), dirty: null });
  store.insert("b", { ...line(b, 2), dirty: null });
  assert.equal(store.peekKey(a)?.grantSeq, 1);
  store.touchFound(); // "a" is now newest: the next insert evicts "b"
  const evicted = store.insert("c", { ...line(new TextEncoder().encode("c"), 3), dirty: null });
  assert.deepEqual(evicted?.map((l) => l.grantSeq), [2]);
  store.peekKey(a);
  store.remove("a");
  assert.throws(() => store.touchFound(), /touchFound after a peekKey hit/);
});

/**
 * A service whose clock is `clock.nowMs`, holding KEY with a lease to 1000: in S (write-through),
 * or in M (`owned`: write-back).
 */
function serviceWith(clock: { nowMs: number }, batchClock: boolean, owned = false): CacheService {
  const writeMode = owned ? "back" : "through";
  const service = new CacheService({
    nodeId: "n1",
    cache: { writeMode, timing: TIMING, ...CACHE_CAPACITY_DEFAULT, requestIdStart: 1 },
    homes: {
      slotHost: () => undefined,
      slotHosts: () => [],
      leaderBarrier: () => Promise.reject(new Error("no home here")),
      store: {
        readKey: () => Promise.reject(new Error("no store")),
        writeKey: () => Promise.reject(new Error("no store")),
      },
    },
    slotCount: () => 1,
    homeOf: () => "n2",
    quorumReachable: () => true,
    send: () => true,
    isUp: () => true,
    requestTimeoutMs: 10_000,
    tickMs: 25,
    nowMs: () => clock.nowMs,
    batchClock,
    logger: new Logger({ level: "error", format: "text", sink: () => {} }),
  });
  const decision = service.node.read(KEY, 0, 0);
  assert.equal(decision.kind, "request");
  service.node.receive({
    type: "grant",
    slot: 0,
    epoch: 1,
    requestId: 1,
    key: KEY,
    state: owned ? "M" : "S",
    grantSeq: 1,
    value: VALUE,
    ttlRemainingMs: null,
    leaseMs: TIMING.leaseMs,
    applied: true,
  }, 0);
  service.node.takeMessages();
  return service;
}

Deno.test("cache service: a hit uses the batch's clock read only on the same clock", () => {
  const clock = { nowMs: 100 };
  const shared = serviceWith(clock, true);
  assert.deepEqual(shared.hitValue(KEY, 999), VALUE); // the batch read is before the lease end
  assert.equal(shared.hitValue(KEY, 1000), undefined); // at the lease end: a miss
  assert.deepEqual(shared.hitValue(KEY), VALUE); // no batch read: its own clock (100)
  const own = serviceWith(clock, false);
  clock.nowMs = 1000;
  assert.equal(own.hitValue(KEY, 100), undefined, "another clock's reading is never used");
  clock.nowMs = 999;
  assert.deepEqual(own.hitValue(KEY, 5000), VALUE);
  assert.equal(own.node.stats(999).hits, 1);
});

Deno.test("cache service: a write-back write uses the batch's clock read only on the same clock", () => {
  const clock = { nowMs: 100 };
  const write = (value: string) => ({
    value: new TextEncoder().encode(value),
    ttlMs: null,
    condition: "always" as const,
  });
  const shared = serviceWith(clock, true, true);
  assert.equal(shared.writeHit(KEY, write("a"), 999), true); // the batch read is before the lease end
  assert.equal(shared.writeHit(KEY, write("b"), 1000), null); // at the lease end: to the home
  assert.equal(shared.writeHit(KEY, write("c")), true); // no batch read: its own clock (100)
  assert.deepEqual(shared.hitValue(KEY), new TextEncoder().encode("c"));
  const own = serviceWith(clock, false, true);
  clock.nowMs = 1000;
  assert.equal(own.writeHit(KEY, write("d"), 100), null, "another clock's reading is never used");
  clock.nowMs = 999;
  assert.equal(own.writeHit(KEY, write("e"), 5000), true);
  assert.deepEqual(own.hitValue(KEY), new TextEncoder().encode("e"));
});
