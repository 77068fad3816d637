import assert from "node:assert/strict";
import { CacheHome, type StoreRequest } from "../../src/cache/cache_home.ts";
import { CacheNode } from "../../src/cache/cache_node.ts";
import type { CacheTiming } from "../../src/cache/limits.ts";
import type {
  HomeToNodeMessage,
  NodeToHomeMessage,
  RenewGrantMessage,
  RenewRequestMessage,
} from "../../src/cache/types.ts";

/** Lease 800 ms: due at 200 ms in, one walk per 100 ms, lines used in the last 400 ms. */
const TIMING: CacheTiming = {
  leaseMs: 800,
  holderMarginMs: 200,
  expiryMarginMs: 10,
  writeBackMs: 50,
};
const encoder = new TextEncoder();
const key = (name: string) => encoder.encode(name);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function newNode(maxEntries = 10_000): CacheNode {
  return new CacheNode({
    writeMode: "through",
    timing: TIMING,
    maxBytes: 64 << 20,
    maxEntries,
    requestIdStart: 1,
  });
}

/** Gives `node` a line of `name` in `slot` (grant `grantSeq`, epoch 1) requested at `nowMs`. */
function grantLine(node: CacheNode, name: string, slot: number, grantSeq: number, nowMs: number) {
  const decision = node.read(key(name), slot, nowMs);
  assert.equal(decision.kind, "request");
  node.receive({
    type: "grant",
    slot,
    epoch: 1,
    requestId: decision.requestId,
    key: key(name),
    state: "S",
    grantSeq,
    value: encoder.encode("v"),
    ttlRemainingMs: null,
    leaseMs: TIMING.leaseMs,
    applied: true,
  }, nowMs);
  node.takeMessages();
}

function renewRequests(node: CacheNode): RenewRequestMessage[] {
  return node.takeMessages().filter((m): m is RenewRequestMessage => m.type === "renewRequest");
}

function grantOf(
  request: RenewRequestMessage,
  refused: number[],
  leaseMs = TIMING.leaseMs,
): RenewGrantMessage {
  const { slot, epoch, requestId } = request;
  return { type: "renewGrant", slot, epoch, requestId, leaseMs, refused };
}

/** The node's lease end of `name` as seen through liveness: the last instant it still answers. */
function answersAt(node: CacheNode, name: string, nowMs: number): boolean {
  return node.stateOf(key(name), nowMs) !== "I";
}

Deno.test("slot renewal: one request per slot with that slot's recently used lines", () => {
  const node = newNode();
  grantLine(node, "a1", 1, 1, 0);
  grantLine(node, "a2", 1, 2, 0);
  grantLine(node, "b1", 2, 3, 0);
  grantLine(node, "old", 2, 4, 0);
  // At 500: "old" was last used at 0 (more than half a lease ago); the others are hit now.
  for (const name of ["old", "a1", "b1", "a2"]) node.hitLine(key(name), name === "old" ? 0 : 500);
  assert.equal(node.renewLines(500), 2);
  const requests = renewRequests(node).sort((x, y) => x.slot - y.slot);
  assert.deepEqual(
    requests.map((r) => [r.slot, r.epoch, r.lines.map((l) => [text(l.key), l.grantSeq])]),
    [[1, 1, [["a2", 2], ["a1", 1]]], [2, 1, [["b1", 3]]]],
  );
  // A line not a quarter into its lease is not due, whatever its use.
  const fresh = newNode();
  grantLine(fresh, "f", 1, 1, 0);
  assert.equal(fresh.hitLine(key("f"), 199) !== null, true);
  assert.equal(fresh.renewDue(fresh.hitLine(key("f"), 199)!, 199), false);
  assert.equal(fresh.renewDue(fresh.hitLine(key("f"), 200)!, 200), true);
});

Deno.test("slot renewal: a request holds at most 512 lines and 256 KiB of keys", () => {
  const node = newNode();
  for (let i = 0; i < 600; i++) grantLine(node, `k${i}`, 7, i + 1, 0);
  assert.equal(node.renewLines(300), 2);
  assert.deepEqual(renewRequests(node).map((r) => r.lines.length).sort((a, b) => a - b), [88, 512]);

  const big = newNode();
  const bigKey = (i: number) => `${i}`.padStart(4096, "x");
  for (let i = 0; i < 70; i++) grantLine(big, bigKey(i), 7, i + 1, 0);
  assert.equal(big.renewLines(300), 2);
  const sizes = renewRequests(big).map((r) => r.lines.reduce((n, l) => n + l.key.length, 0));
  assert.deepEqual(sizes.sort((a, b) => a - b), [6 * 4096, 64 * 4096]);
});

