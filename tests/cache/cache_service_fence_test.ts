import assert from "node:assert/strict";
import type { PeerMessage } from "../../protocol/peer/mod.ts";
import { CACHE_TIMING_DEFAULT, type FenceMessage } from "../../src/cache/mod.ts";
import { cacheFrameOf, cacheMessagesOf } from "../../src/cache_service/cache_frames.ts";
import type { CacheService } from "../../src/cache_service/cache_service.ts";
import { fakeCacheService } from "../helpers/fake_cache_service.ts";

const KEY = new Uint8Array([0x6b]);
/** The lease bound of the default timing: 2,000 + 500 ms. */
const BOUND_MS = CACHE_TIMING_DEFAULT.leaseMs + CACHE_TIMING_DEFAULT.holderMarginMs;

/** A service on node b whose clock, membership and sent frames the test controls. */
function service(members: string[]) {
  const clock = { nowMs: 0 };
  const sent: Array<{ to: string; frame: PeerMessage }> = [];
  const cache = fakeCacheService({
    nodeId: "b",
    maxEntries: 8,
    slotCount: () => 4,
    homeOf: () => "a", // the old home, as this node still believes
    send: (to, frame) => {
      sent.push({ to, frame });
      return true;
    },
    isUp: () => true,
    memberIds: () => members,
    nowMs: () => clock.nowMs,
  });
  return { cache, clock, sent };
}

/** Gives node b a line of `slot` granted by the old home a in epoch 1. */
function holdLine(cache: CacheService, slot: number, nowMs: number): void {
  const decision = cache.node.read(KEY, slot, nowMs);
  assert.equal(decision.kind, "request");
  cache.node.takeMessages();
  cache.node.receive({
    type: "grant",
    slot,
    epoch: 1,
    requestId: decision.kind === "request" ? decision.requestId : 0,
    key: KEY,
    state: "E",
    grantSeq: 1,
    value: null,
    ttlRemainingMs: null,
    leaseMs: CACHE_TIMING_DEFAULT.leaseMs,
    applied: true,
  }, nowMs);
  assert.equal(cache.node.stateOf(KEY, nowMs), "E");
}

function fenceFrom(nodes: string[], slot = 0): PeerMessage {
  const fence: FenceMessage = { type: "fence", slot, epoch: 2, nodes };
  return cacheFrameOf(fence);
}

/** The nodes FenceAcks went to, once the messages queued in this turn have left. */
async function acksSent(sent: Array<{ to: string; frame: PeerMessage }>): Promise<string[]> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  return sent.flatMap(({ to, frame }) =>
    (cacheMessagesOf(frame) ?? []).filter((m) => m.type === "fenceAck").map(() => to)
  );
}

Deno.test("cache service fence: a node that knows every node of the set acks to the fence's sender", async () => {
  const { cache, clock, sent } = service(["a", "b", "c"]);
  cache.tick();
  clock.nowMs = BOUND_MS;
  cache.tick();
  holdLine(cache, 0, clock.nowMs);
  cache.onFrame("c", fenceFrom(["a", "b", "c"]));
  assert.equal(cache.node.stateOf(KEY, clock.nowMs), "I");
  assert.deepEqual(await acksSent(sent), ["c"], "to the new home c, not to a");
  assert.equal(cache.stats.fencesAcked, 1);
});

Deno.test("cache service fence: a node that knows a node outside the set drops its lines, no ack", async () => {
  const { cache, clock, sent } = service(["a", "b", "c", "d"]);
  cache.tick();
  clock.nowMs = BOUND_MS;
  cache.tick();
  holdLine(cache, 0, clock.nowMs);
  cache.onFrame("c", fenceFrom(["a", "b", "c"])); // the home has not heard of d
  assert.equal(cache.node.stateOf(KEY, clock.nowMs), "I", "the older line goes anyway");
  assert.deepEqual(await acksSent(sent), []);
  assert.equal(cache.stats.fencesNotAcked, 1);
});

Deno.test("cache service fence: a node that left recently, or a young watch, blocks the ack", async () => {
  const members = ["a", "b", "c", "d"];
  const { cache, clock, sent } = service(members);
  cache.tick();
  clock.nowMs = BOUND_MS - 1;
  cache.tick();
  cache.onFrame("c", fenceFrom(["a", "b", "c", "d"]));
  assert.deepEqual(await acksSent(sent), [], "watched for less than the bound");
  clock.nowMs = BOUND_MS + 10;
  members.pop(); // d removed: it may still hold a line for one bound
  cache.tick();
  cache.onFrame("c", fenceFrom(["a", "b", "c"], 1));
  assert.deepEqual(await acksSent(sent), []);
  cache.onFrame("c", fenceFrom(["a", "b", "c", "d"], 2));
  assert.deepEqual(await acksSent(sent), ["c"]);
  clock.nowMs += BOUND_MS + 1;
  cache.tick(); // d forgotten
  cache.onFrame("c", fenceFrom(["a", "b", "c"], 3));
  assert.deepEqual(await acksSent(sent), ["c", "c"]);
});
