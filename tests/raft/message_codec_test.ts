import assert from "node:assert/strict";
import fc from "fast-check";
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

Deno.test("message codec: garbage throws a plain Error, never another exception", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      try {
        decodeRaftMessage(bytes);
      } catch (error) {
        assert.equal((error as Error).constructor, Error);
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
        assert.equal((error as Error).constructor, Error);
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
  assert.throws(() => decodeRaftMessage(trailing), /1 trailing bytes/);
  assert.throws(() => decodeRaftMessage(new Uint8Array(0)), /truncated at version/);
  assert.throws(
    () => encodeRaftMessage({ ...BASE, term: -1 }),
    /Cannot encode term: -1 is not a non-negative safe integer/,
  );
  assert.throws(
    () => encodeRaftMessage({ ...BASE, from: "x".repeat(256) }),
    /Cannot encode from: length 256 exceeds maximum of 255/,
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
    /Cannot encode to: length 256 exceeds maximum of 255/,
  );
});
