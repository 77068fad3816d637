import { assert } from "../util/assert.ts";

/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven with slicing-by-8.
 *
 * Pure: no I/O. `crc32c(b, crc32c(a))` equals `crc32c(a ++ b)`, so long inputs can be
 * checksummed piecewise.
 */

/** Reflected CRC-32C polynomial. */
const CRC32C_POLYNOMIAL = 0x82f63b78;

/** Number of 256-entry tables used by slicing-by-8. */
const TABLE_COUNT = 8;

/** `TABLES[k * 256 + n]`: the CRC of byte `n` followed by `k` zero bytes. */
const TABLES: Uint32Array = buildTables();

function buildTables(): Uint32Array {
  const tables = new Uint32Array(TABLE_COUNT * 256);
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1 ? (crc >>> 1) ^ CRC32C_POLYNOMIAL : crc >>> 1;
    }
    tables[n] = crc >>> 0;
  }
  for (let k = 1; k < TABLE_COUNT; k++) {
    for (let n = 0; n < 256; n++) {
      const previous = tables[(k - 1) * 256 + n]!;
      tables[k * 256 + n] = ((previous >>> 8) ^ tables[previous & 0xff]!) >>> 0;
    }
  }
  return tables;
}

/**
 * Returns the CRC-32C of `bytes[start, end)` as an unsigned 32-bit number.
 *
 * `previous` is the CRC of the bytes before (0 for a fresh checksum).
 */
export function crc32c(
  bytes: Uint8Array,
  previous = 0,
  start = 0,
  end: number = bytes.length,
): number {
  assert(0 <= start && start <= end && end <= bytes.length, "crc32c range within bytes");
  const t = TABLES;
  let crc = ~previous;
  let i = start;
  const wordsEnd = start + ((end - start) & ~7);
  while (i < wordsEnd) {
    const low = crc ^
      (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    crc = t[7 * 256 + (low & 0xff)]! ^
      t[6 * 256 + ((low >>> 8) & 0xff)]! ^
      t[5 * 256 + ((low >>> 16) & 0xff)]! ^
      t[4 * 256 + (low >>> 24)]! ^
      t[3 * 256 + bytes[i + 4]!]! ^
      t[2 * 256 + bytes[i + 5]!]! ^
      t[1 * 256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < end) {
    crc = t[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
    i++;
  }
  return ~crc >>> 0;
}
