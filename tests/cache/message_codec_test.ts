import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CACHE_FENCE_NODES_MAX,
  CACHE_RENEW_KEY_BYTES_MAX,
  CACHE_RENEW_LINES_MAX,
} from "../../src/cache/limits.ts";
import {
  CACHE_MESSAGE_CODES,
  CACHE_MESSAGE_VERSION,
  CacheCodecError,
  decodeCacheMessage,
  encodeCacheMessage,
} from "../../src/cache/message_codec.ts";
import { cacheMessageArb } from "../helpers/cache_message_arb.ts";

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

Deno.test("cache codec: a renewal holds at most 512 lines and 256 KiB of keys, both ways", () => {
  const request = (lines: Array<{ key: Uint8Array; grantSeq: number }>) => ({
    type: "renewRequest" as const,
    slot: 2,
    epoch: 3,
    requestId: 4,
    lines,
  });
  const small = Array.from({ length: CACHE_RENEW_LINES_MAX }, (_, i) => ({
    key: new Uint8Array([i & 0xff, i >> 8]),
    grantSeq: i,
  }));
  assert.deepEqual(decodeCacheMessage(encodeCacheMessage(request(small))), request(small));
  const tooMany = [...small, { key: new Uint8Array([1]), grantSeq: 1 }];
  assert.throws(() => encodeCacheMessage(request(tooMany)), /renewal of 513 lines/);
  // 64 keys of 4,096 bytes are exactly 256 KiB; one more byte is too many.
  const big = Array.from({ length: 64 }, (_, i) => ({ key: new Uint8Array(4096), grantSeq: i }));
  assert.equal(64 * 4096, CACHE_RENEW_KEY_BYTES_MAX);
  assert.equal(decodeCacheMessage(encodeCacheMessage(request(big))).type, "renewRequest");
  const over = [...big, { key: new Uint8Array([1]), grantSeq: 1 }];
  assert.throws(() => encodeCacheMessage(request(over)), /renewal of 262145 key bytes/);

  // The decoder refuses the same, written by hand past the encoder's checks.
  const header = (count: number) => {
    const bytes = new Uint8Array(2 + 4 + 8 + 8 + 4);
    const view = new DataView(bytes.buffer);
    bytes[0] = CACHE_MESSAGE_VERSION;
    bytes[1] = CACHE_MESSAGE_CODES.renewRequest;
    view.setUint32(22, count);
    return bytes;
  };
  const line = (keyLength: number) => {
    const bytes = new Uint8Array(4 + keyLength + 8);
    new DataView(bytes.buffer).setUint32(0, keyLength);
    return bytes;
  };
  const join = (...parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  };
  const lines513 = Array.from({ length: 513 }, () => line(0));
  assert.throws(
    () => decodeCacheMessage(join(header(513), ...lines513)),
    (e) => e instanceof CacheCodecError && /exceeds maximum of 512 items/.test(e.message),
  );
  const lines65 = Array.from({ length: 65 }, () => line(4096));
  assert.throws(
    () => decodeCacheMessage(join(header(65), ...lines65)),
    (e) =>
      e instanceof CacheCodecError && /renewal keys exceed maximum of 262144 bytes/.test(e.message),
  );
  assert.equal(decodeCacheMessage(join(header(64), ...lines65.slice(1))).type, "renewRequest");
});

Deno.test("cache codec: a renewal's refused indexes are ascending and below 512", () => {
  const grant = (refused: number[]) => ({
    type: "renewGrant" as const,
    slot: 2,
    epoch: 3,
    requestId: 4,
    leaseMs: 2000,
    refused,
  });
  assert.deepEqual(decodeCacheMessage(encodeCacheMessage(grant([0, 7, 511]))), grant([0, 7, 511]));
  assert.throws(() => encodeCacheMessage(grant([3, 3])), /not ascending/);
  assert.throws(() => encodeCacheMessage(grant([512])), /refused line index 512/);
  // index patched: version, code, slot (4), epoch, requestId, leaseMs (8 each), count (4)
  const bytes = encodeCacheMessage(grant([1, 2])).slice();
  const view = new DataView(bytes.buffer);
  view.setUint32(34 + 4, 1);
  assert.throws(() => decodeCacheMessage(bytes), /refused line indexes not ascending/);
  view.setUint32(34 + 4, 600);
  assert.throws(() => decodeCacheMessage(bytes), /refused line index 600 out of range/);
});