Deno.test("slot renewal: refused lines keep their lease; the others end a lease after sending", () => {
  const node = newNode();
  grantLine(node, "a", 1, 1, 0);
  grantLine(node, "b", 1, 2, 0);
  grantLine(node, "c", 1, 3, 0);
  assert.equal(node.renewLines(300), 1);
  const [request] = renewRequests(node);
  const refusedIndex = request!.lines.findIndex((l) => text(l.key) === "b");
  node.receive(grantOf(request!, [refusedIndex]), 350);
  assert.equal(answersAt(node, "b", 799), true);
  assert.equal(answersAt(node, "b", 800), false, "refused: still the first lease");
  assert.equal(answersAt(node, "a", 1099), true);
  assert.equal(answersAt(node, "a", 1100), false, "renewed from the send (300) + 800");
  assert.equal(answersAt(node, "c", 1099), true);
  // leaseMs 0 (a home that could not confirm its lead) renews nothing.
  const other = newNode();
  grantLine(other, "a", 1, 1, 0);
  other.renewLines(300);
  const [failed] = renewRequests(other);
  other.receive(grantOf(failed!, [0], 0), 350);
  assert.equal(answersAt(other, "a", 800), false);
});

Deno.test("slot renewal: a grant for a line replaced or revoked meanwhile extends nothing", () => {
  const node = newNode();
  grantLine(node, "a", 1, 1, 0);
  grantLine(node, "b", 1, 2, 0);
  node.renewLines(300);
  const [request] = renewRequests(node);
  // "a" is invalidated and granted again (grant 5, requested at 320); "b" is invalidated.
  node.receive({ type: "invalidate", slot: 1, epoch: 1, key: key("a"), upToSeq: 2 }, 310);
  node.receive({ type: "invalidate", slot: 1, epoch: 1, key: key("b"), upToSeq: 2 }, 310);
  node.takeMessages();
  grantLine(node, "a", 1, 5, 320);
  assert.equal(answersAt(node, "b", 310), false);
  node.receive(grantOf(request!, []), 400);
  assert.equal(answersAt(node, "a", 1119), true);
  assert.equal(answersAt(node, "a", 1120), false, "the new grant's own lease, not the renewal's");
  assert.equal(answersAt(node, "b", 400), false, "a revoked line is not brought back");
  // A grant of an older epoch renews nothing either.
  const stale = newNode();
  grantLine(stale, "a", 1, 1, 0);
  stale.renewLines(300);
  const [old] = renewRequests(stale);
  stale.observeEpoch(1, 2, 310);
  stale.receive({ ...grantOf(old!, []), epoch: 1 }, 320);
  assert.equal(answersAt(stale, "a", 320), false);
});

Deno.test("slot renewal: one walk per eighth of a lease; a line has one renewal out at a time", () => {
  const node = newNode();
  grantLine(node, "a", 1, 1, 0);
  grantLine(node, "b", 1, 2, 150);
  assert.equal(node.renewLines(300), 1, "a is due");
  assert.deepEqual(renewRequests(node)[0]!.lines.map((l) => text(l.key)), ["a"]);
  node.hitLine(key("b"), 360);
  assert.equal(node.renewLines(360), 0, "within 100 ms of the last walk");
  const line = node.hitLine(key("b"), 399)!;
  assert.equal(node.renewDue(line, 399), false, "the hit path sees the throttle too");
  assert.equal(node.renewLines(400), 1, "b is due now; a is still out");
  assert.deepEqual(renewRequests(node)[0]!.lines.map((l) => text(l.key)), ["b"]);
  node.hitLine(key("a"), 500);
  assert.equal(node.renewLines(500), 0, "a's renewal is still out");
});

Deno.test("slot renewal: a renewal unanswered for a lease is dropped; its lines go again", () => {
  const node = newNode();
  grantLine(node, "a", 1, 1, 0);
  node.renewLines(300);
  const [lost] = renewRequests(node);
  node.hitLine(key("a"), 700);
  node.tick(1099);
  assert.equal(node.renewLines(700), 0, "still out at 700");
  // Not answered by 300 + 800: dropped. The line lapsed at 800 meanwhile, so get a new one.
  node.tick(1100);
  grantLine(node, "a", 1, 2, 1100);
  node.receive(grantOf(lost!, []), 1150); // the late answer is for a dropped renewal
  assert.equal(answersAt(node, "a", 1899), true);
  assert.equal(answersAt(node, "a", 1900), false, "the late answer renewed nothing");
  node.hitLine(key("a"), 1400);
  assert.equal(node.renewLines(1400), 1);
  // abandon (no home to send it to) frees the lines at once.
  const [unsent] = renewRequests(node);
  node.abandon(unsent!.requestId);
  node.hitLine(key("a"), 1500);
  assert.equal(node.renewLines(1500), 1);
});

