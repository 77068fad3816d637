import expect from "node:assert/strict";
import fc from "fast-check";
import { crc16Xmodem, hashTagOf, keySlot, SLOT_COUNT_MAX } from "../../src/slots/key_slot.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("crc16Xmodem: the published check value of '123456789' is 0x31c3", () => {
  expect.equal(crc16Xmodem(bytes("123456789")), 0x31c3);
  expect.equal(crc16Xmodem(new Uint8Array(0)), 0);
});

Deno.test("keySlot: with 16384 slots it agrees with Redis Cluster's published slots", () => {
  // Values from the Redis Cluster specification and `CLUSTER KEYSLOT` of redis-server.
  expect.equal(keySlot(bytes("somekey"), 16384), 11058);
  expect.equal(keySlot(bytes("foo"), 16384), 12182);
  expect.equal(keySlot(bytes("{user1000}.following"), 16384), keySlot(bytes("user1000"), 16384));
});

Deno.test("hashTagOf: first '{' to the first '}' after it, only when not empty", () => {
  const text = (key: string) => new TextDecoder().decode(hashTagOf(bytes(key)));
  expect.equal(text("{user1000}.following"), "user1000");
  expect.equal(text("foo{}{bar}"), "foo{}{bar}");
  expect.equal(text("foo{{bar}}zap"), "{bar");
  expect.equal(text("foo{bar}{zap}"), "bar");
  expect.equal(text("no tag"), "no tag");
  expect.equal(text("open{only"), "open{only");
});

Deno.test("keySlot: always in 0..slotCount-1; keys sharing a tag share a slot", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 64 }),
      fc.string({ minLength: 1, maxLength: 16 }).filter((tag) => !tag.includes("}")),
      fc.integer({ min: 1, max: SLOT_COUNT_MAX }),
      (key, tag, slotCount) => {
        const slot = keySlot(key, slotCount);
        if (slot < 0 || slot >= slotCount) return false;
        const a = keySlot(bytes(`a{${tag}}x`), slotCount);
        const b = keySlot(bytes(`zz{${tag}}yy`), slotCount);
        return a === b;
      },
    ),
  );
});

Deno.test("keySlot: a slot count outside 1..16384 is a RangeError", () => {
  expect.throws(() => keySlot(bytes("k"), 0), RangeError);
  expect.throws(() => keySlot(bytes("k"), SLOT_COUNT_MAX + 1), RangeError);
});
