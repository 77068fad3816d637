import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DecodeError,
  encodeFrame,
  FrameDecoder,
  MESSAGE_TYPE_CODES,
  type PeerMessage,
} from "../../../protocol/peer/mod.ts";
import { concatBytes, hexToBytes, peerMessageArbitrary } from "./arbitraries.ts";

/** Splits `bytes` at the given cut offsets (any order, duplicates allowed). */
function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const offsets = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const offset of [...offsets, bytes.length]) {
    chunks.push(bytes.subarray(start, offset));
    start = offset;
  }
  return chunks;
}

/** Pushes each chunk (via a reused buffer) and drains the decoder after each push. */
function decodeChunks(decoder: FrameDecoder, chunks: readonly Uint8Array[]): PeerMessage[] {
  const messages: PeerMessage[] = [];
  const scratch = new Uint8Array(Math.max(0, ...chunks.map((chunk) => chunk.length)));
  for (const chunk of chunks) {
    scratch.set(chunk);
    decoder.push(scratch.subarray(0, chunk.length));
    scratch.fill(0xee); // The decoder must have copied the chunk.
    messages.push(...drain(decoder));
  }
  return messages;
}

/** Calls next() until it returns undefined. */
function drain(decoder: FrameDecoder): PeerMessage[] {
  const messages: PeerMessage[] = [];
  for (let message = decoder.next(); message !== undefined; message = decoder.next()) {
    messages.push(message);
  }
  return messages;
}

const streamArbitrary = fc.array(peerMessageArbitrary, { maxLength: 8 });

Deno.test("every split of a frame stream into chunks decodes the same messages", () => {
  fc.assert(
    fc.property(streamArbitrary, fc.array(fc.nat(), { maxLength: 20 }), (messages, cuts) => {
      const stream = concatBytes(messages.map((message) => encodeFrame(message)));
      const decoder = new FrameDecoder();
      assert.deepEqual(decodeChunks(decoder, splitAt(stream, cuts)), messages);
      assert.equal(decoder.bufferedBytes, 0);
    }),
    { numRuns: 1000 },
  );
});

Deno.test("a stream fed one byte at a time, or all at once, decodes the same messages", () => {
  fc.assert(
    fc.property(streamArbitrary, (messages) => {
      const stream = concatBytes(messages.map((message) => encodeFrame(message)));
      const bytewise = [...stream].map((byte) => new Uint8Array([byte]));
      assert.deepEqual(decodeChunks(new FrameDecoder(), bytewise), messages);
      assert.deepEqual(decodeChunks(new FrameDecoder(), [stream]), messages);
    }),
    { numRuns: 200 },
  );
});

Deno.test("pushing several chunks before draining decodes the same messages", () => {
  fc.assert(
    fc.property(streamArbitrary, fc.array(fc.nat(), { maxLength: 10 }), (messages, cuts) => {
      const stream = concatBytes(messages.map((message) => encodeFrame(message)));
      const decoder = new FrameDecoder();
      for (const chunk of splitAt(stream, cuts)) decoder.push(chunk);
      assert.deepEqual(drain(decoder), messages);
    }),
    { numRuns: 300 },
  );
});

/** Feeds chunks, draining after each; returns how it ended. Any non-DecodeError escapes. */
function feed(decoder: FrameDecoder, chunks: readonly Uint8Array[]): "done" | "decodeError" {
  try {
    decodeChunks(decoder, chunks);
    return "done";
  } catch (error) {
    if (error instanceof DecodeError) return "decodeError";
    throw error;
  }
}

/** A frame with a valid header (or nearly) around an arbitrary body: reaches body decoders. */
const framedGarbageArbitrary = fc.record({
  version: fc.constantFrom(1, 1, 1, 2),
  code: fc.oneof(fc.constantFrom(...Object.values(MESSAGE_TYPE_CODES)), fc.nat({ max: 255 })),
  body: fc.uint8Array({ maxLength: 48 }),
}).map(({ version, code, body }) => {
  const frame = new Uint8Array(6 + body.length);
  new DataView(frame.buffer).setUint32(0, 2 + body.length);
  frame.set([version, code], 4);
  frame.set(body, 6);
  return frame;
});

Deno.test("arbitrary bytes yield messages or a DecodeError, never another exception", () => {
  const pieces = fc.array(
    fc.oneof(
      fc.uint8Array({ maxLength: 32 }),
      framedGarbageArbitrary,
      peerMessageArbitrary.map(
        (message) => encodeFrame(message),
      ),
    ),
    { maxLength: 6 },
  );
  const frameBytesMax = fc.constantFrom(2, 16, 64, undefined);
  fc.assert(
    fc.property(pieces, fc.array(fc.nat(), { maxLength: 8 }), frameBytesMax, (parts, cuts, max) => {
      const decoder = new FrameDecoder(max === undefined ? {} : { frameBytesMax: max });
      const outcome = feed(decoder, splitAt(concatBytes(parts), cuts));
      if (outcome === "decodeError") {
        assert.throws(() => decoder.next(), DecodeError);
        assert.throws(() => decoder.push(new Uint8Array(1)), DecodeError);
      }
    }),
    { numRuns: 3000 },
  );
});

