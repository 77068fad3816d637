import assert from "node:assert/strict";
import fc from "fast-check";
import { KV_TTL_MS_MAX } from "../../src/kv/limits.ts";
import { CACHE_FENCE_NODES_MAX } from "../../src/cache/limits.ts";
import {
  CACHE_MESSAGE_CODES,
  CACHE_MESSAGE_VERSION,
  CacheCodecError,
  decodeCacheMessage,
  encodeCacheMessage,
} from "../../src/cache/message_codec.ts";
import type { CacheMessage, CacheWrite, DirtyData } from "../../src/cache/types.ts";

const slot = fc.integer({ min: 0, max: 0xffff_ffff });
const u53 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const key = fc.uint8Array({ maxLength: 24 });
const value = fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null });
const ttl = fc.option(fc.integer({ min: 0, max: KV_TTL_MS_MAX }), { nil: null });
const write: fc.Arbitrary<CacheWrite> = fc.record({
  value,
  ttlMs: ttl,
  condition: fc.constantFrom("always" as const, "ifMissing" as const, "ifExists" as const),
});
const dirty: fc.Arbitrary<DirtyData> = fc.record({ value, ttlMs: ttl });

/** Every message type with every field drawn over its whole range. */
export const cacheMessageArb: fc.Arbitrary<CacheMessage> = fc.oneof(
  fc.record({ type: fc.constant("readRequest" as const), slot, requestId: u53, key }),
  fc.record({ type: fc.constant("exclusiveRequest" as const), slot, requestId: u53, key, write }),
  fc.record({
    type: fc.constant("grant" as const),
    slot,
    epoch: u53,
    requestId: u53,
    key,
    state: fc.constantFrom("M" as const, "E" as const, "S" as const),
    grantSeq: u53,
    value,
    ttlRemainingMs: ttl,
    leaseMs: u53,
    applied: fc.boolean(),
  }),
  fc.record({
    type: fc.constant("refuse" as const),
    slot,
    epoch: u53,
    requestId: u53,
    key,
    reason: fc.constantFrom("busy" as const, "notLeader" as const, "refused" as const),
  }),
  fc.record({
    type: fc.constantFrom("forward" as const, "invalidate" as const),
    slot,
    epoch: u53,
    key,
    upToSeq: u53,
  }),
  fc.record({
    type: fc.constant("invalidateAck" as const),
    slot,
    epoch: u53,
    key,
    upToSeq: u53,
    keptShared: fc.boolean(),
    dirty: fc.option(dirty, { nil: null }),
  }),
  fc.record({
    type: fc.constant("writeBack" as const),
    slot,
    epoch: u53,
    key,
    grantSeq: u53,
    writeVersion: u53,
    dirty,
    final: fc.boolean(),
  }),
  fc.record({
    type: fc.constant("writeBackAck" as const),
    slot,
    epoch: u53,
    key,
    grantSeq: u53,
    writeVersion: u53,
    accepted: fc.boolean(),
    leaseMs: u53,
  }),
  fc.record({ type: fc.constant("evict" as const), slot, epoch: u53, key, grantSeq: u53 }),
  fc.record({
    type: fc.constant("fence" as const),
    slot,
    epoch: u53,
    nodes: fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 6 }),
  }),
  fc.record({ type: fc.constant("fenceAck" as const), slot, epoch: u53 }),
);

/** Decodes, and returns "ok" or the error's class name; anything but CacheCodecError fails. */
function decodeOutcome(bytes: Uint8Array): string {
  try {
    decodeCacheMessage(bytes);
    return "ok";
  } catch (error) {
    if (error instanceof CacheCodecError) {
      assert.match(error.message, /^Cannot decode cache message: /);
      return "CacheCodecError";
    }
    throw error;
  }
}

