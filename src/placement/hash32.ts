const TEXT_ENCODER = new TextEncoder();

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function rotl32(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

function scramble(k: number): number {
  return Math.imul(rotl32(Math.imul(k, C1), 15), C2);
}

/** MurmurHash3 x86 32-bit of `bytes` with `seed`, as an unsigned 32-bit integer. */
export function murmur3x86_32(bytes: Uint8Array, seed = 0): number {
  return murmur3Range(bytes, bytes.length, seed);
}

/** MurmurHash3 x86 32-bit of `bytes[0, length)`. */
function murmur3Range(bytes: Uint8Array, length: number, seed: number): number {
  let h = seed >>> 0;
  const blockEnd = length - (length % 4);
  for (let i = 0; i < blockEnd; i += 4) {
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h ^= scramble(k);
    h = (Math.imul(rotl32(h, 13), 5) + 0xe6546b64) | 0;
  }
  const tailLength = length - blockEnd;
  if (tailLength > 0) {
    let k = bytes[blockEnd]!;
    if (tailLength > 1) k |= bytes[blockEnd + 1]! << 8;
    if (tailLength > 2) k |= bytes[blockEnd + 2]! << 16;
    h ^= scramble(k);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Reused UTF-8 buffer for ringHash (no allocation per ring point); grows for long text. */
let scratch = new Uint8Array(512);

/** MurmurHash3 x86 32-bit (seed 0) of the UTF-8 bytes of `text`: a ring position. */
export function ringHash(text: string): number {
  // A UTF-16 code unit takes at most 3 UTF-8 bytes.
  if (text.length * 3 > scratch.length) scratch = new Uint8Array(text.length * 3);
  const { written } = TEXT_ENCODER.encodeInto(text, scratch);
  return murmur3Range(scratch, written, 0);
}
