import assert from "node:assert/strict";
import fc from "fast-check";
import { BinaryWriter } from "../../protocol/binary/mod.ts";
import {
  decodeKvOp,
  encodeKvOp,
  KV_KEY_BYTES_MAX,
  KV_TTL_MS_MAX,
  KvCodecError,
  type KvOp,
  kvOpBytes,
  KvSlot,
} from "../../src/kv/mod.ts";
import { opOfStep, stepArb } from "./arbitraries.ts";
import { KvModel } from "./model.ts";

const key = fc.uint8Array({ maxLength: 40 });
const value = fc.uint8Array({ maxLength: 100 });
const revision = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });

const opArb: fc.Arbitrary<KvOp> = fc.oneof(
  fc.record({
    op: fc.constant("set" as const),
    key,
    value,
    ttlMs: fc.option(fc.integer({ min: 1, max: KV_TTL_MS_MAX }), { nil: null }),
    condition: fc.constantFrom("always" as const, "ifMissing" as const, "ifExists" as const),
  }),
  fc.record({
    op: fc.constant("del" as const),
    keys: fc.array(key, { minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    op: fc.constant("mset" as const),
    pairs: fc.array(fc.record({ key, value }), { minLength: 1, maxLength: 8 }),
  }),
  fc.record({ op: fc.constant("expire" as const), key, revision }),
);

/** `op` as plain JSON-able data (fast-check's records have no prototype; bytes as arrays). */
function plain(op: KvOp): unknown {
  return JSON.parse(JSON.stringify(op, (_, v) => (v instanceof Uint8Array ? [...v] : v)));
}

/** Decoding either succeeds or throws a KvCodecError "Cannot decode <context>: ..."; nothing else. */
function decodesOrRefuses<T>(decode: () => T, context: string): T | null {
  try {
    return decode();
  } catch (error) {
    assert.ok(error instanceof KvCodecError, `not a KvCodecError: ${error}`);
    assert.ok(error.message.startsWith(`Cannot decode ${context}: `), error.message);
    return null;
  }
}

Deno.test("kv op codec: every valid op round-trips; kvOpBytes is its length", () => {
  fc.assert(
    fc.property(opArb, (op) => {
      const bytes = encodeKvOp(op);
      assert.equal(bytes.length, kvOpBytes(op));
      const decoded = decodeKvOp(bytes);
      assert.deepEqual(plain(decoded), plain(op));
      assert.ok(decoded.op !== "set" || decoded.value instanceof Uint8Array);
    }),
  );
});

Deno.test("kv op codec: every truncation and any trailing byte is refused", () => {
  fc.assert(
    fc.property(opArb, fc.integer({ min: 0, max: 255 }), (op, extra) => {
      const bytes = encodeKvOp(op);
      for (let length = 0; length < bytes.length; length++) {
        assert.throws(() => decodeKvOp(bytes.subarray(0, length)), KvCodecError);
      }
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      longer[bytes.length] = extra;
      assert.throws(() => decodeKvOp(longer), KvCodecError);
    }),
    { numRuns: 50 },
  );
});

Deno.test("kv op codec: garbage and corrupted ops give a KvCodecError or a valid op", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const op = decodesOrRefuses(() => decodeKvOp(bytes), "key-value op");
      if (op !== null) assert.deepEqual(plain(decodeKvOp(encodeKvOp(op))), plain(op));
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(opArb, fc.nat(), fc.integer({ min: 0, max: 255 }), (op, at, byte) => {
      const bytes = encodeKvOp(op).slice();
      bytes[at % bytes.length] = byte;
      const decoded = decodesOrRefuses(() => decodeKvOp(bytes), "key-value op");
      if (decoded !== null) {
        assert.deepEqual(plain(decodeKvOp(encodeKvOp(decoded))), plain(decoded));
      }
    }),
    { numRuns: 2000 },
  );
});

