import assert from "node:assert/strict";
import { BinaryReader, BinaryWriter, DecodeError } from "../../../protocol/binary/mod.ts";
import { bytesToHex } from "../peer/arbitraries.ts";

Deno.test("BinaryWriter writes big-endian integers and length-prefixed fields", () => {
  const writer = new BinaryWriter(1);
  writer.u8(0xab).u16(0x0102).u32(0xdeadbeef).u53(2 ** 32 + 5);
  writer.u32Bytes(new Uint8Array([7, 8])).u16String("é").list([1, 2], (w, item) => w.u8(item));
  writer.u8String("ab").u8Bytes(new Uint8Array([9])).u16Bytes(new Uint8Array(0));
  assert.equal(
    bytesToHex(writer.view()),
    "ab 01 02 de ad be ef 00 00 00 01 00 00 00 05 00 00 00 02 07 08 00 02 c3 a9 " +
      "00 00 00 02 01 02 02 61 62 01 09 00 00",
  );
  assert.equal(writer.lengthBytes, 38);
});

Deno.test("BinaryWriter writes little-endian fields only through the le methods", () => {
  const writer = new BinaryWriter();
  writer.u32le(0x01020304).u53le(2 ** 32 + 5).u32(0);
  writer.patchU32le(8 + 4, 0x0a0b0c0d);
  assert.equal(bytesToHex(writer.view()), "04 03 02 01 05 00 00 00 01 00 00 00 0d 0c 0b 0a");
});

Deno.test("BinaryWriter.reset keeps the buffer; view() is a view, copy() is not", () => {
  const writer = new BinaryWriter(16);
  writer.u32(1);
  const view = writer.view();
  const copy = writer.copy();
  writer.reset().u32(2);
  assert.equal(writer.lengthBytes, 4);
  assert.equal(bytesToHex(view), "00 00 00 02"); // the view sees the next message
  assert.equal(bytesToHex(copy), "00 00 00 01");
});

Deno.test("BinaryWriter.patchU32 overwrites written bytes and rejects unwritten offsets", () => {
  const writer = new BinaryWriter();
  writer.u32(0).u8(9);
  writer.patchU32(0, 0x01020304);
  assert.equal(bytesToHex(writer.view()), "01 02 03 04 09");
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
  assert.throws(() => writer.u53(2 ** 53), { name: "RangeError" });
  assert.throws(() => writer.u53le(0.5), { name: "RangeError" });
  assert.equal(writer.lengthBytes, 0);
});

Deno.test("BinaryWriter encodes a u16String of exactly 65535 UTF-8 bytes, and not one more", () => {
  const writer = new BinaryWriter();
  writer.u16String("a".repeat(65_535));
  assert.equal(writer.lengthBytes, 65_537);
  assert.throws(() => writer.u16String("€".repeat(21_846)), {
    name: "RangeError",
    message: "Cannot encode u16String: length 65538 exceeds maximum of 65535 bytes",
  });
  assert.equal(writer.lengthBytes, 65_537);
  assert.throws(() => writer.u8String("é".repeat(128)), /u8String: length 256 exceeds/);
  assert.throws(() => writer.u8Bytes(new Uint8Array(256)), /u8Bytes: length 256 exceeds/);
  assert.equal(writer.lengthBytes, 65_537);
});

Deno.test("BinaryWriter never grows beyond capacityBytesMax", () => {
  const writer = new BinaryWriter(4, 10);
  writer.u53(1).u16(2);
  assert.throws(() => writer.u8(3), {
    name: "RangeError",
    message: "Cannot encode: 11 bytes exceed the writer's maximum of 10 bytes",
  });
  assert.equal(writer.lengthBytes, 10);
});

