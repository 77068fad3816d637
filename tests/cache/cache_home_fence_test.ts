import assert from "node:assert/strict";
import { CacheHome, type FenceAckMessage } from "../../src/cache/mod.ts";

// A new home at t=0 waits for old leases until 1250 (lease 1000 + margin 250) unless fenced.
const TIMING = { leaseMs: 1000, holderMarginMs: 250, expiryMarginMs: 50, writeBackMs: 100 };
const KEY = new Uint8Array([1]);
const WRITE = { value: new Uint8Array([5]), ttlMs: null, condition: "always" as const };
const EPOCH = 4;

function ack(epoch = EPOCH, slot = 0): FenceAckMessage {
  return { type: "fenceAck", slot, epoch };
}

/** A home of epoch 4 made at t=0, fenced over a, b, c, with a write from a queued at t=1. */
function fencedHomeWithWrite(): CacheHome {
  const home = new CacheHome(0, EPOCH, 0, TIMING);
  home.fence(["a", "b", "c"], 0);
  const fences = home.takeMessages();
  assert.deepEqual(fences.map((m) => m.to), ["a", "b", "c"]);
  for (const { message } of fences) {
    assert.deepEqual(message, { type: "fence", slot: 0, epoch: EPOCH, nodes: ["a", "b", "c"] });
  }
  home.receive("a", { type: "exclusiveRequest", slot: 0, requestId: 1, key: KEY, write: WRITE }, 1);
  assert.deepEqual(home.takeStoreRequests(), [], "held back by the startup rule");
  return home;
}

Deno.test("cache home fence: the last ack ends the startup wait and starts the held write", () => {
  const home = fencedHomeWithWrite();
  home.receive("a", ack(), 10);
  home.receive("c", ack(), 11);
  assert.deepEqual(home.takeStoreRequests(), []);
  assert.ok(home.starting(12));
  home.receive("b", ack(), 12);
  assert.ok(!home.starting(12));
  const [commit] = home.takeStoreRequests();
  assert.equal(commit?.kind, "commit");
  home.storeDone(commit.token, {
    ok: true,
    value: WRITE.value,
    ttlRemainingMs: null,
    applied: true,
  }, 13);
  const [grant] = home.takeMessages();
  assert.ok(grant?.message.type === "grant");
  assert.equal(grant.message.state, "M");
  assert.equal(grant.message.leaseMs, TIMING.leaseMs, "a full lease: the wait is over");
  // A read after the fence gets a real line (E), not the lease-0 answer of the startup wait.
  home.receive("b", { type: "readRequest", slot: 0, requestId: 2, key: new Uint8Array([2]) }, 14);
  const [read] = home.takeStoreRequests();
  home.storeDone(read!.token, { ok: true, value: null, ttlRemainingMs: null, applied: true }, 15);
  const [readGrant] = home.takeMessages();
  assert.ok(readGrant?.message.type === "grant");
  assert.deepEqual([readGrant.message.state, readGrant.message.leaseMs], ["E", TIMING.leaseMs]);
});

Deno.test("cache home fence: with one ack missing the write waits the whole lease bound", () => {
  const home = fencedHomeWithWrite();
  home.receive("a", ack(), 10);
  home.receive("b", ack(), 11);
  home.tick(1249);
  assert.deepEqual(home.takeStoreRequests(), [], "c never acked: wait for the old leases");
  assert.ok(home.starting(1249));
  home.tick(1250);
  assert.equal(home.takeStoreRequests()[0]?.kind, "commit");
});

Deno.test("cache home fence: stale, duplicate and unasked acks change nothing", () => {
  const home = fencedHomeWithWrite();
  home.receive("a", ack(EPOCH - 1), 10); // an ack of an older home's fence
  home.receive("a", ack(EPOCH + 1), 10); // of a newer home's (not this one's)
  home.receive("b", ack(), 11);
  home.receive("b", ack(), 12); // duplicate
  home.receive("z", ack(), 13); // a node outside the fence set
  home.tick(100);
  assert.deepEqual(home.takeStoreRequests(), []);
  assert.ok(home.starting(100));
  home.receive("c", ack(), 101);
  assert.deepEqual(home.takeStoreRequests(), [], "a's only ack was of another epoch");
  home.receive("a", ack(), 102);
  assert.equal(home.takeStoreRequests()[0]?.kind, "commit");
});

Deno.test("cache home fence: acks after the lapse, and a home never fenced, keep the lapse rule", () => {
  const unfenced = new CacheHome(0, EPOCH, 0, TIMING);
  unfenced.receive("a", ack(), 5); // no fence running: ignored
  assert.ok(unfenced.starting(1249));
  assert.ok(!unfenced.starting(1250));
  const late = fencedHomeWithWrite();
  late.tick(1300);
  assert.equal(late.takeStoreRequests()[0]?.kind, "commit", "the lapse ended the wait");
  for (const node of ["a", "b", "c"]) late.receive(node, ack(), 1301);
  assert.ok(!late.starting(1301));
  // A fence asked after the wait is over sends nothing.
  const old = new CacheHome(0, EPOCH, 0, TIMING);
  old.fence(["a"], 2000);
  assert.deepEqual(old.takeMessages(), []);
});

Deno.test("cache home fence: the Fence is due again only for nodes that have not acked", () => {
  const home = fencedHomeWithWrite();
  home.receive("b", ack(), 10);
  assert.deepEqual(home.fencesDue(20).map((m) => [m.to, m.message.type]), [
    ["a", "fence"],
    ["c", "fence"],
  ]);
  home.receive("a", ack(), 30);
  home.receive("c", ack(), 31);
  assert.deepEqual(home.fencesDue(40), [], "every node acked");
  const lapsed = fencedHomeWithWrite();
  assert.deepEqual(lapsed.fencesDue(1250), [], "the wait is over anyway");
});
