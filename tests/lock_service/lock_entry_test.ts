import assert from "node:assert/strict";
import { decodeLockEntry, encodeLockEntry } from "../../src/lock_service/lock_machine.ts";
import { encodeLockOp, type LockOp } from "../../src/locks/mod.ts";

const OPS: LockOp[] = [
  {
    op: "acquire",
    name: "invoices",
    owner: "worker-1",
    mode: "exclusive",
    ttlMs: 30_000,
    wait: true,
    waiterId: 2 ** 40 + 7,
  },
  { op: "release", name: "naïve-lock", owner: "ünïcode", token: 42 },
  { op: "refresh", name: "a", owner: "b", ttlMs: 1_000, token: null },
  { op: "expire", name: "x".repeat(256), owner: "o", token: 9, leaseIndex: 12 },
  { op: "cancelWait", name: "q", owner: "w", waiterId: 3 },
];

Deno.test("a lock entry is op code, WAIT, then the lock op's bytes with their length", () => {
  for (const op of OPS) {
    const opBytes = encodeLockOp(op);
    const expected = new Uint8Array(9 + opBytes.length);
    const view = new DataView(expected.buffer);
    expected[0] = 4;
    view.setUint32(1, 5_000);
    view.setUint32(5, opBytes.length);
    expected.set(opBytes, 9);
    const encoded = encodeLockEntry({ waitMs: 5_000, lock: op });
    assert.deepEqual(encoded, expected);
    assert.deepEqual(decodeLockEntry(encoded.subarray(1)), { waitMs: 5_000, lock: op });
  }
});

Deno.test("a lock entry whose op length disagrees with its bytes is refused", () => {
  const encoded = encodeLockEntry({ waitMs: 0, lock: OPS[1]! });
  const longer = encoded.slice();
  new DataView(longer.buffer).setUint32(5, encoded.length - 9 + 1);
  assert.throws(() => decodeLockEntry(longer.subarray(1)), /Cannot decode/);
  const shorter = encoded.slice();
  new DataView(shorter.buffer).setUint32(5, encoded.length - 9 - 1);
  assert.throws(() => decodeLockEntry(shorter.subarray(1)), /Cannot decode/);
  assert.throws(() => decodeLockEntry(encoded.subarray(1, encoded.length - 1)), /Cannot decode/);
});
