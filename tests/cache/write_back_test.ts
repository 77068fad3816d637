import assert from "node:assert/strict";
import {
  CACHE_LINE_OVERHEAD_BYTES,
  CacheHome,
  CacheNode,
  type GrantMessage,
  type NodeToHomeMessage,
  type WriteBackAckMessage,
  type WriteBackMessage,
} from "../../src/cache/mod.ts";

const TIMING = { leaseMs: 1000, holderMarginMs: 250, expiryMarginMs: 50, writeBackMs: 100 };
const A = new Uint8Array([1]);
const B = new Uint8Array([2]);

function writeBackNode(): CacheNode {
  return new CacheNode({ writeMode: "back", timing: TIMING, maxBytes: 1 << 20, maxEntries: 8 });
}

function set(value: number) {
  return { value: new Uint8Array([value]), ttlMs: null, condition: "always" as const };
}

/** Reads `key` at `nowMs` and installs the home's grant of `state` (lease from `nowMs`). */
function own(n: CacheNode, key: Uint8Array, grantSeq: number, nowMs: number, slot = 0): void {
  const decision = n.read(key, slot, nowMs);
  assert.equal(decision.kind, "request");
  const grant: GrantMessage = {
    type: "grant",
    slot,
    epoch: 1,
    requestId: decision.kind === "request" ? decision.requestId : 0,
    key,
    state: "M",
    grantSeq,
    value: new Uint8Array([0]),
    ttlRemainingMs: null,
    leaseMs: TIMING.leaseMs,
    applied: true,
  };
  n.receive(grant, nowMs);
  n.takeMessages();
}

function writeBacks(n: CacheNode): WriteBackMessage[] {
  return n.takeMessages().filter((m): m is WriteBackMessage => m.type === "writeBack");
}

function ackOf(wb: WriteBackMessage, leaseMs: number): WriteBackAckMessage {
  const { slot, epoch, key, grantSeq, writeVersion } = wb;
  return {
    type: "writeBackAck",
    slot,
    epoch,
    key,
    grantSeq,
    writeVersion,
    accepted: true,
    leaseMs,
  };
}

Deno.test("write-back: a line written steadily stays M past its first lease (acks renew it)", () => {
  const n = writeBackNode();
  own(n, A, 1, 0); // lease until 1000
  let acked = 0;
  for (let nowMs = 10; nowMs <= 3000; nowMs += 10) {
    assert.deepEqual(n.write(A, 0, set(nowMs % 250), nowMs), { kind: "done", applied: true });
    n.tick(nowMs);
    // The home acknowledges each write-back 5 ms after it was sent, renewing the lease.
    for (const wb of writeBacks(n)) {
      n.receive(ackOf(wb, TIMING.leaseMs), nowMs + 5);
      acked++;
    }
  }
  assert.equal(n.stateOf(A, 3001), "M");
  // About one write-back per writeBackMs, not one per write.
  assert.ok(acked >= 25 && acked <= 31, `${acked} write-backs`);
  // The last renewal counts from when its write-back was sent (3000 at the latest).
  assert.equal(n.stateOf(A, 3000 + TIMING.leaseMs), "I");
});

Deno.test("write-back: an ack without a lease renews nothing", () => {
  const n = writeBackNode();
  own(n, A, 1, 0);
  n.write(A, 0, set(1), 10);
  n.tick(110);
  const [first] = writeBacks(n);
  assert.equal(first?.writeVersion, 1);
  n.receive(ackOf(first!, 0), 120); // e.g. the home had counted the holder as lapsed
  assert.equal(n.stateOf(A, 999), "M");
  assert.equal(n.stateOf(A, 1000), "I");
});

Deno.test("write-back: a retry resends the same version; its ack renews from the first send", () => {
  const n = writeBackNode();
  own(n, A, 1, 0);
  n.write(A, 0, set(1), 10);
  n.tick(110);
  const [first] = writeBacks(n);
  n.write(A, 0, set(2), 120);
  n.tick(359);
  assert.deepEqual(writeBacks(n), []);
  n.tick(360); // unacknowledged for a quarter lease: the same write-back again
  const [retry] = writeBacks(n);
  assert.deepEqual(retry, first);
  n.receive(ackOf(retry!, TIMING.leaseMs), 900); // a slow commit: still renews, from 110
  assert.equal(n.stateOf(A, 1109), "M");
  const [second] = writeBacks(n); // version 2 was due: it goes with the ack's handling
  assert.equal(second?.writeVersion, 2);
  n.receive(ackOf(first!, TIMING.leaseMs), 910); // the first copy's late ack changes nothing
  assert.equal(n.stateOf(A, 1110), "I");
  assert.deepEqual(writeBacks(n), []);
});

