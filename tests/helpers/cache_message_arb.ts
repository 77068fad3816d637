import fc from "fast-check";
import { KV_TTL_MS_MAX } from "../../src/kv/limits.ts";
import { CACHE_RENEW_LINES_MAX } from "../../src/cache/limits.ts";
import type { CacheMessage, CacheWrite, DirtyData } from "../../src/cache/types.ts";

/** Random cache messages of every type, with fields anywhere in their ranges (codec tests). */
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
  fc.record({
    type: fc.constant("renewRequest" as const),
    slot,
    epoch: u53,
    requestId: u53,
    lines: fc.array(fc.record({ key, grantSeq: u53 }), { maxLength: 8 }),
  }),
  fc.record({
    type: fc.constant("renewGrant" as const),
    slot,
    epoch: u53,
    requestId: u53,
    leaseMs: u53,
    refused: fc.uniqueArray(fc.integer({ min: 0, max: CACHE_RENEW_LINES_MAX - 1 }), {
      maxLength: 8,
    }).map((indexes) => indexes.sort((a, b) => a - b)),
  }),
);
