import assert from "node:assert/strict";
import { CacheHome, type StoreRequest } from "../../src/cache/mod.ts";

const TIMING = { leaseMs: 1000, holderMarginMs: 250, expiryMarginMs: 50, writeBackMs: 100 };
const KEY = new Uint8Array([1]);
const WRITE = { value: new Uint8Array([5]), ttlMs: null, condition: "always" as const };

function serveRead(home: CacheHome, from: string, requestId: number, nowMs: number): void {
  home.receive(from, { type: "readRequest", slot: 0, requestId, key: KEY }, nowMs);
  const [read] = home.takeStoreRequests();
  assert.equal(read?.kind, "read");
  home.storeDone(read.token, { ok: true, value: null, ttlRemainingMs: null, applied: true }, nowMs);
}

function only(requests: StoreRequest[]): StoreRequest {
  assert.equal(requests.length, 1);
  return requests[0]!;
}

Deno.test("cache home: a write waits for every sharer's ack or lapse before it commits", () => {
  const home = new CacheHome(0, 1, -10_000, TIMING);
  serveRead(home, "a", 1, 0);
  home.receive("b", { type: "readRequest", slot: 0, requestId: 1, key: KEY }, 0);
  assert.deepEqual(home.takeStoreRequests(), []); // a holds E: forward first
  const forward = home.takeMessages().find((m) => m.message.type === "forward");
  assert.equal(forward?.to, "a");
  home.receive("a", {
    type: "invalidateAck",
    slot: 0,
    epoch: 1,
    key: KEY,
    upToSeq: 1,
    keptShared: true,
    dirty: null,
  }, 1);
  const [read] = home.takeStoreRequests();
  home.storeDone(read!.token, { ok: true, value: null, ttlRemainingMs: null, applied: true }, 1);
  assert.deepEqual([...home.holdersOf(KEY)].map(([n, h]) => [n, h.state]).sort(), [["a", "S"], [
    "b",
    "S",
  ]]);
  home.takeMessages();
  home.receive("c", { type: "exclusiveRequest", slot: 0, requestId: 1, key: KEY, write: WRITE }, 2);
  assert.deepEqual(home.takeMessages().map((m) => [m.to, m.message.type]).sort(), [[
    "a",
    "invalidate",
  ], ["b", "invalidate"]]);
  home.receive("a", {
    type: "invalidateAck",
    slot: 0,
    epoch: 1,
    key: KEY,
    upToSeq: 2,
    keptShared: false,
    dirty: null,
  }, 3);
  home.tick(1249); // b's grant was sent at 1: lapses at 1 + 1000 + 250
  assert.deepEqual(home.takeStoreRequests(), []);
  home.tick(1251);
  const commit = only(home.takeStoreRequests());
  assert.equal(commit.kind, "commit");
  home.storeDone(commit.token, {
    ok: true,
    value: WRITE.value,
    ttlRemainingMs: null,
    applied: true,
  }, 1252);
  const [granted] = home.takeMessages();
  assert.equal(granted?.message.type === "grant" ? granted.message.state : null, "M");
  // The M holder's next write skips the invalidation round.
  home.receive(
    "c",
    { type: "exclusiveRequest", slot: 0, requestId: 2, key: KEY, write: WRITE },
    1300,
  );
  assert.deepEqual(home.takeMessages(), []);
  assert.equal(only(home.takeStoreRequests()).kind, "commit");
});

Deno.test("cache home: a new home grants no write and no line until old leases have lapsed", () => {
  const home = new CacheHome(0, 2, 1000, TIMING);
  serveRead(home, "a", 1, 1000);
  const [answer] = home.takeMessages();
  assert.equal(answer?.message.type === "grant" ? answer.message.leaseMs : null, 0);
  assert.equal(home.holdersOf(KEY).size, 0);
  home.receive(
    "b",
    { type: "exclusiveRequest", slot: 0, requestId: 1, key: KEY, write: WRITE },
    1001,
  );
  home.tick(2249);
  assert.deepEqual(home.takeStoreRequests(), []);
  home.tick(2250);
  assert.equal(only(home.takeStoreRequests()).kind, "commit");
});

Deno.test("cache home: a failed store access refuses the request with notLeader", () => {
  const home = new CacheHome(0, 1, -10_000, TIMING);
  home.receive("a", { type: "readRequest", slot: 0, requestId: 4, key: KEY }, 0);
  home.storeDone(only(home.takeStoreRequests()).token, { ok: false, reason: "notLeader" }, 1);
  const [refuse] = home.takeMessages();
  assert.deepEqual(
    refuse?.message.type === "refuse" ? [refuse.message.requestId, refuse.message.reason] : null,
    [4, "notLeader"],
  );
});

Deno.test("cache home: a released home invalidates every line it granted", () => {
  const home = new CacheHome(0, 3, -10_000, TIMING);
  serveRead(home, "a", 1, 0); // E: the only holder
  home.receive("b", { type: "readRequest", slot: 0, requestId: 1, key: KEY }, 1);
  const ack = { type: "invalidateAck", slot: 0, epoch: 3, key: KEY, upToSeq: 1 } as const;
  home.receive("a", { ...ack, keptShared: true, dirty: null }, 2); // forwarded: a keeps S
  const ok = { ok: true, value: null, ttlRemainingMs: null, applied: true } as const;
  home.storeDone(only(home.takeStoreRequests()).token, ok, 3);
  home.takeMessages();
  assert.deepEqual([...home.holdersOf(KEY).keys()].sort(), ["a", "b"]);
  const released = home.release();
  assert.deepEqual(
    released.map(({ to, message }) => [to, message.type, message.epoch]).sort(),
    [["a", "invalidate", 3], ["b", "invalidate", 3]],
  );
  for (const { message } of released) {
    assert.equal(message.type === "invalidate" ? message.upToSeq : null, 2); // both grants
  }
  assert.equal(home.holdersOf(KEY).size, 0);
  assert.equal(home.invalidationsSent, 3); // the forward to a, then the two invalidations
});