Deno.test("kv op codec: the fixed rules are enforced both ways", () => {
  const long = new Uint8Array(KV_KEY_BYTES_MAX + 1);
  const bad: KvOp[] = [
    { op: "set", key: long, value: new Uint8Array(), ttlMs: null, condition: "always" },
    { op: "set", key: new Uint8Array(), value: new Uint8Array(), ttlMs: 0, condition: "always" },
    { op: "set", key: new Uint8Array(), value: new Uint8Array(), ttlMs: 1.5, condition: "always" },
    {
      op: "set",
      key: new Uint8Array(),
      value: new Uint8Array(),
      ttlMs: KV_TTL_MS_MAX + 1,
      condition: "always",
    },
    { op: "del", keys: [] },
    { op: "mset", pairs: [] },
    { op: "expire", key: new Uint8Array(), revision: 0 },
  ];
  for (const op of bad) assert.throws(() => encodeKvOp(op), RangeError);
  // The same ops written by hand are refused by the decoder.
  const writer = () => new BinaryWriter().u8(1);
  const handWritten = [
    writer().u8(1).u32Bytes(long).u32Bytes(new Uint8Array()).u8(0).u53(0),
    writer().u8(1).u32Bytes(new Uint8Array()).u32Bytes(new Uint8Array()).u8(0).u53(
      KV_TTL_MS_MAX + 1,
    ),
    writer().u8(1).u32Bytes(new Uint8Array()).u32Bytes(new Uint8Array()).u8(3).u53(0),
    writer().u8(2).u32(0),
    writer().u8(3).u32(0),
    writer().u8(4).u32Bytes(new Uint8Array()).u53(0),
    writer().u8(9),
    new BinaryWriter().u8(2).u8(1),
  ];
  for (const bytes of handWritten) {
    assert.throws(() => decodeKvOp(bytes.view()), KvCodecError);
  }
});

const LIMITS = { valueBytesMax: 16, slotBytesMax: 520, keysMax: 4 };

/** A slot after a random op sequence (so snapshots have TTLs, binary keys, gaps in revisions). */
const slotArb = fc.array(stepArb, { maxLength: 30, size: "max" }).map((steps) => {
  const slot = new KvSlot(LIMITS);
  const model = new KvModel(LIMITS);
  steps.forEach((step, i) => {
    const op = opOfStep(step, model);
    model.apply(op);
    slot.apply(i + 1, op);
  });
  return slot;
});

Deno.test("kv snapshot: restore is byte-identical and truncations are refused", () => {
  fc.assert(
    fc.property(slotArb, (slot) => {
      const image = slot.snapshot();
      const restored = KvSlot.restore(image, LIMITS);
      assert.deepEqual(restored.snapshot(), image);
      assert.equal(restored.bytes, slot.bytes);
      assert.equal(restored.keyCount, slot.keyCount);
      restored.checkInvariants();
      for (let length = 0; length < image.length; length += 1 + (length >> 3)) {
        assert.throws(() => KvSlot.restore(image.subarray(0, length), LIMITS), KvCodecError);
      }
    }),
    { numRuns: 100 },
  );
});

Deno.test("kv snapshot: garbage and corrupted images give a KvCodecError or a sound slot", () => {
  const tryRestore = (bytes: Uint8Array) => {
    const slot = decodesOrRefuses(() => KvSlot.restore(bytes, LIMITS), "key-value snapshot");
    if (slot === null) return;
    slot.checkInvariants();
    assert.deepEqual(KvSlot.restore(slot.snapshot(), LIMITS).snapshot(), slot.snapshot());
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), tryRestore), { numRuns: 1000 });
  fc.assert(
    fc.property(slotArb, fc.nat(), fc.integer({ min: 0, max: 255 }), (slot, at, byte) => {
      const image = slot.snapshot().slice();
      image[at % image.length] = byte;
      tryRestore(image);
    }),
    { numRuns: 1000 },
  );
});

Deno.test("kv snapshot: structural lies are refused", () => {
  const header = (revision: number, count: number) =>
    new BinaryWriter().u8(1).u53(5).u53(revision).u32(count);
  const entry = (w: BinaryWriter, key: number[], ttlMs: number, revision: number) =>
    w.u32Bytes(new Uint8Array(key)).u32Bytes(new Uint8Array([1])).u53(ttlMs).u53(revision);
  const cases: [string, BinaryWriter][] = [
    ["listed twice", entry(entry(header(3, 2), [1], 0, 1), [1], 0, 2)],
    ["revision 4 is not in 1..3", entry(header(3, 1), [1], 0, 4)],
    ["revision 0 is not in 1..3", entry(header(3, 1), [1], 0, 0)],
    ["ttlMs", entry(header(3, 1), [1], KV_TTL_MS_MAX + 1, 1)],
    ["unknown version 2", new BinaryWriter().u8(2).u53(0).u53(0).u32(0)],
    ["key count 1000", header(3, 1000)],
  ];
  for (const [message, writer] of cases) {
    assert.throws(() => KvSlot.restore(writer.view(), LIMITS), (error: Error) => {
      assert.ok(error instanceof KvCodecError);
      assert.match(error.message, new RegExp(message));
      return true;
    });
  }
  // The same header and entry with sound values restore.
  const sound = KvSlot.restore(entry(header(3, 1), [1], 7, 3).view(), LIMITS);
  assert.deepEqual(sound.entry(new Uint8Array([1])), {
    value: new Uint8Array([1]),
    ttlMs: 7,
    revision: 3,
  });
});