Deno.test("write-back: the node's dirty lines go out in the same tick, whatever their slot", () => {
  const n = writeBackNode();
  own(n, A, 1, 0, 0);
  own(n, B, 2, 0, 1);
  n.write(A, 0, set(1), 10);
  n.write(B, 1, set(2), 90);
  n.tick(109);
  assert.deepEqual(writeBacks(n), []);
  n.tick(110); // A is due; B goes with it, before its own 190
  assert.deepEqual(writeBacks(n).map((wb) => [wb.slot, ...wb.key]).sort(), [[0, 1], [1, 2]]);
  n.write(B, 1, set(3), 150); // a new flush time: 250
  n.tick(249);
  assert.deepEqual(writeBacks(n), []);
  n.tick(250); // B's v2 is not acked: it waits for the ack (one in flight)
  assert.deepEqual(writeBacks(n), []);
});

Deno.test("write-back: one write-back in flight per line; the next goes when it is acked", () => {
  const n = writeBackNode();
  own(n, A, 1, 0);
  n.write(A, 0, set(1), 10);
  n.tick(110);
  const [v1] = writeBacks(n);
  n.write(A, 0, set(2), 120);
  n.tick(220); // v2 is due but v1 is not acknowledged yet (a slow commit is not doubled)
  assert.deepEqual(writeBacks(n), []);
  n.receive(ackOf(v1!, TIMING.leaseMs), 230); // v2 overdue: sent with the ack's handling
  const [v2] = writeBacks(n);
  assert.equal(v2?.writeVersion, 2);
  assert.deepEqual(v2?.dirty.value, new Uint8Array([2]));
  n.receive(ackOf(v2!, TIMING.leaseMs), 240);
  n.tick(600);
  assert.deepEqual(writeBacks(n), []); // clean
});

function homeWithHolder(state: "E" | "M"): CacheHome {
  const home = new CacheHome(0, 1, -10_000, TIMING);
  const request: NodeToHomeMessage = state === "E"
    ? { type: "readRequest", slot: 0, requestId: 1, key: A }
    : { type: "exclusiveRequest", slot: 0, requestId: 1, key: A, write: set(0) };
  home.receive("a", request, 0);
  const [access] = home.takeStoreRequests();
  const result = { ok: true as const, value: null, ttlRemainingMs: null, applied: true };
  home.storeDone(access!.token, result, 0);
  home.takeMessages();
  assert.equal(home.holdersOf(A).get("a")?.state, state);
  return home;
}

function writeBack(final: boolean): WriteBackMessage {
  const dirty = { value: new Uint8Array([9]), ttlMs: null };
  return {
    type: "writeBack",
    slot: 0,
    epoch: 1,
    key: A,
    grantSeq: 1,
    writeVersion: 3,
    dirty,
    final,
  };
}

Deno.test("write-back home: an accepted write-back renews the holder's lease and says so", () => {
  for (const state of ["E", "M"] as const) {
    const home = homeWithHolder(state);
    home.receive("a", writeBack(false), 600);
    const [commit] = home.takeStoreRequests();
    assert.equal(commit?.kind, "commit");
    const result = { ok: true as const, value: null, ttlRemainingMs: null, applied: true };
    home.storeDone(commit.token, result, 700);
    const [ack] = home.takeMessages();
    assert.deepEqual(ack?.message, {
      type: "writeBackAck",
      slot: 0,
      epoch: 1,
      key: A,
      grantSeq: 1,
      writeVersion: 3,
      accepted: true,
      leaseMs: TIMING.leaseMs,
    }, `holder in ${state}`);
    const holder = home.holdersOf(A).get("a");
    assert.equal(holder?.state, "M");
    assert.equal(holder?.lapseAtMs, 700 + TIMING.leaseMs + TIMING.holderMarginMs);
  }
});

