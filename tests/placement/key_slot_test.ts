import assert from "node:assert/strict";
import fc from "fast-check";
import { crc16Xmodem, hashTagRange, keySlot } from "../../src/placement/mod.ts";

const TEXT_ENCODER = new TextEncoder();

/** Bit-at-a-time CRC16-XMODEM straight from its definition, to check the table version. */
function crc16Reference(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = (crc & 0x8000) !== 0 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

Deno.test("crc16Xmodem matches the XMODEM check value", () => {
  assert.equal(crc16Xmodem(TEXT_ENCODER.encode("123456789")), 0x31c3);
  assert.equal(crc16Xmodem(new Uint8Array()), 0);
});

Deno.test("crc16Xmodem agrees with a bit-at-a-time CRC on any bytes", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    assert.equal(crc16Xmodem(bytes), crc16Reference(bytes));
  }));
});

Deno.test("keySlot with 16384 slots agrees with redis-server's CLUSTER KEYSLOT", () => {
  // Answers of redis-server 7 (cluster-enabled) to CLUSTER KEYSLOT <key>.
  const redisAnswers: [string, number][] = [
    ["foo", 12182],
    ["bar", 5061],
    ["hello", 866],
    ["123456789", 12739],
    ["somekey", 11058],
    ["{user1000}.following", 3443],
    ["{user1000}.followers", 3443],
    ["foo{}{bar}", 8363],
    ["foo{{bar}}zap", 4015],
    ["foo{bar}{zap}", 5061],
    ["{}", 15257],
    ["{", 4092],
    ["}{x}", 16287],
    ["a{b", 13340],
    ["", 0],
  ];
  for (const [key, slot] of redisAnswers) {
    assert.equal(keySlot(TEXT_ENCODER.encode(key), 16_384), slot, key);
  }
});

Deno.test("keySlot hashes only a non-empty hash tag, so tagged keys share a slot", () => {
  const tagArbitrary = fc.uint8Array({ minLength: 1, maxLength: 20 })
    .filter((tag) => !tag.includes(0x7d));
  const prefixArbitrary = fc.uint8Array({ maxLength: 20 }).filter((bytes) => !bytes.includes(0x7b));
  fc.assert(
    fc.property(
      prefixArbitrary,
      tagArbitrary,
      fc.uint8Array({ maxLength: 20 }),
      fc.integer({ min: 1, max: 65_536 }),
      (prefix, tag, suffix, slotCount) => {
        const key = new Uint8Array([...prefix, 0x7b, ...tag, 0x7d, ...suffix]);
        assert.deepEqual(hashTagRange(key), [prefix.length + 1, prefix.length + 1 + tag.length]);
        assert.equal(keySlot(key, slotCount), crc16Reference(tag) % slotCount);
      },
    ),
  );
});

Deno.test("keySlot hashes the whole key when there is no closed, non-empty tag", () => {
  for (const key of ["plain", "a{b", "{}x", "x}{", "}{"]) {
    const bytes = TEXT_ENCODER.encode(key);
    assert.equal(keySlot(bytes, 64), crc16Reference(bytes) % 64, key);
  }
});

Deno.test("keySlot refuses a slot count outside 1..65536", () => {
  for (const slotCount of [0, -1, 1.5, 65_537, Number.NaN]) {
    assert.throws(() => keySlot(new Uint8Array([1]), slotCount), { name: "RangeError" });
  }
  assert.equal(keySlot(TEXT_ENCODER.encode("123456789"), 65_536), 0x31c3);
});