/** A home with n1 holding "k" in S (grant 1 at 0) and n2 holding "j" in S (grant 2 at 0). */
function homeWithHolders(): { home: CacheHome; store: StoreRequest[] } {
  const home = new CacheHome(1, 1, -10_000, TIMING);
  const store: StoreRequest[] = [];
  const serve = (from: string, name: string, requestId: number) => {
    home.receive(from, { type: "readRequest", slot: 1, requestId, key: key(name) }, 0);
    for (const request of home.takeStoreRequests()) {
      home.storeDone(
        request.token,
        { ok: true, value: null, ttlRemainingMs: null, applied: true },
        0,
      );
    }
    home.takeMessages();
  };
  serve("n1", "k", 1);
  serve("n2", "j", 2);
  return { home, store };
}

function renewAt(
  home: CacheHome,
  from: string,
  lines: Array<[string, number]>,
  nowMs: number,
  led = true,
): HomeToNodeMessage[] {
  const message: NodeToHomeMessage = {
    type: "renewRequest",
    slot: 1,
    epoch: 1,
    requestId: 9,
    lines: lines.map(([name, grantSeq]) => ({ key: key(name), grantSeq })),
  };
  home.receive(from, message, nowMs);
  const barriers = home.takeStoreRequests();
  assert.deepEqual(barriers.map((b) => b.kind), ["barrier"]);
  assert.deepEqual(home.takeMessages(), [], "nothing is answered before the barrier");
  const result = led
    ? { ok: true as const, value: null, ttlRemainingMs: null, applied: true }
    : { ok: false as const, reason: "notLeader" as const };
  home.storeDone(barriers[0]!.token, result, nowMs);
  return home.takeMessages().map((out) => out.message);
}

Deno.test("slot renewal at the home: refuses other grants, lapsed records, open revocations", () => {
  const { home } = homeWithHolders();
  // n1 holds k under grant 1, not j; grant 7 of k is not the one it holds.
  const [answer] = renewAt(home, "n1", [["k", 1], ["j", 2], ["k", 7]], 300);
  assert.deepEqual(answer, {
    type: "renewGrant",
    slot: 1,
    epoch: 1,
    requestId: 9,
    leaseMs: 800,
    refused: [1, 2],
  });
  // The record of k now lapses 800 + 200 after the answer at 300.
  assert.equal(home.holdersOf(key("k")).get("n1")!.lapseAtMs, 1300);
  // After the record lapsed (n2's j at 0 + 800 + 200), it is refused.
  const [late] = renewAt(home, "n2", [["j", 2]], 1000);
  assert.deepEqual((late as RenewGrantMessage).refused, [0]);

  // A write of k by n2: its Invalidate to n1 is open, so n1's renewal of k is refused.
  home.receive("n2", {
    type: "exclusiveRequest",
    slot: 1,
    requestId: 3,
    key: key("k"),
    write: { value: encoder.encode("w"), ttlMs: null, condition: "always" },
  }, 1010);
  assert.equal(home.takeMessages()[0]?.message.type, "invalidate");
  const [revoking] = renewAt(home, "n1", [["k", 1]], 1020);
  assert.deepEqual((revoking as RenewGrantMessage).refused, [0]);
  assert.equal(home.holdersOf(key("k")).get("n1")!.lapseAtMs, 1300, "not extended");
});

Deno.test("slot renewal at the home: refuses a key with the node's own request open", () => {
  const { home } = homeWithHolders();
  home.receive("n1", { type: "readRequest", slot: 1, requestId: 4, key: key("k") }, 100);
  home.takeStoreRequests(); // the read's store access stays out: n1's request is open
  const [answer] = renewAt(home, "n1", [["k", 1]], 200);
  assert.deepEqual((answer as RenewGrantMessage).refused, [0]);
});

Deno.test("slot renewal at the home: a failed barrier or another epoch renews nothing", () => {
  const { home } = homeWithHolders();
  const [failed] = renewAt(home, "n1", [["k", 1]], 300, false);
  assert.deepEqual(failed, {
    type: "renewGrant",
    slot: 1,
    epoch: 1,
    requestId: 9,
    leaseMs: 0,
    refused: [0],
  });
  assert.equal(home.holdersOf(key("k")).get("n1")!.lapseAtMs, 1000);
  // Another epoch is answered at once, without a barrier.
  home.receive("n1", {
    type: "renewRequest",
    slot: 1,
    epoch: 2,
    requestId: 10,
    lines: [{ key: key("k"), grantSeq: 1 }],
  }, 310);
  assert.deepEqual(home.takeStoreRequests(), []);
  assert.deepEqual(home.takeMessages().map((out) => out.message), [{
    type: "renewGrant",
    slot: 1,
    epoch: 1,
    requestId: 10,
    leaseMs: 0,
    refused: [0],
  }]);
});
