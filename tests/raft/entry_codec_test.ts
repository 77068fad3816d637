import assert from "node:assert/strict";
import fc from "fast-check";
import { DecodeError } from "../../protocol/binary/mod.ts";
import {
  decodeConfState,
  decodeEntries,
  decodeHardState,
  decodeSnapshot,
  encodeConfState,
  encodeEntries,
  encodeHardState,
  encodeSnapshot,
} from "../../src/raft/mod.ts";
import { confState, entries, hardState, u64 } from "./arbitraries.ts";

Deno.test("entry codec: entries, hard state, membership and snapshots round-trip", () => {
  fc.assert(
    fc.property(entries, hardState, confState, (list, hs, conf) => {
      assert.deepEqual(decodeEntries(encodeEntries(list)), structuredClone(list));
      assert.deepEqual(decodeHardState(encodeHardState(hs)), structuredClone(hs));
      assert.deepEqual(decodeConfState(encodeConfState(conf)), structuredClone(conf));
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(u64, u64, confState, fc.uint8Array({ maxLength: 100 }), (i, t, c, d) => {
      const snapshot = { index: i, term: t, confState: c, data: d };
      assert.deepEqual(decodeSnapshot(encodeSnapshot(snapshot)), snapshot);
    }),
  );
});

Deno.test("entry codec: garbage throws a DecodeError", () => {
  const decoders = [decodeEntries, decodeHardState, decodeConfState, decodeSnapshot];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      for (const decode of decoders) {
        try {
          decode(bytes);
        } catch (error) {
          assert.equal((error as Error).constructor, DecodeError);
          assert.match((error as Error).message, /^Cannot decode /);
        }
      }
    }),
    { numRuns: 3000 },
  );
});

Deno.test("entry codec: non-consecutive indexes, duplicate members and huge counts are refused", () => {
  const gap = encodeEntries([
    { index: 1, term: 1, kind: "normal", data: new Uint8Array(0) },
    { index: 3, term: 1, kind: "normal", data: new Uint8Array(0) },
  ]);
  assert.throws(() => decodeEntries(gap), /entry index 3 does not follow 1/);
  const dup = encodeConfState({ voters: ["a"], learners: ["a"] });
  assert.throws(() => decodeConfState(dup), /a listed twice/);
  const huge = new Uint8Array([1, 0xff, 0xff, 0xff, 0xff]);
  assert.throws(() => decodeEntries(huge), /entry count 4294967295 exceeds/);
});
