/** Maximum key length in bytes (fixed: the op and snapshot codecs enforce it too). */
export const KV_KEY_BYTES_MAX = 4096;
/**
 * Maximum TTL in ms (2^48, about 8,900 years): a deadline `nowMs + ttlMs` on any host clock
 * stays a safe integer. Redis accepts more; past this we answer its "invalid expire time" error.
 */
export const KV_TTL_MS_MAX = 2 ** 48;
/** Keys (or key/value pairs) in one `del` or `mset` op (fixed: the codec enforces it). */
export const KV_OP_KEYS_MAX = 65_536;
/**
 * Bytes every key costs in a slot's accounting on top of its key and value bytes: about what a
 * map entry, the entry object and the value's array header take, so a slot of empty values is
 * bounded too.
 */
export const KV_ENTRY_OVERHEAD_BYTES = 64;

/**
 * Configurable limits of one slot's store. They are part of the state machine's definition:
 * every replica of the slot must use the same values, or their stores diverge.
 */
export interface KvLimits {
  /** Bytes of one value (the node passes `--max-bulk-bytes`). */
  valueBytesMax: number;
  /** Key bytes + value bytes + KV_ENTRY_OVERHEAD_BYTES per key, summed over the slot. */
  slotBytesMax: number;
  /** Keys in the slot. */
  keysMax: number;
}

/** Default limits: 1 MiB values, 64 MiB and 1,000,000 keys per slot. */
export const KV_LIMITS_DEFAULT: Readonly<KvLimits> = Object.freeze({
  valueBytesMax: 1024 * 1024,
  slotBytesMax: 64 * 1024 * 1024,
  keysMax: 1_000_000,
});

/** Fills in defaults and validates configured limits; throws an Error naming a bad value. */
export function resolveKvLimits(input: Partial<KvLimits> = {}): Readonly<KvLimits> {
  const limits = { ...KV_LIMITS_DEFAULT, ...input };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new Error(`Invalid key-value limit: ${key} ${value} is not a positive safe integer`);
    }
  }
  return Object.freeze(limits);
}

/** Bytes a key with `keyBytes` and `valueBytes` costs in its slot's accounting. */
export function entryBytes(keyBytes: number, valueBytes: number): number {
  return keyBytes + valueBytes + KV_ENTRY_OVERHEAD_BYTES;
}
