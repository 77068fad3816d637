import assert from "node:assert/strict";
import { CacheHome, CacheNode } from "../../src/cache/mod.ts";
import { LineStore } from "../../src/cache/line_store.ts";

const TIMING = { leaseMs: 1000, holderMarginMs: 250, expiryMarginMs: 50, writeBackMs: 100 };
const LINES = 5000;
const encoder = new TextEncoder();

function keyOf(index: number): Uint8Array {
  return encoder.encode(`key:${index}`);
}

/** Calls of `Map` iteration made while `run` runs (every way a sweep could walk a map). */
function mapIterations(run: () => void): number {
  const proto = Map.prototype as unknown as Record<PropertyKey, unknown>;
  const names: PropertyKey[] = [Symbol.iterator, "values", "keys", "entries", "forEach"];
  const originals = names.map((name) => proto[name] as (...args: unknown[]) => unknown);
  let count = 0;
  names.forEach((name, i) => {
    const original = originals[i]!;
    proto[name] = function (this: unknown, ...args: unknown[]) {
      count++;
      return original.apply(this, args);
    };
  });
  try {
    run();
  } finally {
    names.forEach((name, i) => proto[name] = originals[i]);
  }
  return count;
}

/** A home that granted LINES keys to node "a" at `nowMs` (so their holders lapse together). */
function busyHome(nowMs: number): CacheHome {
  const home = new CacheHome(0, 1, nowMs - 10_000, TIMING);
  for (let i = 0; i < LINES; i++) {
    home.receive("a", { type: "readRequest", slot: 0, requestId: i + 1, key: keyOf(i) }, nowMs);
  }
  for (const request of home.takeStoreRequests()) {
    const result = { ok: true as const, value: null, ttlRemainingMs: null, applied: true };
    home.storeDone(request.token, result, nowMs);
  }
  home.takeMessages();
  home.tick(nowMs); // the entries touched by the requests are looked at once
  return home;
}

Deno.test("line store: takeDue removes exactly the lines past their deadline", () => {
  const store = new LineStore(1 << 20, 100);
  const line = (index: number, leaseEndMs: number, expiryEndMs: number | null) => ({
    key: keyOf(index),
    slot: 0,
    state: "S" as const,
    value: null,
    leaseEndMs,
    expiryEndMs,
    epoch: 1,
    grantSeq: index,
    writeCount: 0,
    usedAtMs: 0,
    renewingId: null,
    ownsValue: false,
    dirty: null,
  });
  store.insert("0", line(0, 100, null));
  store.insert("1", line(1, 300, 150)); // its expiry comes first
  store.insert("2", line(2, 200, null));
  store.insert("2", line(2, 400, null)); // replaced: its old deadline is stale
  const moved = line(3, 500, null);
  store.insert("3", moved);
  moved.expiryEndMs = 120; // changed in place, then rescheduled
  store.reschedule("3");
  assert.deepEqual(store.takeDue(99).map(([id]) => id), []);
  assert.deepEqual(store.takeDue(100).map(([id]) => id), ["0"]);
  assert.deepEqual(store.takeDue(250).map(([id]) => id), ["3", "1"]);
  assert.deepEqual(store.takeDue(399).map(([id]) => id), []);
  assert.equal(store.size, 1);
  assert.deepEqual(store.takeDue(400).map(([id]) => id), ["2"]);
  assert.equal(store.size, 0);
});

Deno.test("cache node: a tick with nothing due does not walk the lines", () => {
  const node = new CacheNode({
    writeMode: "through",
    timing: TIMING,
    maxBytes: 1 << 30,
    maxEntries: LINES,
  });
  for (let i = 0; i < LINES; i++) {
    const decision = node.read(keyOf(i), 0, 0);
    assert.equal(decision.kind, "request");
    node.receive({
      type: "grant",
      slot: 0,
      epoch: 1,
      requestId: decision.kind === "request" ? decision.requestId : 0,
      key: keyOf(i),
      state: "S",
      grantSeq: i + 1,
      value: null,
      ttlRemainingMs: i % 2 === 0 ? null : 500, // every other line expires first
      leaseMs: TIMING.leaseMs,
      applied: true,
    }, 0);
  }
  node.takeMessages();
  const walk = LineStore.prototype.all;
  let walks = 0;
  LineStore.prototype.all = function (this: LineStore) {
    walks++;
    return walk.call(this);
  };
  try {
    node.tick(400);
    assert.equal(node.lineCount, LINES);
    node.tick(450); // 500 - the 50 ms margin: the expiring half goes
    assert.equal(node.lineCount, LINES / 2);
    node.tick(999);
    assert.equal(node.lineCount, LINES / 2);
    node.tick(1000);
    assert.equal(node.lineCount, 0);
  } finally {
    LineStore.prototype.all = walk;
  }
  assert.equal(walks, 0, "the tick walked every line");
});

Deno.test("cache home: a tick with no holder lapsed looks at no entry", () => {
  const home = busyHome(0);
  assert.equal(home.holdersOf(keyOf(0)).size, 1);
  // The holders lapse at 0 + 1000 + 250. Before that, a tick iterates no map per entry.
  const before = mapIterations(() => home.tick(1249));
  assert.ok(before < 10, `a quiet tick iterated ${before} maps for ${LINES} entries`);
  assert.equal(home.holdersOf(keyOf(LINES - 1)).size, 1);
  home.tick(1250);
  assert.equal(home.holdersOf(keyOf(0)).size, 0);
  assert.equal(home.holdersOf(keyOf(LINES - 1)).size, 0);
  // Every entry held only that holder: the directory is empty again (fingerprint's entries).
  const entries = JSON.parse(home.fingerprint())[4];
  assert.deepEqual(entries, []);
});
