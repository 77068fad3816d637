import assert from "node:assert/strict";
import { BinaryWriter } from "../../protocol/binary/mod.ts";
import { encodeGroupUpdate, type GroupUpdate } from "../../src/storage/group_record.ts";
import { encodeSegmentHeader } from "../../src/storage/log_record.ts";

/** The bytes below were produced by the encoder before it moved onto protocol/binary. */
const GOLDEN_HEX =
  "1500000000000000f9c494246b338e95014453594e4357414c03000000141a99be1c0000005c000000000000006c9f968776c67fa003070000000f03000000000100006300000000000000066e6f64652d3205000000000000000b000000000000000200000000000000020000000300000001020309000000000000000000000000000000000004000400000000000000060000000000000020fc54a44dc6c3cb03f0ffffff10";

const UPDATES: GroupUpdate[] = [
  {
    groupId: 7,
    hardState: {
      term: 2 ** 40 + 3,
      commitIndex: 99,
      votedFor: "node-2",
      votedForBytes: new TextEncoder().encode("node-2"),
    },
    truncateFromIndex: 5,
    entries: [{ index: 11, term: 2 ** 33, data: new Uint8Array([1, 2, 3]) }, {
      index: 12,
      term: 9,
      data: new Uint8Array(0),
    }],
    snapshot: { index: 2 ** 50, term: 4 },
    removed: false,
  },
  {
    groupId: 0xffff_fff0,
    hardState: null,
    truncateFromIndex: 0,
    entries: null,
    snapshot: null,
    removed: true,
  },
];

Deno.test("node log records keep their little-endian bytes on disk (segment format 3)", () => {
  const writer = new BinaryWriter(64, 1 << 16);
  encodeSegmentHeader(writer, 123_456_789_012, 3);
  for (const update of UPDATES) encodeGroupUpdate(writer, update, 0);
  const hex = Array.from(writer.view(), (byte) => byte.toString(16).padStart(2, "0")).join("");
  assert.equal(hex, GOLDEN_HEX);
});