Deno.test("write-back home: a final write-back ends the holder and renews nothing", () => {
  const home = homeWithHolder("M");
  home.receive("a", writeBack(true), 600);
  const [commit] = home.takeStoreRequests();
  const result = { ok: true as const, value: null, ttlRemainingMs: null, applied: true };
  home.storeDone(commit!.token, result, 700);
  const [ack] = home.takeMessages();
  assert.equal(ack?.message.type === "writeBackAck" && ack.message.leaseMs, 0);
  assert.equal(home.holdersOf(A).size, 0);
});

Deno.test("write-back home: a holder that lapsed while the commit ran gets no new lease", () => {
  const home = homeWithHolder("M"); // granted at 0: lapses at 1250
  home.receive("a", writeBack(false), 600);
  const [commit] = home.takeStoreRequests();
  const result = { ok: true as const, value: null, ttlRemainingMs: null, applied: true };
  home.storeDone(commit!.token, result, 1250);
  const [ack] = home.takeMessages();
  assert.equal(ack?.message.type === "writeBackAck" && ack.message.accepted, true);
  assert.equal(ack?.message.type === "writeBackAck" && ack.message.leaseMs, 0);
});

Deno.test("write-back: a bigger local value evicts older lines (a dirty one by its final write-back)", () => {
  // Room for two lines of 1-byte keys and values and a little more.
  const lineBytesOf = (valueBytes: number) => 1 + valueBytes + CACHE_LINE_OVERHEAD_BYTES;
  const n = new CacheNode({
    writeMode: "back",
    timing: TIMING,
    maxBytes: lineBytesOf(1) * 2 + 10,
    maxEntries: 8,
  });
  own(n, A, 1, 0, 0);
  own(n, B, 2, 0, 1);
  n.write(A, 0, set(7), 5); // A is dirty, then B is written with a value 19 bytes bigger
  const big = { value: new Uint8Array(20), ttlMs: null, condition: "always" as const };
  assert.deepEqual(n.write(B, 1, big, 6), { kind: "done", applied: true });
  const sent = n.takeMessages();
  assert.equal(sent.length, 1);
  const final = sent[0] as WriteBackMessage;
  assert.equal(final.type, "writeBack");
  assert.deepEqual([...final.key], [...A]);
  assert.equal(final.final, true);
  assert.deepEqual(final.dirty.value, new Uint8Array([7]));
  assert.equal(n.stateOf(A, 7), "I");
  assert.equal(n.stateOf(B, 7), "M");
  assert.equal(n.stats(7).evictions, 1);
  // A value the store could never hold goes to the home as an exclusive request instead.
  const huge = {
    value: new Uint8Array(lineBytesOf(1) * 3),
    ttlMs: null,
    condition: "always" as const,
  };
  const decision = n.write(B, 1, huge, 8);
  assert.equal(decision.kind, "request");
  // (B's own dirty data goes first as a final write-back, as for any request on a dirty line.)
  assert.deepEqual(n.takeMessages().map((m) => m.type), ["writeBack", "exclusiveRequest"]);
});

Deno.test("write-back: a revocation that crosses a final write-back gets its data in the ack", () => {
  const n = new CacheNode({ writeMode: "back", timing: TIMING, maxBytes: 1 << 20, maxEntries: 1 });
  own(n, A, 1, 0, 0);
  n.write(A, 0, set(7), 5);
  own(n, B, 2, 6, 0); // one line only: A leaves with its final write-back
  const invalidate = { type: "invalidate" as const, slot: 0, epoch: 1, key: A, upToSeq: 3 };
  n.receive(invalidate, 7);
  const [ack] = n.takeMessages();
  assert.equal(ack?.type, "invalidateAck");
  assert.deepEqual(ack.type === "invalidateAck" && ack.dirty?.value, new Uint8Array([7]));
  // A revocation of an older grant, or of another epoch, is not answered with it.
  n.receive({ ...invalidate, upToSeq: 0 }, 8);
  n.receive({ ...invalidate, epoch: 2, upToSeq: 3 }, 8);
  const later = n.takeMessages();
  assert.deepEqual(later.map((m) => m.type === "invalidateAck" && m.dirty), [null, null]);
});