Deno.test("an oversized length is rejected as soon as its 4 bytes arrive", () => {
  const decoder = new FrameDecoder();
  decoder.push(hexToBytes("04 2c 1d"));
  assert.equal(decoder.next(), undefined);
  decoder.push(hexToBytes("80"));
  const expected = {
    name: "FrameError",
    message: "Cannot decode frame: length 70000000 exceeds maximum of 16777216 bytes",
  };
  assert.throws(() => decoder.next(), expected);
  assert.throws(() => decoder.next(), expected);
  assert.throws(() => decoder.push(new Uint8Array(10)), expected);
  assert.equal(decoder.bufferedBytes, 0);
});

Deno.test("frameBytesMax bounds the frame length exactly", () => {
  const frame = encodeFrame({ type: "raft", groupId: 1, payload: new Uint8Array(50) });
  const fits = new FrameDecoder({ frameBytesMax: frame.length - 4 });
  fits.push(frame);
  assert.equal(fits.next()?.type, "raft");
  const tooSmall = new FrameDecoder({ frameBytesMax: frame.length - 5 });
  tooSmall.push(frame.subarray(0, 4));
  assert.throws(() => tooSmall.next(), {
    name: "FrameError",
    message: "Cannot decode frame: length 64 exceeds maximum of 63 bytes",
  });
});

Deno.test("version and type are rejected from the header, before the body arrives", () => {
  const badVersion = new FrameDecoder();
  badVersion.push(hexToBytes("00 00 00 12  09 04"));
  assert.throws(() => badVersion.next(), {
    name: "FrameError",
    message: "Cannot decode frame: unsupported protocol version 9 (expected 1)",
  });
  const unknownType = new FrameDecoder();
  unknownType.push(hexToBytes("00 00 10 00  01 c8"));
  assert.throws(() => unknownType.next(), {
    name: "FrameError",
    message: "Cannot decode frame: unknown message type 200",
  });
  const waiting = new FrameDecoder();
  waiting.push(hexToBytes("00 00 00 12  01"));
  assert.equal(waiting.next(), undefined);
});

Deno.test("the buffer grows to at most one largest frame when fed small chunks", () => {
  const frame = encodeFrame({ type: "raft", groupId: 1, payload: new Uint8Array(100_000) });
  const decoder = new FrameDecoder({ frameBytesMax: frame.length - 4 });
  const chunks = splitAt(frame, Array.from({ length: 100 }, (_, index) => index * 1000));
  const messages = decodeChunks(decoder, chunks.slice(0, -1));
  assert.deepEqual(messages, []);
  assert.equal(decoder.capacityBytes, frame.length);
  assert.equal(decodeChunks(decoder, chunks.slice(-1)).length, 1);
});

Deno.test("push refuses more bytes once a whole frame waits undrained", () => {
  const frame = encodeFrame({ type: "heartbeat", sequence: 1, sentAtMs: 2 });
  const decoder = new FrameDecoder({ frameBytesMax: 18 });
  decoder.push(frame);
  decoder.push(new Uint8Array(0));
  decoder.push(frame.subarray(0, 1));
  assert.throws(() => decoder.push(frame), {
    name: "FrameError",
    message: "Cannot buffer chunk: 23 unconsumed bytes exceed maximum of 22 bytes; " +
      "call next() until it returns undefined before pushing more",
  });
});

Deno.test("the decoder releases a large buffer once drained and keeps working", () => {
  const big = encodeFrame({ type: "raft", groupId: 5, payload: new Uint8Array(3 * 1024 * 1024) });
  const small = encodeFrame({ type: "heartbeat", sequence: 3, sentAtMs: 4 });
  const decoder = new FrameDecoder();
  const initialCapacityBytes = decoder.capacityBytes;
  decoder.push(big.subarray(0, 1_000_000));
  assert.equal(decoder.next(), undefined);
  decoder.push(big.subarray(1_000_000));
  assert.ok(decoder.capacityBytes >= big.length);
  assert.ok(decoder.capacityBytes <= 4 + 16 * 1024 * 1024);
  assert.equal(decoder.next()?.type, "raft");
  assert.equal(decoder.capacityBytes, initialCapacityBytes);
  const chunks = splitAt(concatBytes([small, big, small]), [7, 1000, 2_000_000]);
  const types = decodeChunks(decoder, chunks).map((message) => message.type);
  assert.deepEqual(types, ["heartbeat", "raft", "heartbeat"]);
  assert.equal(decoder.bufferedBytes, 0);
  assert.equal(decoder.capacityBytes, initialCapacityBytes);
});