Deno.test("BinaryReader reads a window of its input; offsets are positions in the input", () => {
  const backing = new Uint8Array([0xff, 0xff, 0x00, 0x07, 0xff]);
  const reader = new BinaryReader(backing, "Test", 2, 4);
  assert.equal(reader.offsetBytes, 2);
  assert.equal(reader.u16(), 7);
  assert.equal(reader.offsetBytes, 4);
  reader.expectEnd();
  assert.throws(() => reader.u8(), {
    name: "DecodeError",
    message: "Cannot decode Test: u8 at offset 4 needs 1 byte but only 0 bytes remain",
  });
  assert.throws(() => new BinaryReader(backing, "Test", 3, 6), RangeError);
});

Deno.test("BinaryReader enforces a bytes field's lengthMax before the remaining length", () => {
  const reader = new BinaryReader(new Uint8Array([0, 0, 0, 9, 1, 2]), "Test");
  assert.throws(() => reader.u32Bytes(8), {
    name: "DecodeError",
    message: "Cannot decode Test: u32Bytes length 9 at offset 0 exceeds maximum of 8 bytes",
  });
});

Deno.test("BinaryReader refuses a u53 above 2^53 - 1, in both byte orders", () => {
  const big = new Uint8Array([0x00, 0x20, 0, 0, 0, 0, 0, 0]);
  assert.throws(() => new BinaryReader(big, "Test").u53(), {
    name: "DecodeError",
    message:
      "Cannot decode Test: u53 at offset 0 exceeds 2^53 - 1 (high word 2097152 above 2097151)",
  });
  assert.throws(() => new BinaryReader(big.slice().reverse(), "Test").u53le(), DecodeError);
  const max = new BinaryWriter().u53(Number.MAX_SAFE_INTEGER).u53le(Number.MAX_SAFE_INTEGER);
  const reader = new BinaryReader(max.view());
  assert.equal(reader.u53(), Number.MAX_SAFE_INTEGER);
  assert.equal(reader.u53le(), Number.MAX_SAFE_INTEGER);
});

Deno.test("BinaryReader.expectEnd names the trailing bytes and where they start", () => {
  const reader = new BinaryReader(new Uint8Array(3), "Test");
  reader.u8();
  assert.throws(() => reader.expectEnd(), {
    name: "DecodeError",
    message: "Cannot decode Test: 2 trailing bytes at offset 1",
  });
});

Deno.test("BinaryReader.error builds a DecodeError naming the context", () => {
  const error = new BinaryReader(new Uint8Array(0), "Raft").error("bad");
  assert.ok(error instanceof DecodeError);
  assert.equal(error.message, "Cannot decode Raft: bad");
  assert.equal(error.name, "DecodeError");
});

Deno.test("BinaryReader.window re-points one reader at another part of the same input", () => {
  const bytes = new BinaryWriter().u32le(7).u16(9).u32le(8).copy();
  const reader = new BinaryReader(bytes, "Test", 0, 4);
  assert.equal(reader.u32le(), 7);
  assert.equal(reader.window(6, 10).u32le(), 8);
  reader.expectEnd();
  assert.equal(reader.window(4, 6).u16(), 9);
  assert.throws(() => reader.u8(), /u8 at offset 6 needs 1 byte but only 0 bytes remain/);
  assert.throws(() => reader.window(4, 11), RangeError);
});

Deno.test("a read past the end is a truncated DecodeError; a length over its maximum is not", () => {
  assert.throws(
    () => new BinaryReader(new Uint8Array([0, 0, 0]), "record").u32(),
    (error: unknown) => error instanceof DecodeError && error.truncated,
  );
  const lengthPastEnd = new BinaryWriter(8).u32(5).u8(1).copy();
  assert.throws(
    () => new BinaryReader(lengthPastEnd, "record").u32Bytes(),
    (error: unknown) => error instanceof DecodeError && error.truncated,
  );
  const overMax = new BinaryWriter(16).u32(5).fixed(new Uint8Array(5)).copy();
  assert.throws(
    () => new BinaryReader(overMax, "record").u32Bytes(4),
    (error: unknown) => error instanceof DecodeError && !error.truncated,
  );
});
