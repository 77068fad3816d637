import assert from "node:assert/strict";
import fc from "fast-check";
import { BinaryReader, BinaryWriter, DecodeError } from "../../../protocol/binary/mod.ts";
import { textArbitrary, u32Arbitrary, u53Arbitrary } from "../peer/arbitraries.ts";

/** One field write; read back with the method of the same name. */
type Field =
  | { kind: "u8" | "u16" | "u32" | "u53" | "u32le" | "u53le"; value: number }
  | { kind: "u8Bytes" | "u16Bytes" | "u32Bytes" | "fixed"; value: Uint8Array }
  | { kind: "u8String" | "u16String" | "u32String"; value: string };

const bytes = fc.uint8Array({ maxLength: 40 });
const fieldArbitrary: fc.Arbitrary<Field> = fc.oneof(
  fc.integer({ min: 0, max: 0xff }).map((value) => ({ kind: "u8" as const, value })),
  fc.integer({ min: 0, max: 0xffff }).map((value) => ({ kind: "u16" as const, value })),
  u32Arbitrary.map((value) => ({ kind: "u32" as const, value })),
  u53Arbitrary.map((value) => ({ kind: "u53" as const, value })),
  u32Arbitrary.map((value) => ({ kind: "u32le" as const, value })),
  u53Arbitrary.map((value) => ({ kind: "u53le" as const, value })),
  bytes.map((value) => ({ kind: "u8Bytes" as const, value })),
  bytes.map((value) => ({ kind: "u16Bytes" as const, value })),
  bytes.map((value) => ({ kind: "u32Bytes" as const, value })),
  bytes.map((value) => ({ kind: "fixed" as const, value })),
  textArbitrary.map((value) => ({ kind: "u8String" as const, value })),
  textArbitrary.map((value) => ({ kind: "u16String" as const, value })),
  textArbitrary.map((value) => ({ kind: "u32String" as const, value })),
);
const fieldsArbitrary = fc.array(fieldArbitrary, { maxLength: 24 });

function write(writer: BinaryWriter, field: Field): void {
  switch (field.kind) {
    case "u8":
    case "u16":
    case "u32":
    case "u53":
    case "u32le":
    case "u53le":
      writer[field.kind](field.value);
      return;
    case "u8Bytes":
    case "u16Bytes":
    case "u32Bytes":
    case "fixed":
      writer[field.kind](field.value);
      return;
    case "u8String":
    case "u16String":
    case "u32String":
      writer[field.kind](field.value);
      return;
  }
}

/** Reads the field `field` describes (its value only tells `fixed` how many bytes). */
function read(reader: BinaryReader, field: Field): number | Uint8Array | string {
  switch (field.kind) {
    case "u8":
    case "u16":
    case "u32":
    case "u53":
    case "u32le":
    case "u53le":
    case "u8Bytes":
    case "u16Bytes":
    case "u32Bytes":
    case "u8String":
    case "u16String":
    case "u32String":
      return reader[field.kind]();
    case "fixed":
      return reader.fixed(field.value.length);
  }
}

function encode(fields: readonly Field[], writer = new BinaryWriter(1)): Uint8Array {
  for (const field of fields) write(writer, field);
  return writer.copy();
}

/** Runs `body`; returns the error it threw, or undefined. */
function thrown(body: () => void): unknown {
  try {
    body();
  } catch (error) {
    return error;
  }
  return undefined;
}

Deno.test("binary: any sequence of writes reads back identically", () => {
  fc.assert(
    fc.property(fieldsArbitrary, (fields) => {
      const reader = new BinaryReader(encode(fields), "Test");
      for (const field of fields) assert.deepEqual(read(reader, field), field.value);
      reader.expectEnd();
    }),
    { numRuns: 1_000 },
  );
});

Deno.test("binary: a reused writer encodes after reset() as a fresh one does", () => {
  const writer = new BinaryWriter(1);
  fc.assert(
    fc.property(fieldsArbitrary, fieldsArbitrary, (first, second) => {
      encode(first, writer.reset());
      assert.deepEqual(encode(second, writer.reset()), encode(second));
    }),
    { numRuns: 300 },
  );
});

Deno.test("binary: any truncation makes the reader throw a DecodeError", () => {
  const cases = fieldsArbitrary
    .map((fields) => ({ fields, bytes: encode(fields) }))
    .filter(({ bytes }) => bytes.length > 0)
    .chain(({ fields, bytes }) =>
      fc.integer({ min: 0, max: bytes.length - 1 }).map((cut) => ({ fields, bytes, cut }))
    );
  fc.assert(
    fc.property(cases, ({ fields, bytes, cut }) => {
      const reader = new BinaryReader(bytes.subarray(0, cut), "Test");
      const error = thrown(() => {
        for (const field of fields) read(reader, field);
      });
      assert.ok(error instanceof DecodeError, `expected a DecodeError, got ${error}`);
      assert.match(error.message, /^Cannot decode Test: .* offset \d+/);
    }),
    { numRuns: 1_000 },
  );
});

Deno.test("binary: garbage input yields values or a DecodeError, never another exception", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fieldsArbitrary, (garbage, fields) => {
      const reader = new BinaryReader(garbage, "Test");
      const error = thrown(() => {
        for (const field of fields) {
          const value = read(reader, field);
          if (typeof value === "number") assert.ok(Number.isSafeInteger(value) && value >= 0);
        }
        reader.expectEnd();
      });
      if (error !== undefined) {
        assert.ok(error instanceof DecodeError, `expected a DecodeError, got ${error}`);
      }
    }),
    { numRuns: 2_000 },
  );
});