Deno.test("write-back home: an eviction notice does not end an open revocation of its node", () => {
  const home = homeWithHolder("M");
  home.receive("b", { type: "readRequest", slot: 0, requestId: 1, key: A }, 10);
  const [forward] = home.takeMessages();
  assert.equal(forward?.message.type, "forward");
  // The notice crossed the ack, which carries the dirty data: the home keeps waiting for it.
  home.receive("a", { type: "evict", slot: 0, epoch: 1, key: A, grantSeq: 1 }, 11);
  home.tick(12);
  assert.deepEqual(home.takeStoreRequests(), []);
  const dirty = { value: new Uint8Array([9]), ttlMs: null };
  const ack = { type: "invalidateAck" as const, slot: 0, epoch: 1, key: A, upToSeq: 1 };
  home.receive("a", { ...ack, keptShared: true, dirty }, 13);
  const [commit] = home.takeStoreRequests();
  assert.equal(commit?.kind, "commit");
  assert.deepEqual(commit.kind === "commit" && commit.write.value, new Uint8Array([9]));
});

Deno.test("write-back: writes of the same length reuse the line's buffer, never one handed out", () => {
  const n = writeBackNode();
  own(n, A, 1, 0);
  const granted = n.hit(A, 1)!.value!; // the grant's own buffer (shared with the read it answered)
  const input = new Uint8Array([1, 2, 3]); // a view of input the caller reuses
  n.write(A, 0, { ...set(0), value: input.subarray(0, 1) }, 5);
  input[0] = 9; // the line copied it
  assert.deepEqual(n.hitLine(A, 6)?.value, new Uint8Array([1]));
  assert.deepEqual(granted, new Uint8Array([0]), "the granted value is not written into");
  n.write(A, 0, set(2), 10);
  const owned = n.hitLine(A, 11)?.value; // looked at, not handed out
  n.tick(110);
  const [wb] = writeBacks(n);
  assert.deepEqual(wb?.dirty.value, new Uint8Array([2]));
  n.write(A, 0, set(3), 120);
  assert.equal(n.hitLine(A, 121)?.value, owned, "written in place: no new buffer");
  assert.deepEqual(owned, new Uint8Array([3]));
  // A value handed out by a hit (kept by MGET while another key misses) keeps its bytes.
  const kept = n.hit(A, 122)!.value;
  n.write(A, 0, set(4), 123);
  assert.deepEqual(kept, new Uint8Array([3]));
  assert.deepEqual(n.hitLine(A, 124)?.value, new Uint8Array([4]));
  assert.deepEqual(wb?.dirty.value, new Uint8Array([2]), "the WriteBack in flight keeps its bytes");
  n.tick(110 + TIMING.leaseMs / 4 + 1); // unacknowledged: resent exactly as it was
  const [retry] = writeBacks(n);
  assert.equal(retry?.writeVersion, wb?.writeVersion);
  assert.deepEqual(retry?.dirty.value, new Uint8Array([2]));
  // A revocation hands the buffer out with its ack: later values never go into it.
  n.receive({ type: "forward", slot: 0, epoch: 1, key: A, upToSeq: 1 }, 400);
  const ack = n.takeMessages().find((m) => m.type === "invalidateAck");
  assert.ok(ack?.type === "invalidateAck");
  assert.deepEqual(ack.dirty?.value, new Uint8Array([4]));
  assert.equal(n.stateOf(A, 401), "S");
});

Deno.test("write-back: a local DEL answers whether the key existed; of a missing key it changes nothing", () => {
  const n = writeBackNode();
  own(n, A, 1, 0);
  const del = { value: null, ttlMs: null, condition: "always" as const };
  assert.deepEqual(n.write(A, 0, del, 10), { kind: "done", applied: true }, "the value existed");
  assert.equal(n.hit(A, 11)?.value, null);
  // Found by the cache simulation's fault-free phase: a second DEL answered 1 (applied).
  const before = n.fingerprint();
  assert.deepEqual(n.write(A, 0, del, 11), { kind: "done", applied: false });
  assert.equal(n.fingerprint(), before, "no new version, nothing more to write back");
});

Deno.test("release: a stopping node evicts clean lines and sends dirty ones as final write-backs", () => {
  const n = writeBackNode();
  own(n, A, 1, 0);
  own(n, B, 2, 0);
  assert.deepEqual(n.write(B, 0, set(7), 10), { kind: "done", applied: true });
  assert.equal(n.dirtyLineCount(), 1);
  assert.equal(n.release(20), 1, "B's final write-back waits for its ack");
  assert.equal(n.dirtyLineCount(), 1, "its final write-back still counts");
  const sent = n.takeMessages();
  assert.deepEqual(sent.map((m) => m.type).sort(), ["evict", "writeBack"]);
  const final = sent.find((m): m is WriteBackMessage => m.type === "writeBack")!;
  assert.deepEqual([final.key, final.final, final.dirty.value], [B, true, new Uint8Array([7])]);
  assert.equal(n.stateOf(A, 20), "I");
  assert.equal(n.lineCount, 0);
  n.receive(ackOf(final, 0), 30);
  assert.equal(n.dirtyLineCount(), 0);
  assert.equal(n.release(30), 0);
  assert.deepEqual(n.takeMessages(), []);
});

