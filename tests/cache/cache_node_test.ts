import assert from "node:assert/strict";
import {
  CacheNode,
  type CacheNodeOptions,
  type FenceMessage,
  type GrantMessage,
} from "../../src/cache/mod.ts";

const TIMING = { leaseMs: 1000, holderMarginMs: 250, expiryMarginMs: 50, writeBackMs: 100 };
const KEY = new Uint8Array([1]);

function node(extra: Partial<CacheNodeOptions> = {}): CacheNode {
  return new CacheNode({
    writeMode: "through",
    timing: TIMING,
    maxBytes: 1 << 20,
    maxEntries: 8,
    ...extra,
  });
}

function grant(requestId: number, extra: Partial<GrantMessage> = {}): GrantMessage {
  return {
    type: "grant",
    slot: 0,
    epoch: 1,
    requestId,
    key: KEY,
    state: "S",
    grantSeq: 1,
    value: new Uint8Array([7]),
    ttlRemainingMs: null,
    leaseMs: TIMING.leaseMs,
    applied: true,
    ...extra,
  };
}

Deno.test("cache node: the lease counts from the request's send time; a lapsed line misses", () => {
  const n = node();
  const miss = n.read(KEY, 0, 100);
  assert.equal(miss.kind, "request");
  assert.equal(n.takeMessages()[0]?.type, "readRequest");
  const done = n.receive(grant(1), 400);
  assert.deepEqual(done, [{
    requestId: 1,
    kind: "read",
    value: new Uint8Array([7]),
    ttlRemainingMs: null,
  }]);
  assert.equal(n.read(KEY, 0, 1099).kind, "hit");
  assert.equal(n.stateOf(KEY, 1099), "S");
  assert.equal(n.read(KEY, 0, 1100).kind, "request"); // 100 + 1000: lapsed, not 400 + 1000
});

Deno.test("cache node: a line drops expiryMarginMs before the home's TTL deadline", () => {
  const n = node();
  n.read(KEY, 0, 0);
  n.receive(grant(1, { ttlRemainingMs: 500 }), 10);
  assert.equal(n.read(KEY, 0, 449).kind, "hit");
  assert.equal(n.read(KEY, 0, 450).kind, "request");
});

Deno.test("cache node: a grant revoked before it arrives answers the read but is not cached", () => {
  const n = node();
  n.read(KEY, 0, 0);
  n.takeMessages();
  n.receive({ type: "invalidate", slot: 0, epoch: 1, key: KEY, upToSeq: 3 }, 5);
  assert.equal(n.takeMessages()[0]?.type, "invalidateAck");
  assert.equal(n.receive(grant(1, { grantSeq: 3 }), 6).length, 1);
  assert.equal(n.stateOf(KEY, 7), "I");
});

Deno.test("cache node: older epochs are ignored, a newer epoch drops older lines", () => {
  const n = node();
  n.read(KEY, 0, 0);
  n.receive(grant(1, { epoch: 2 }), 1);
  assert.equal(n.stateOf(KEY, 2), "S");
  n.receive({ type: "invalidate", slot: 0, epoch: 1, key: KEY, upToSeq: 9 }, 3);
  assert.equal(n.stateOf(KEY, 4), "S");
  assert.deepEqual(n.takeMessages().filter((m) => m.type === "invalidateAck"), []);
  n.receive({
    type: "writeBackAck",
    slot: 0,
    epoch: 3,
    key: new Uint8Array([2]),
    grantSeq: 1,
    writeVersion: 1,
    accepted: true,
    leaseMs: 0,
  }, 5);
  assert.equal(n.stateOf(KEY, 6), "I");
});

Deno.test("cache node: the LRU evicts the least recent line past maxEntries and says so", () => {
  const n = node({ maxEntries: 2 });
  for (let k = 1; k <= 3; k++) {
    const key = new Uint8Array([k]);
    const d = n.read(key, 0, 0);
    assert.equal(d.kind, "request");
    n.receive(grant(k, { key, grantSeq: k }), 1);
  }
  const evicts = n.takeMessages().filter((m) => m.type === "evict");
  assert.deepEqual(evicts.map((m) => [...m.key]), [[1]]);
  assert.equal(n.stats(2).evictions, 1);
  assert.equal(n.stateOf(new Uint8Array([1]), 2), "I");
  assert.equal(n.stateOf(new Uint8Array([3]), 2), "S");
});

