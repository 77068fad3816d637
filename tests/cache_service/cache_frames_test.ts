import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeFrame, encodeFrame } from "../../protocol/peer/mod.ts";
import { BinaryWriter } from "../../protocol/binary/mod.ts";
import { CacheCodecError, decodeCacheMessage, encodeCacheMessage } from "../../src/cache/mod.ts";
import type { CacheMessage } from "../../src/cache/types.ts";
import {
  CACHE_BUNDLE_BYTES_TARGET,
  CACHE_BUNDLE_MESSAGES_MAX,
  cacheFrameOf,
  cacheFramesOf,
  cacheMessagesOf,
} from "../../src/cache_service/cache_frames.ts";
import { cacheMessageArb } from "../helpers/cache_message_arb.ts";
import { fakeCacheService } from "../helpers/fake_cache_service.ts";

const FENCE_ACK: CacheMessage = { type: "fenceAck", slot: 5, epoch: 2 };

/** Whether `bytes` decode as one cache message. */
function decodes(bytes: Uint8Array): boolean {
  try {
    decodeCacheMessage(bytes);
    return true;
  } catch (error) {
    if (error instanceof CacheCodecError) return false;
    throw error;
  }
}

/** A bundle payload: version, count (as given), then each item as a u32 length and its bytes. */
function bundle(items: Uint8Array[], count = items.length, version = 1): Uint8Array {
  const writer = new BinaryWriter();
  writer.u8(version).u32(count);
  for (const item of items) writer.u32Bytes(item);
  return writer.copy();
}

Deno.test("cache frames: any messages to one node arrive whole and in order, through the frame codec", () => {
  fc.assert(
    fc.property(fc.array(cacheMessageArb, { minLength: 1, maxLength: 40 }), (generated) => {
      const messages = structuredClone(generated); // plain objects, as a decoder makes
      const frames = cacheFramesOf(messages);
      assert.deepEqual(frames.flatMap((f) => f.messages), messages);
      const received = frames.flatMap(({ frame }) =>
        cacheMessagesOf(decodeFrame(encodeFrame(frame)))
      );
      assert.deepEqual(received, messages);
      // One frame unless a bundle filled up; a lone message is never bundled.
      if (messages.length === 1) assert.notEqual(frames[0]!.frame.type, "cacheBundle");
    }),
  );
});

Deno.test("cache frames: a bundle closes at its byte target and its message count", () => {
  const value = new Uint8Array(100 * 1024);
  const big: CacheMessage[] = Array.from({ length: 7 }, (_, i) => ({
    type: "writeBack",
    slot: 1,
    epoch: 1,
    key: new Uint8Array([i]),
    grantSeq: 1,
    writeVersion: i,
    dirty: { value, ttlMs: null },
    final: false,
  }));
  const bySize = cacheFramesOf(big);
  // 100 KiB each: the third passes 256 KiB and closes the bundle.
  assert.deepEqual(bySize.map((f) => f.messages.length), [3, 3, 1]);
  assert.ok(
    bySize.every(({ frame }) => frame.payload.length < CACHE_BUNDLE_BYTES_TARGET + 110 * 1024),
  );
  assert.notEqual(bySize[2]!.frame.type, "cacheBundle");
  const many = Array.from({ length: CACHE_BUNDLE_MESSAGES_MAX + 2 }, () => FENCE_ACK);
  const byCount = cacheFramesOf(many);
  assert.deepEqual(byCount.map((f) => f.messages.length), [CACHE_BUNDLE_MESSAGES_MAX, 2]);
  assert.deepEqual(byCount.map((f) => f.frame.type), ["cacheBundle", "cacheBundle"]);
});

Deno.test("cache frames: a malformed bundle is refused whole", () => {
  const ack = encodeCacheMessage(FENCE_ACK);
  const refused = (payload: Uint8Array) =>
    assert.equal(cacheMessagesOf({ type: "cacheBundle", payload }), null);
  assert.deepEqual(cacheMessagesOf({ type: "cacheBundle", payload: bundle([ack, ack]) }), [
    FENCE_ACK,
    FENCE_ACK,
  ]);
  refused(bundle([ack, ack], 2, 2)); // unknown version
  refused(bundle([], 0)); // empty
  refused(bundle([ack, ack], 3)); // says more than it holds
  refused(bundle([ack], CACHE_BUNDLE_MESSAGES_MAX + 1)); // too many
  refused(bundle([ack, ack.subarray(0, 5)])); // a message cut short
  refused(bundle([ack, new Uint8Array([1, 200, 0, 0, 0, 1])])); // unknown message code
  refused(bundle([ack, bundle([ack, ack])])); // a bundle inside a bundle
  refused(new Uint8Array([...bundle([ack, ack]), 0])); // bytes left over
  refused(new Uint8Array([1, 0, 0])); // header cut short
  // A single-message frame whose payload is another type's message is refused too.
  assert.equal(cacheMessagesOf({ ...cacheFrameOf(FENCE_ACK), type: "cacheEvict" }), null);
});

Deno.test("cache frames: random bytes in a bundle are refused or decoded, never thrown", () => {
  const ack = encodeCacheMessage(FENCE_ACK);
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 300 }),
      fc.array(cacheMessageArb, { minLength: 2, maxLength: 6 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (noise, messages, at, xor) => {
        assert.doesNotThrow(() => cacheMessagesOf({ type: "cacheBundle", payload: noise }));
        const payload = cacheFramesOf(messages)[0]!.frame.payload.slice();
        payload[at % payload.length]! ^= xor;
        // One flipped byte cannot change how many messages a bundle holds: the count and the
        // lengths must still add up to the payload, or the whole bundle is refused.
        const decoded = cacheMessagesOf({ type: "cacheBundle", payload });
        if (decoded !== null) assert.equal(decoded.length, messages.length);
        // A bundle is refused exactly when one of its messages would be refused alone.
        assert.equal(
          cacheMessagesOf({ type: "cacheBundle", payload: bundle([ack, noise]) }) === null,
          !decodes(noise),
        );
      },
    ),
  );
});

Deno.test("cache outbox: a frame the link throws on is not sent, its request goes again, nothing escapes", async () => {
  const world = { nowMs: 0, throws: 1, sent: [] as string[] };
  const service = fakeCacheService({
    nodeId: "n1",
    maxEntries: 8,
    slotCount: () => 4,
    homeOf: () => "n2",
    send: (to, frame) => {
      if (world.throws-- > 0) throw new RangeError("Cannot encode: frame too large");
      world.sent.push(`${to} ${cacheMessagesOf(frame)?.map((m) => m.type).join(",")}`);
      return true;
    },
    isUp: () => true,
    nowMs: () => world.nowMs,
  });
  const read = service.read(new TextEncoder().encode("k")).catch((error) => error);
  for (let i = 0; i < 20 && world.sent.length === 0; i++) {
    world.nowMs += 25;
    service.tick();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  assert.deepEqual(world.sent, ["n2 readRequest"], "asked again after the first frame failed");
  assert.equal(service.stats.framesSent, 1);
  service.stop();
  assert.ok((await read) instanceof Error, "stopped before n2 answered");
});
