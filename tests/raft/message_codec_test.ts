import assert from "node:assert/strict";
import fc from "fast-check";
import { DecodeError } from "../../protocol/binary/mod.ts";
import { decodeRaftMessage, encodeRaftMessage, type Message } from "../../src/raft/mod.ts";
import { message } from "./arbitraries.ts";

Deno.test("message codec: every message round-trips", () => {
  fc.assert(
    fc.property(message, (m) => {
      assert.deepEqual(decodeRaftMessage(encodeRaftMessage(m)), structuredClone(m));
    }),
    { numRuns: 2000 },
  );
});

Deno.test("message codec: garbage throws a DecodeError, never another exception", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      try {
        decodeRaftMessage(bytes);
      } catch (error) {
        assert.equal((error as Error).constructor, DecodeError);
        assert.match((error as Error).message, /^Cannot decode Raft message: /);
      }
    }),
    { numRuns: 5000 },
  );
});

Deno.test("message codec: every truncation and single-byte corruption of a valid message", () => {
  fc.assert(
    fc.property(message, fc.nat(), fc.integer({ min: 1, max: 255 }), (m, position, xor) => {
      const bytes = encodeRaftMessage(m);
      for (let cut = 0; cut < bytes.length; cut++) {
        assert.throws(() => decodeRaftMessage(bytes.subarray(0, cut)), /Cannot decode Raft/);
      }
      const corrupt = bytes.slice();
      corrupt[position % corrupt.length]! ^= xor;
      try {
        decodeRaftMessage(corrupt);
      } catch (error) {
        assert.equal((error as Error).constructor, DecodeError);
      }
    }),
    { numRuns: 300 },
  );
});

const BASE: Message = {
  type: "heartbeat",
  groupId: 7,
  from: "a",
  to: "b",
  term: 3,
  index: 0,
  logTerm: 0,
  commitIndex: 9,
  entries: [],
  reject: false,
  rejectHint: 0,
  context: 4,
  snapshot: null,
};

Deno.test("message codec: specific malformed inputs name the problem", () => {
  const bytes = encodeRaftMessage(BASE);
  const badVersion = bytes.slice();
  badVersion[0] = 9;
  assert.throws(() => decodeRaftMessage(badVersion), /unknown version 9/);
  const badType = bytes.slice();
  badType[1] = 200;
  assert.throws(() => decodeRaftMessage(badType), /unknown message type 200/);
  const trailing = new Uint8Array(bytes.length + 1);
  trailing.set(bytes);
  assert.throws(() => decodeRaftMessage(trailing), /1 trailing byte at offset 64/);
  assert.throws(
    () => decodeRaftMessage(new Uint8Array(0)),
    /u8 at offset 0 needs 1 byte but only 0 bytes remain/,
  );
  assert.throws(
    () => encodeRaftMessage({ ...BASE, term: -1 }),
    /Cannot encode u53: -1 is not an integer in 0..9007199254740991/,
  );
  assert.throws(
    () => encodeRaftMessage({ ...BASE, from: "x".repeat(256) }),
    /Cannot encode u8String: length 256 exceeds maximum of 255 bytes/,
  );
});

Deno.test("message codec: an appendResponse's context is 0 or 1 (NOT_MEMBER), nothing else", () => {
  const response: Message = { ...BASE, type: "appendResponse", context: 0 };
  for (const context of [0, 1]) {
    assert.equal(decodeRaftMessage(encodeRaftMessage({ ...response, context })).context, context);
  }
  for (const context of [2, 4, 2 ** 40]) {
    assert.throws(
      () => decodeRaftMessage(encodeRaftMessage({ ...response, context })),
      new RegExp(`appendResponse context ${context} is not 0 or 1`),
    );
  }
  // Other messages keep any context (read sequences, request ids, bytes).
  assert.equal(
    decodeRaftMessage(encodeRaftMessage({ ...BASE, context: 2 ** 40 })).context,
    2 ** 40,
  );
});

Deno.test("message codec: node ids are u8-length UTF-8, ASCII or not, up to 255 bytes", () => {
  for (
    const [from, to] of [["n1", "n2"], ["nœud-ü", "ノード"], ["x".repeat(255), "é".repeat(127)]]
  ) {
    const bytes = encodeRaftMessage({ ...BASE, from: from!, to: to! });
    // version, type, u32 group id, then `from` as u8 length + UTF-8, then `to`.
    const fromBytes = new TextEncoder().encode(from);
    assert.equal(bytes[6], fromBytes.length);
    assert.deepEqual(bytes.subarray(7, 7 + fromBytes.length), fromBytes);
    assert.deepEqual(decodeRaftMessage(bytes), { ...BASE, from, to });
  }
  assert.throws(
    () => encodeRaftMessage({ ...BASE, to: "é".repeat(128) }),
    /Cannot encode u8String: length 256 exceeds maximum of 255 bytes/,
  );
});

Deno.test("message codec: a field too large for its width is refused, never wrapped", () => {
  // A u32 group id of 2^32 would otherwise decode as group 0: a message for another group.
  assert.throws(() => encodeRaftMessage({ ...BASE, groupId: 2 ** 32 }), {
    name: "RangeError",
    message: "Cannot encode u32: 4294967296 is not an integer in 0..4294967295",
  });
  assert.throws(() => encodeRaftMessage({ ...BASE, groupId: 1.5 }), RangeError);
});
