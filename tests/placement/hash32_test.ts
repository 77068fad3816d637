import assert from "node:assert/strict";
import { murmur3x86_32, ringHash } from "../../src/placement/mod.ts";

const TEXT_ENCODER = new TextEncoder();

Deno.test("murmur3x86_32 matches the published MurmurHash3_x86_32 vectors", () => {
  const vectors: [string, number, number][] = [
    ["", 0, 0],
    ["", 1, 0x514e28b7],
    ["", 0xffffffff, 0x81f16f39],
    ["hello", 0, 0x248bfa47],
    ["Hello, world!", 1234, 0xfaf6cdb3],
    ["The quick brown fox jumps over the lazy dog", 0, 0x2e4ff723],
  ];
  for (const [text, seed, expected] of vectors) {
    assert.equal(murmur3x86_32(TEXT_ENCODER.encode(text), seed), expected, `${text}/${seed}`);
  }
});

Deno.test("murmur3x86_32 covers every tail length and stays an unsigned 32-bit integer", () => {
  const vectors: [number[], number][] = [
    [[0x00, 0x00, 0x00, 0x00], 0x2362f9de],
    [[0x21, 0x43, 0x65], 0x7e4a8634],
    [[0x21, 0x43], 0xa0f7b07a],
    [[0x21], 0x72661cf4],
    [[0xff, 0xff, 0xff, 0xff], 0x76293b50],
  ];
  for (const [bytes, expected] of vectors) {
    const hash = murmur3x86_32(new Uint8Array(bytes));
    assert.equal(hash, expected, bytes.join(","));
    assert.ok(Number.isInteger(hash) && hash >= 0 && hash <= 0xffffffff);
  }
});

Deno.test("ringHash hashes the UTF-8 bytes with seed 0", () => {
  assert.equal(ringHash("hello"), 0x248bfa47);
  assert.equal(ringHash("é"), murmur3x86_32(new Uint8Array([0xc3, 0xa9])));
});
