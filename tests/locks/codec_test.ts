import assert from "node:assert/strict";
import fc from "fast-check";
import { BinaryWriter, DecodeError } from "../../protocol/binary/mod.ts";
import {
  decodeLockOp,
  encodeLockOp,
  type LockOp,
  LockTable,
  TTL_MS_MAX,
} from "../../src/locks/mod.ts";
import { Driver } from "./helpers.ts";

const text = fc.string({ unit: "grapheme", maxLength: 40 });
const ttlMs = fc.integer({ min: 1, max: TTL_MS_MAX });
const token = fc.option(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { nil: null });
const safe = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

const lockOp: fc.Arbitrary<LockOp> = fc.oneof(
  fc.record({
    op: fc.constant("acquire" as const),
    name: text,
    owner: text,
    mode: fc.constantFrom("shared" as const, "exclusive" as const),
    ttlMs,
    wait: fc.boolean(),
    waiterId: safe,
  }),
  fc.record({ op: fc.constant("release" as const), name: text, owner: text, token }),
  fc.record({ op: fc.constant("refresh" as const), name: text, owner: text, ttlMs, token }),
  fc.record({
    op: fc.constant("expire" as const),
    name: text,
    owner: text,
    token: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    leaseIndex: safe,
  }),
  fc.record({ op: fc.constant("cancelWait" as const), name: text, owner: text, waiterId: safe }),
);

/** Decoding must either succeed or throw a DecodeError with a "Cannot decode" message. */
function decodesOrThrowsClearly<T>(decode: () => T, context: string): T | null {
  try {
    return decode();
  } catch (error) {
    assert.equal((error as Error).constructor, DecodeError);
    assert.ok((error as Error).message.startsWith(`Cannot decode ${context}: `));
    return null;
  }
}

Deno.test("op codec: every valid op round-trips; every truncation is refused", () => {
  fc.assert(
    fc.property(lockOp, (op) => {
      const bytes = encodeLockOp(op);
      assert.deepEqual(decodeLockOp(bytes), { ...op });
      for (let length = 0; length < bytes.length; length++) {
        assert.throws(() => decodeLockOp(bytes.subarray(0, length)), /^DecodeError: Cannot decode/);
      }
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      assert.throws(() => decodeLockOp(longer), /Cannot decode lock op: 1 trailing byte/);
    }),
    { numRuns: 500 },
  );
});

Deno.test("op codec: garbage never throws anything but a clear Error", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      const op = decodesOrThrowsClearly(() => decodeLockOp(bytes), "lock op");
      if (op !== null) assert.deepEqual(encodeLockOp(op), bytes);
    }),
    { numRuns: 3000 },
  );
  // Garbage that gets past the version and op code bytes.
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 }), fc.uint8Array({ maxLength: 40 }), (code, tail) => {
      const bytes = new Uint8Array([1, code, 0, 1, 0x78, 0, 1, 0x61, ...tail]);
      decodesOrThrowsClearly(() => decodeLockOp(bytes), "lock op");
    }),
    { numRuns: 3000 },
  );
});

Deno.test("op codec: specific refusals name the problem", () => {
  const acquire = new BinaryWriter().u8(1).u8(1).u16String("x").u16String("a");
  const cases: Array<[Uint8Array, RegExp]> = [
    [new Uint8Array([3, 1]), /unknown version 3/],
    [new Uint8Array([0, 1]), /unknown version 0/],
    [new BinaryWriter().u8(1).u8(9).u16String("x").u16String("a").view(), /unknown op code 9/],
    [acquire.copy().slice(0, 0), /u8 at offset 0 needs 1 byte but only 0 bytes remain/],
    [withTail(acquire, [3, 0, 0, 0, 1, 0]), /unknown mode code 3/],
    [withTail(acquire, [1, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0]), /wait flag 2 is not 0 or 1/],
    [withTail(acquire, [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]), /ttlMs 0 is not an integer/],
    [
      new BinaryWriter().u8(1).u8(2).u16String("n".repeat(257)).u16String("a").u53(0).view(),
      /name length 257 exceeds maximum of 256 bytes/,
    ],
    [
      new BinaryWriter().u8(1).u8(4).u16String("x").u16String("a").u53(0).view(),
      /token 0 is not a positive safe integer/,
    ],
    [
      new BinaryWriter().u8(2).u8(4).u16String("x").u16String("a").u53(1).view(),
      /u53 at offset 16 needs 8 bytes/,
    ],
  ];
  for (const [bytes, pattern] of cases) {
    assert.throws(() => decodeLockOp(bytes), (error: Error) => {
      assert.equal(error.constructor, DecodeError);
      assert.match(error.message, /^Cannot decode lock op: /);
      assert.match(error.message, pattern);
      return true;
    });
  }
});

function withTail(head: BinaryWriter, tail: number[]): Uint8Array {
  const start = head.view();
  const bytes = new Uint8Array(start.length + tail.length);
  bytes.set(start);
  bytes.set(tail, start.length);
  return bytes;
}

Deno.test("op codec: a version 1 expire decodes with lease index 0 and frees no renewed lease", () => {
  const bytes = new BinaryWriter().u8(1).u8(4).u16String("x").u16String("a").u53(1).view();
  const op = decodeLockOp(bytes);
  assert.deepEqual(op, { op: "expire", name: "x", owner: "a", token: 1, leaseIndex: 0 });
  const d = new Driver();
  d.grant("x", "a");
  assert.equal(d.apply(op).outcome, false, "a grant made under version 2 has lease index 1");
});

