/** CRC16-XMODEM (polynomial 0x1021, initial value 0, no reflection) of every byte value. */
const CRC16_TABLE: Uint16Array = buildCrc16Table();

function buildCrc16Table(): Uint16Array {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = (crc & 0x8000) !== 0 ? (crc << 1) ^ 0x1021 : crc << 1;
    }
    table[byte] = crc & 0xffff;
  }
  return table;
}

/** CRC16-XMODEM of `bytes[start, end)`, as Redis Cluster computes it. */
export function crc16Xmodem(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xff00) ^ CRC16_TABLE[((crc >>> 8) ^ bytes[i]!) & 0xff]!;
  }
  return crc;
}

/** Most slots keySlot() can tell apart: CRC16 has 65,536 values. */
export const KEY_SLOT_COUNT_MAX = 0x1_0000;

/** `--slots` when not given: the slot count a new cluster records. */
export const SLOT_COUNT_DEFAULT = 64;

/** Largest `--slots` a cluster accepts (each slot is a Raft group). */
export const SLOT_COUNT_MAX = 16384;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The part of `key` that is hashed, as [start, end): the hash tag (the bytes between the first
 * `{` and the next `}`) when it is non-empty, else the whole key (the Redis Cluster rule).
 */
export function hashTagRange(key: Uint8Array): [number, number] {
  const open = key.indexOf(OPEN_BRACE);
  if (open < 0) return [0, key.length];
  const close = key.indexOf(CLOSE_BRACE, open + 1);
  if (close < 0 || close === open + 1) return [0, key.length];
  return [open + 1, close];
}

/** The slot of `key` among `slotCount` slots: CRC16-XMODEM of its hash tag or of it, mod count. */
export function keySlot(key: Uint8Array, slotCount: number): number {
  if (!Number.isInteger(slotCount) || slotCount < 1 || slotCount > KEY_SLOT_COUNT_MAX) {
    throw new RangeError(
      `Cannot compute key slot: slot count ${slotCount} not in 1..${KEY_SLOT_COUNT_MAX}`,
    );
  }
  const [start, end] = hashTagRange(key);
  return crc16Xmodem(key, start, end) % slotCount;
}