Deno.test("cache codec: every message decodes to itself, with the version and its code first", () => {
  fc.assert(
    fc.property(cacheMessageArb, (message) => {
      const bytes = encodeCacheMessage(message);
      assert.equal(bytes[0], CACHE_MESSAGE_VERSION);
      assert.equal(bytes[1], CACHE_MESSAGE_CODES[message.type]);
      assert.deepEqual(decodeCacheMessage(bytes), structuredClone(message)); // plain prototypes
    }),
    { numRuns: 2000 },
  );
});

Deno.test("cache codec: every proper prefix and every extra byte is a CacheCodecError", () => {
  fc.assert(
    fc.property(cacheMessageArb, fc.integer({ min: 0, max: 255 }), (message, extra) => {
      const bytes = encodeCacheMessage(message);
      for (let length = 0; length < bytes.length; length++) {
        assert.equal(decodeOutcome(bytes.subarray(0, length)), "CacheCodecError");
      }
      const longer = new Uint8Array([...bytes, extra]);
      assert.equal(decodeOutcome(longer), "CacheCodecError");
    }),
    { numRuns: 300 },
  );
});

Deno.test("cache codec: random bytes and flipped bytes never throw anything but CacheCodecError", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      decodeOutcome(bytes);
    }),
    { numRuns: 5000 },
  );
  fc.assert(
    fc.property(cacheMessageArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (m, at, xor) => {
      const bytes = encodeCacheMessage(m).slice();
      bytes[at % bytes.length]! ^= xor;
      const outcome = decodeOutcome(bytes);
      if (outcome === "ok") assert.ok(decodeCacheMessage(bytes).type in CACHE_MESSAGE_CODES);
    }),
    { numRuns: 3000 },
  );
});

Deno.test("cache codec: wrong version, unknown code, bad flag and bad state are named", () => {
  const good = encodeCacheMessage({
    type: "grant",
    slot: 1,
    epoch: 2,
    requestId: 3,
    key: new Uint8Array([1]),
    state: "S",
    grantSeq: 4,
    value: null,
    ttlRemainingMs: 0,
    leaseMs: 2000,
    applied: true,
  });
  const patched = (at: number, byte: number) => {
    const bytes = good.slice();
    bytes[at] = byte;
    return bytes;
  };
  const error = (bytes: Uint8Array) =>
    assert.throws(() => decodeCacheMessage(bytes), CacheCodecError) as unknown;
  error(patched(0, 2));
  assert.throws(() => decodeCacheMessage(patched(0, 2)), /unknown version 2/);
  assert.throws(() => decodeCacheMessage(patched(1, 99)), /unknown message code 99/);
  // state byte: version, code, slot (4), epoch (8), requestId (8), key (4 + 1)
  assert.throws(() => decodeCacheMessage(patched(27, 3)), /unknown state code 3/);
  assert.equal(decodeCacheMessage(good).type, "grant");
  // A TTL left of 0 (due, not yet expired) stays 0, distinct from no TTL.
  assert.equal((decodeCacheMessage(good) as { ttlRemainingMs: number }).ttlRemainingMs, 0);
});

Deno.test("cache codec: a fence names at most CACHE_FENCE_NODES_MAX nodes, none empty", () => {
  const nodes = Array.from({ length: CACHE_FENCE_NODES_MAX }, (_, i) => `n${i}`);
  const fence = { type: "fence" as const, slot: 3, epoch: 7, nodes };
  assert.deepEqual(decodeCacheMessage(encodeCacheMessage(fence)), fence);
  assert.throws(
    () => encodeCacheMessage({ ...fence, nodes: [...nodes, "one-more"] }),
    /fence of 257 nodes/,
  );
  // count patched above the maximum: version, code, slot (4), epoch (8), then the u32 count
  const bytes = encodeCacheMessage(fence).slice();
  new DataView(bytes.buffer).setUint32(14, CACHE_FENCE_NODES_MAX + 1);
  assert.throws(() => decodeCacheMessage(bytes), /exceeds maximum of 256 items/);
  const empty = encodeCacheMessage({ ...fence, nodes: ["", "n1"] });
  assert.throws(() => decodeCacheMessage(empty), /empty node id in a fence/);
});