Deno.test("release: a line whose write-back is in flight goes after its ack, with writes since", () => {
  const n = writeBackNode();
  own(n, A, 1, 0);
  n.write(A, 0, set(1), 10);
  n.tick(110);
  const [first] = writeBacks(n);
  assert.equal(first!.final, false);
  n.write(A, 0, set(2), 120);
  assert.equal(n.release(130), 1, "kept until the write-back in flight is acknowledged");
  assert.deepEqual(n.takeMessages(), []);
  n.receive(ackOf(first!, TIMING.leaseMs), 140);
  assert.equal(n.release(140), 1, "now sent as a final write-back of the newer write");
  const [final] = writeBacks(n);
  assert.deepEqual([final!.final, final!.dirty.value], [true, new Uint8Array([2])]);
  n.receive(ackOf(final!, 0), 150);
  assert.equal(n.release(150), 0);
});

Deno.test("release: an unacknowledged final write-back counts until a lease and margin passed", () => {
  const n = writeBackNode();
  own(n, A, 1, 0);
  n.write(A, 0, set(1), 10);
  assert.equal(n.release(20), 1);
  n.tick(20 + TIMING.leaseMs + TIMING.holderMarginMs - 1);
  assert.equal(n.release(20 + TIMING.leaseMs + TIMING.holderMarginMs - 1), 1);
  n.tick(20 + TIMING.leaseMs + TIMING.holderMarginMs);
  assert.equal(n.release(20 + TIMING.leaseMs + TIMING.holderMarginMs), 0);
});

const STORED = { ok: true as const, value: null, ttlRemainingMs: null, applied: true };

Deno.test("recall: a stopping home invalidates every holder and commits the dirty data of the acks", () => {
  const home = homeWithHolder("M"); // node a holds A in M (grant 1)
  assert.equal(home.recall(100), 1);
  const [invalidate] = home.takeMessages();
  assert.deepEqual(invalidate, {
    to: "a",
    message: { type: "invalidate", slot: 0, epoch: 1, key: A, upToSeq: 1 },
  });
  const dirty = { value: new Uint8Array([7]), ttlMs: null };
  home.receive("a", {
    type: "invalidateAck",
    slot: 0,
    epoch: 1,
    key: A,
    upToSeq: 1,
    keptShared: false,
    dirty,
  }, 110);
  const [commit] = home.takeStoreRequests();
  assert.deepEqual(commit?.kind === "commit" && commit.write, { ...dirty, condition: "always" });
  assert.equal(home.recall(120), 1, "busy until the commit is done");
  home.storeDone(commit!.token, STORED, 130);
  assert.deepEqual(home.takeMessages(), [], "a recall grants nothing");
  assert.equal(home.holdersOf(A).size, 0);
  assert.equal(home.recall(140), 0);
});

Deno.test("recall: while recalling, grants carry no lease and keep no record; renewals are refused", () => {
  const home = homeWithHolder("E");
  home.recall(100);
  home.takeMessages(); // the Invalidate of a's line, unanswered yet
  home.receive("b", { type: "readRequest", slot: 0, requestId: 5, key: B }, 110);
  const [read] = home.takeStoreRequests();
  home.storeDone(read!.token, STORED, 120);
  const [grant] = home.takeMessages();
  assert.equal(grant?.message.type === "grant" && grant.message.leaseMs, 0);
  assert.equal(home.holdersOf(B).size, 0);
  home.receive("a", {
    type: "renewRequest",
    slot: 0,
    epoch: 1,
    requestId: 6,
    lines: [{ key: A, grantSeq: 1 }],
  }, 130);
  const [barrier] = home.takeStoreRequests();
  if (barrier !== undefined) home.storeDone(barrier.token, STORED, 131);
  const [renewal] = home.takeMessages();
  assert.deepEqual(renewal?.message.type === "renewGrant" && renewal.message.refused, [0]);
});
