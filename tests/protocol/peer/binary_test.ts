import assert from "node:assert/strict";
import fc from "fast-check";
import { BinaryReader, BinaryWriter, FrameError } from "../../../protocol/peer/mod.ts";
import { bytesToHex, textArbitrary, u32Arbitrary, u53Arbitrary } from "./arbitraries.ts";

Deno.test("BinaryWriter writes big-endian integers and length-prefixed fields", () => {
  const writer = new BinaryWriter(1);
  writer.u8(0xab).u16(0x0102).u32(0xdeadbeef).u53(2 ** 32 + 5);
  writer.bytes(new Uint8Array([7, 8])).string("é").list([1, 2], (w, item) => w.u8(item));
  assert.equal(
    bytesToHex(writer.finish()),
    "ab 01 02 de ad be ef 00 00 00 01 00 00 00 05 00 00 00 02 07 08 00 02 c3 a9 " +
      "00 00 00 02 01 02",
  );
  assert.equal(writer.lengthBytes, 31);
});

Deno.test("BinaryWriter.patchU32 overwrites written bytes and rejects unwritten offsets", () => {
  const writer = new BinaryWriter();
  writer.u32(0).u8(9);
  writer.patchU32(0, 0x01020304);
  assert.equal(bytesToHex(writer.finish()), "01 02 03 04 09");
  assert.throws(
    () => writer.patchU32(2, 1),
    /Assertion failed: patchU32 must target written bytes/,
  );
});

Deno.test("BinaryWriter rejects integers outside each field's range", () => {
  const writer = new BinaryWriter();
  assert.throws(() => writer.u8(-1), { name: "RangeError" });
  assert.throws(() => writer.u16(0x1_0000), {
    name: "RangeError",
    message: "Cannot encode u16: 65536 is not an integer in 0..65535",
  });
  assert.throws(() => writer.u32(Number.NaN), { name: "RangeError" });
  assert.throws(() => writer.u53(Number.POSITIVE_INFINITY), { name: "RangeError" });
  assert.equal(writer.lengthBytes, 0);
});

Deno.test("BinaryWriter encodes a string of exactly 65535 UTF-8 bytes, and not one more", () => {
  const writer = new BinaryWriter();
  writer.string("a".repeat(65_535));
  assert.equal(writer.lengthBytes, 65_537);
  assert.throws(() => writer.string("€".repeat(21_846)), {
    name: "RangeError",
    message: "Cannot encode string: length 65538 exceeds maximum of 65535 bytes",
  });
  assert.equal(writer.lengthBytes, 65_537);
});

Deno.test("BinaryReader reads back what BinaryWriter wrote", () => {
  const fields = fc.tuple(
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 0xffff }),
    u32Arbitrary,
    u53Arbitrary,
    fc.uint8Array({ maxLength: 40 }),
    textArbitrary,
    fc.array(u53Arbitrary, { maxLength: 5 }),
  );
  fc.assert(
    fc.property(fields, ([a, b, c, d, bytes, text, list]) => {
      const writer = new BinaryWriter(0);
      writer.u8(a).u16(b).u32(c).u53(d).bytes(bytes).string(text).list(list, (w, v) => w.u53(v));
      const reader = new BinaryReader(writer.finish(), "Test");
      assert.deepEqual(
        [
          reader.u8(),
          reader.u16(),
          reader.u32(),
          reader.u53(),
          reader.bytes(),
          reader.string(),
          reader.list((r) => r.u53(), 5, 8),
        ],
        [a, b, c, d, bytes, text, list],
      );
      reader.expectEnd();
    }),
    { numRuns: 500 },
  );
});

Deno.test("BinaryReader works over a subarray with a non-zero byte offset", () => {
  const backing = new Uint8Array([0xff, 0xff, 0x00, 0x07, 0xff]);
  const reader = new BinaryReader(backing.subarray(2, 4));
  assert.equal(reader.u16(), 7);
  reader.expectEnd();
});

Deno.test("BinaryReader enforces a bytes field's lengthMax before the remaining length", () => {
  const reader = new BinaryReader(new Uint8Array([0, 0, 0, 9, 1, 2]), "Test");
  assert.throws(() => reader.bytes(8), {
    name: "FrameError",
    message: "Cannot decode Test: bytes length 9 exceeds maximum of 8 bytes",
  });
});

Deno.test("BinaryReader.error builds a FrameError naming the context", () => {
  const error = new BinaryReader(new Uint8Array(0), "Raft").error("bad");
  assert.ok(error instanceof FrameError);
  assert.equal(error.message, "Cannot decode Raft: bad");
  assert.equal(error.name, "FrameError");
});
