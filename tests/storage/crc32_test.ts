import assert from "node:assert/strict";
import fc from "fast-check";
import { crc32c } from "../../src/storage/crc32.ts";

/** Bit-at-a-time reference CRC-32C, independent of the table-driven implementation. */
function referenceCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

Deno.test("crc32c matches the standard check value and RFC 3720 vectors", () => {
  assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
});

Deno.test("crc32c equals a bitwise reference on random input", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      assert.equal(crc32c(bytes), referenceCrc32c(bytes));
    }),
  );
});

Deno.test("crc32c composes over pieces and honours a sub-range", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(), (bytes, a, b) => {
      const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
      const end = start + (b % (bytes.length - start + 1));
      const whole = referenceCrc32c(bytes.subarray(start, end));
      assert.equal(crc32c(bytes, 0, start, end), whole);
      const middle = start + ((end - start) >> 1);
      assert.equal(crc32c(bytes, crc32c(bytes, 0, start, middle), middle, end), whole);
    }),
  );
});
