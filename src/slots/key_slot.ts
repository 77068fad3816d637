/**
 * Which slot holds a key (pure): CRC16-XMODEM of the key, or of its hash tag, modulo the slot
 * count. The hash tag is the part between the first `{` and the first `}` after it, when that part
 * is not empty (as in Redis Cluster), so `{user:7}:cart` and `{user:7}:orders` share a slot.
 */

/** Slots per cluster when `--slots` is not given. */
export const SLOT_COUNT_DEFAULT = 64;
/** Largest `--slots` (the CRC16 range Redis Cluster uses). */
export const SLOT_COUNT_MAX = 16384;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** CRC16-XMODEM (polynomial 0x1021, initial value 0, no reflection) of `bytes`. */
export function crc16Xmodem(bytes: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) {
    crc ^= bytes[i]! << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = (crc & 0x8000) !== 0 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

/** The bytes that are hashed for `key`: its non-empty `{hash tag}`, else the whole key. */
export function hashTagOf(key: Uint8Array): Uint8Array {
  const open = key.indexOf(OPEN_BRACE);
  if (open < 0) return key;
  const close = key.indexOf(CLOSE_BRACE, open + 1);
  if (close < 0 || close === open + 1) return key;
  return key.subarray(open + 1, close);
}

/** The slot of `key` among `slotCount` slots (0-based). */
export function keySlot(key: Uint8Array, slotCount: number): number {
  if (!Number.isSafeInteger(slotCount) || slotCount < 1 || slotCount > SLOT_COUNT_MAX) {
    throw new RangeError(`Cannot place key: slot count ${slotCount} not in 1..${SLOT_COUNT_MAX}`);
  }
  return crc16Xmodem(hashTagOf(key)) % slotCount;
}
