import assert from "node:assert/strict";
import fc from "fast-check";
import { DecodeError } from "../../protocol/binary/mod.ts";
import { type BackupContents, decodeBackup, encodeBackup } from "../../src/backup/backup_format.ts";

const contentsArb: fc.Arbitrary<BackupContents> = fc.integer({ min: 1, max: 6 }).chain((
  slotCount,
) =>
  fc.record({
    header: fc.record({
      createdAtMs: fc.integer({ min: 0, max: 2 ** 48 }),
      clusterId: fc.string({ maxLength: 20 }),
      fromNode: fc.string({ maxLength: 10 }),
      slotCount: fc.constant(slotCount),
    }),
    meta: fc.record({
      slot: fc.constant(null),
      appliedIndex: fc.integer({ min: 0, max: 2 ** 40 }),
      image: fc.uint8Array({ maxLength: 64 }),
    }),
    slots: fc.tuple(
      ...Array.from({ length: slotCount }, (_, slot) =>
        fc.record({
          slot: fc.constant(slot),
          appliedIndex: fc.integer({ min: 0, max: 2 ** 40 }),
          image: fc.uint8Array({ maxLength: 64 }),
        })),
    ),
  })
);

/** Decodes, turning any error into its message; a non-DecodeError is a test failure. */
function decodeFailure(bytes: Uint8Array): string | null {
  try {
    decodeBackup(bytes);
    return null;
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return error.message;
  }
}

Deno.test("backup format: what is encoded decodes to the same contents", () => {
  fc.assert(fc.property(contentsArb, (contents) => {
    assert.deepEqual(decodeBackup(encodeBackup(contents)), structuredClone(contents));
  }));
});

Deno.test("backup format: every truncation is refused as truncated, never decoded", () => {
  fc.assert(
    fc.property(contentsArb, fc.nat(), (contents, cut) => {
      const bytes = encodeBackup(contents);
      const length = cut % bytes.length;
      const message = decodeFailure(bytes.subarray(0, length));
      assert.notEqual(message, null, `a file cut at ${length} of ${bytes.length} decoded`);
      assert.match(message!, /truncated/);
    }),
    { numRuns: 300 },
  );
});

Deno.test("backup format: any flipped bit is refused (checksums), never decoded", () => {
  fc.assert(
    fc.property(contentsArb, fc.nat(), fc.integer({ min: 0, max: 7 }), (contents, at, bit) => {
      const bytes = encodeBackup(contents).slice();
      const offset = at % bytes.length;
      bytes[offset]! ^= 1 << bit;
      assert.notEqual(decodeFailure(bytes), null, `a flip at byte ${offset} went unnoticed`);
    }),
    { numRuns: 500 },
  );
});

Deno.test("backup format: arbitrary bytes only ever fail with a DecodeError", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
      assert.notEqual(decodeFailure(bytes), null);
    }),
  );
  // Bytes after a valid header: records of random content.
  const valid = encodeBackup({
    header: { createdAtMs: 1, clusterId: "c", fromNode: "n1", slotCount: 2 },
    meta: { slot: null, appliedIndex: 3, image: new Uint8Array([1, 2]) },
    slots: [{ slot: 0, appliedIndex: 1, image: new Uint8Array() }, {
      slot: 1,
      appliedIndex: 1,
      image: new Uint8Array([9]),
    }],
  });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 128 }), (tail) => {
      const bytes = new Uint8Array(41 + tail.length);
      bytes.set(valid.subarray(0, 41));
      bytes.set(tail, 41);
      decodeFailure(bytes);
    }),
  );
});

Deno.test("backup format: damage names the record and a wrong file says so", () => {
  const contents: BackupContents = {
    header: { createdAtMs: 5, clusterId: "c1", fromNode: "n2", slotCount: 3 },
    meta: { slot: null, appliedIndex: 10, image: new Uint8Array(50).fill(1) },
    slots: [0, 1, 2].map((slot) => ({
      slot,
      appliedIndex: 4,
      image: new Uint8Array(40).fill(slot),
    })),
  };
  const bytes = encodeBackup(contents);
  const header = 8 + 4 + 8 + 2 + 2 + 2 + 2 + 4 + 4;
  const metaRecord = 1 + 4 + 8 + 4 + 50 + 4;
  const slotRecord = 1 + 4 + 8 + 4 + 40 + 4;
  const damaged = bytes.slice();
  damaged[header + metaRecord + slotRecord + 20]! ^= 0xff; // inside slot 1's image
  assert.match(decodeFailure(damaged)!, /checksum mismatch in the record of slot 1/);
  assert.match(
    decodeFailure(bytes.subarray(0, header + metaRecord))!,
    /truncated after 1 of 4 records .*slot 0 should start/,
  );
  assert.match(decodeFailure(bytes.subarray(0, bytes.length - 16))!, /trailer .* needs 16 bytes/);
  assert.match(decodeFailure(new TextEncoder().encode("hello world, not a backup"))!, /bad magic/);
});
