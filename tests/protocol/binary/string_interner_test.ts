import assert from "node:assert/strict";
import { BinaryReader, BinaryWriter, StringInterner } from "../../../protocol/binary/mod.ts";

function readAll(bytes: Uint8Array, count: number, interner?: StringInterner): string[] {
  const reader = new BinaryReader(bytes);
  const values: string[] = [];
  for (let i = 0; i < count; i++) values.push(reader.u16String(interner));
  reader.expectEnd();
  return values;
}

Deno.test("string interner: decodes every string as without it, even when slots collide", () => {
  const texts = ["a", "owner-1", "owner-2", "", "owner-1", "ünï", "ünï", "a", "owner-2", "b"];
  const writer = new BinaryWriter(256);
  for (const text of texts) writer.u16String(text);
  const bytes = writer.copy();
  // Two slots: most strings collide with another one.
  for (const slotCountLog2 of [1, 14]) {
    assert.deepEqual(readAll(bytes, texts.length, new StringInterner(slotCountLog2)), texts);
  }
  assert.deepEqual(readAll(bytes, texts.length), texts);
});

Deno.test("string interner: rejects invalid UTF-8 and bad slot counts", () => {
  const bytes = new Uint8Array([0, 2, 0xc3, 0x28]);
  assert.throws(() => new BinaryReader(bytes).u16String(new StringInterner()), /not valid UTF-8/);
  assert.throws(() => new StringInterner(0), RangeError);
  assert.throws(() => new StringInterner(21), RangeError);
});