Deno.test("cache node: write-back writes an E line locally, sends it after writeBackMs, ack cleans", () => {
  const n = node({ writeMode: "back" });
  n.read(KEY, 0, 0);
  n.receive(grant(1, { state: "E" }), 1);
  n.takeMessages();
  const write = { value: new Uint8Array([9]), ttlMs: null, condition: "always" as const };
  assert.deepEqual(n.write(KEY, 0, write, 10), { kind: "done", applied: true });
  assert.equal(n.stateOf(KEY, 11), "M");
  n.tick(109);
  assert.deepEqual(n.takeMessages(), []);
  n.tick(110);
  const [wb] = n.takeMessages();
  assert.equal(wb?.type, "writeBack");
  assert.deepEqual(wb.type === "writeBack" ? wb.dirty.value : null, new Uint8Array([9]));
  n.receive({
    type: "writeBackAck",
    slot: 0,
    epoch: 1,
    key: KEY,
    grantSeq: 1,
    writeVersion: 1,
    accepted: true,
    leaseMs: 0,
  }, 120);
  n.tick(400);
  assert.deepEqual(n.takeMessages(), []); // clean now: nothing more to send
  assert.equal(n.read(KEY, 0, 401).kind, "hit");
});

Deno.test("cache node: a newer term of the slot's own group drops the slot's older lines", () => {
  const n = node();
  n.read(KEY, 0, 0);
  n.receive(grant(1, { epoch: 2 }), 1);
  n.observeEpoch(1, 5, 2); // another slot: no effect
  n.observeEpoch(0, 2, 3); // the line's own term: still trusted
  assert.equal(n.stateOf(KEY, 4), "S");
  n.observeEpoch(0, 3, 5);
  assert.equal(n.stateOf(KEY, 6), "I");
});

Deno.test("cache node: an answer of an older epoch completes its request without a line", () => {
  const n = node();
  n.read(KEY, 0, 0);
  n.observeEpoch(0, 4, 1);
  assert.deepEqual(n.receive(grant(1, { epoch: 3 }), 2), [{
    requestId: 1,
    kind: "read",
    value: new Uint8Array([7]),
    ttlRemainingMs: null,
  }]);
  assert.equal(n.stateOf(KEY, 3), "I");
  n.write(KEY, 0, { value: new Uint8Array([8]), ttlMs: null, condition: "always" }, 4);
  const refuse = { type: "refuse", slot: 0, epoch: 3, requestId: 2, key: KEY } as const;
  assert.deepEqual(n.receive({ ...refuse, reason: "notLeader" }, 5), [
    { requestId: 2, kind: "refused", reason: "notLeader" },
  ]);
  assert.equal(n.write(KEY, 0, WRITE_8, 6).kind, "request"); // nothing left pending
});

const WRITE_8 = { value: new Uint8Array([8]), ttlMs: null, condition: "always" as const };

Deno.test("cache node: request ids count from requestIdStart and wrap after 2^53 - 1", () => {
  const n = node({ requestIdStart: Number.MAX_SAFE_INTEGER });
  const first = n.read(KEY, 0, 0);
  assert.deepEqual(first, { kind: "request", requestId: Number.MAX_SAFE_INTEGER });
  assert.deepEqual(n.receive(grant(Number.MAX_SAFE_INTEGER, { leaseMs: 0 }), 1).length, 1);
  assert.deepEqual(n.read(KEY, 0, 2), { kind: "request", requestId: 0 });
  assert.throws(() => node({ requestIdStart: -1 }), /requestIdStart/);
});

Deno.test("cache node: a fence drops older lines, is acked, and an older grant after it installs nothing", () => {
  const n = node();
  const other = new Uint8Array([2]);
  n.read(KEY, 0, 0);
  n.receive(grant(1, { epoch: 2 }), 1);
  n.read(other, 0, 2); // request 2 still out when the fence comes
  n.takeMessages();
  assert.equal(n.stateOf(KEY, 3), "S");
  const fence: FenceMessage = { type: "fence", slot: 0, epoch: 3, nodes: ["a", "b"] };
  assert.deepEqual(n.receive(fence, 4), []);
  assert.equal(n.stateOf(KEY, 5), "I", "the older line is gone before the ack goes out");
  assert.deepEqual(n.takeMessages(), [{ type: "fenceAck", slot: 0, epoch: 3 }]);
  // The old home's grant for request 2 arrives after the ack: it answers, caches nothing.
  const late = n.receive(grant(2, { epoch: 2, key: other, state: "E", grantSeq: 2 }), 6);
  assert.equal(late[0]?.kind, "read");
  assert.equal(n.stateOf(other, 7), "I");
  // A fence of an older epoch than known is not acked (that home is already superseded).
  n.receive({ ...fence, epoch: 2 }, 8);
  assert.deepEqual(n.takeMessages(), []);
  // A fence of another slot leaves this slot's lines of the current epoch alone.
  n.read(KEY, 0, 9);
  n.receive(grant(3, { epoch: 3, grantSeq: 3 }), 10);
  n.receive({ ...fence, slot: 1, epoch: 9 }, 11);
  assert.equal(n.stateOf(KEY, 12), "S");
});