Deno.test("snapshot: a version 1 image restores with lease index 0 for every holder", () => {
  const v1 = new BinaryWriter().u8(1).u53(4).u53(2).u32(1)
    .u16String("x").u8(2).u32(1).u16String("a").u53(2).u32(500).u32(0).view();
  const table = LockTable.restore(v1.slice());
  assert.deepEqual(table.info("x").holders, [{ owner: "a", token: 2, ttlMs: 500, leaseIndex: 0 }]);
  const expire = { op: "expire", name: "x", owner: "a", token: 2, leaseIndex: 0 } as const;
  assert.equal(table.apply(5, expire).outcome, true);
});

Deno.test("op codec: encoding a malformed op throws a clear Error", () => {
  const base = { op: "refresh", name: "x", owner: "a", ttlMs: 1, token: null } as const;
  assert.throws(
    () => encodeLockOp({ ...base, ttlMs: TTL_MS_MAX + 1 }),
    /^Error: Cannot encode lock op: ttlMs 2147483648 is not an integer in 1\.\.2147483647$/,
  );
  assert.throws(() => encodeLockOp({ ...base, owner: "é".repeat(200) }), /owner length 400/);
  assert.throws(() => encodeLockOp({ ...base, token: -3 }), /token -3 is not a positive/);
});

Deno.test("snapshot: garbage, truncations and bit flips are refused clearly or restore exactly", () => {
  const d = new Driver();
  d.grant("x", "a", { mode: "shared" });
  d.grant("x", "b", { mode: "shared" });
  d.acquire("x", "a");
  d.acquire("x", "c", { mode: "shared" });
  d.grant("y", "c");
  d.acquire("y", "b", { mode: "shared" });
  const image = d.table.snapshot();
  for (let length = 0; length < image.length; length++) {
    assert.equal(
      decodesOrThrowsClearly(
        () => LockTable.restore(image.subarray(0, length)),
        "lock table snapshot",
      ),
      null,
    );
  }
  fc.assert(
    fc.property(fc.nat(image.length - 1), fc.integer({ min: 1, max: 255 }), (at, mask) => {
      const flipped = image.slice();
      flipped[at]! ^= mask;
      const table = decodesOrThrowsClearly(() => LockTable.restore(flipped), "lock table snapshot");
      if (table !== null) assert.deepEqual(table.snapshot(), flipped);
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
      decodesOrThrowsClearly(() => LockTable.restore(bytes), "lock table snapshot");
    }),
    { numRuns: 2000 },
  );
});

/** Hand-built snapshot: version, applied index, last token, then locks. */
function snapshotOf(lastToken: number, build: (writer: BinaryWriter) => void): Uint8Array {
  const writer = new BinaryWriter().u8(1).u53(7).u53(lastToken);
  build(writer);
  return writer.copy();
}

Deno.test("snapshot: structural violations are refused with a clear message", () => {
  const holder = (w: BinaryWriter, owner: string, token: number) =>
    w.u16String(owner).u53(token).u32(9);
  const waiter = (w: BinaryWriter, owner: string, mode: number) =>
    w.u16String(owner).u8(mode).u53(1).u32(9);
  const cases: Array<[Uint8Array, RegExp]> = [
    [new Uint8Array([9]), /unknown version 9/],
    [
      snapshotOf(5, (w) => {
        w.u32(1).u16String("x").u8(2).u32(2);
        holder(w, "a", 1);
        holder(w, "b", 2);
        w.u32(0);
      }),
      /lock x is exclusive with 2 holders/,
    ],
    [
      snapshotOf(5, (w) => {
        w.u32(1).u16String("x").u8(1).u32(2);
        holder(w, "a", 1);
        holder(w, "b", 1);
        w.u32(0);
      }),
      /token 1 is reused/,
    ],
    [
      snapshotOf(1, (w) => {
        w.u32(1).u16String("x").u8(1).u32(1);
        holder(w, "a", 2);
        w.u32(0);
      }),
      /token 2 is not in 1..1/,
    ],
    [
      snapshotOf(5, (w) => {
        w.u32(1).u16String("x").u8(1).u32(1);
        holder(w, "a", 1);
        w.u32(1);
        waiter(w, "b", 1);
      }),
      /lock x has a grantable waiter b at its head/,
    ],
    [
      snapshotOf(5, (w) => {
        w.u32(1).u16String("x").u8(1).u32(2);
        holder(w, "a", 1);
        holder(w, "b", 2);
        w.u32(2);
        waiter(w, "c", 2);
        waiter(w, "a", 2);
      }),
      /holder a of lock x waits out of place/,
    ],
    [
      snapshotOf(5, (w) => {
        w.u32(2).u16String("x").u8(1).u32(1);
        holder(w, "a", 1);
        w.u32(0).u16String("x").u8(1).u32(1);
        holder(w, "b", 2);
        w.u32(0);
      }),
      /lock x listed twice/,
    ],
    [
      snapshotOf(5, (w) => {
        w.u32(1).u16String("x").u8(0).u32(1);
        holder(w, "a", 1);
        w.u32(0);
      }),
      /lock x has unknown mode code 0/,
    ],
    [snapshotOf(5, (w) => w.u32(1_000_000)), /list count 1000000 needs at least/],
  ];
  for (const [bytes, pattern] of cases) {
    assert.throws(() => LockTable.restore(bytes), (error: Error) => {
      assert.equal(error.constructor, DecodeError);
      assert.match(error.message, /^Cannot decode lock table snapshot: /);
      assert.match(error.message, pattern);
      return true;
    });
  }
  const empty = LockTable.restore(snapshotOf(3, (w) => w.u32(0)));
  assert.deepEqual(empty.stats(), {
    locks: 0,
    holders: 0,
    waiters: 0,
    lastToken: 3,
    appliedIndex: 7,
  });
});
