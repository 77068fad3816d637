/** Longest queue name in bytes (client names and derived `:dead` names alike). */
export const QUEUE_NAME_BYTES_MAX = 256;
/** Longest `KEY` in bytes. */
export const QUEUE_KEY_BYTES_MAX = 512;
/** Longest `DEDUP` id in bytes. */
export const QUEUE_DEDUP_BYTES_MAX = 256;
/** Largest `DELAY`/`TTL`/visibility in ms (2^40, about 34 years): `now + ms` stays safe. */
export const QUEUE_MS_MAX = 2 ** 40;
/** Largest log time in ms (2^52): log time plus any duration stays a safe integer. */
export const QUEUE_TIME_MS_MAX = 2 ** 52;
/** Largest `COUNT` of one `QUEUE.POP` (one deliver op). */
export const QUEUE_POP_COUNT_MAX = 1_000;
/** Largest `MAXDELIVER`. */
export const QUEUE_MAX_DELIVER_MAX = 1_000;
/** Largest partition number + 1 (`--queue-partitions` at most this). */
export const QUEUE_PARTITIONS_MAX = 1_024;
/** Default `MAXDELIVER` (the contract's). */
export const QUEUE_MAX_DELIVER_DEFAULT = 16;
/** Default visibility of a `QUEUE.POP` in ms (the contract's). */
export const QUEUE_VISIBILITY_MS_DEFAULT = 30_000;
/** While normal messages wait, at most this many high ones are delivered before one normal. */
export const QUEUE_HIGH_PER_NORMAL = 4;
/** Bytes every message costs on top of its payload and key (record, maps, heap slot). */
export const QUEUE_MESSAGE_OVERHEAD_BYTES = 96;
/** Expired messages one deliver op may drop while looking for live ones. */
export const QUEUE_DELIVER_DROPS_MAX = 1_000;
/** Timer events one tick op handles unless it says fewer. */
export const QUEUE_TICK_EVENTS_DEFAULT = 1_000;
/** Largest `eventsMax` of a tick op. */
export const QUEUE_TICK_EVENTS_MAX = 100_000;

/**
 * Configurable limits of one slot's queue state. They are part of the state machine's
 * definition: every replica of the slot must use the same values, or their states diverge.
 */
export interface QueueLimits {
  /** Bytes of one payload (the node passes `--max-bulk-bytes`). */
  payloadBytesMax: number;
  /** Live messages (ready, delayed, in flight) in one queue partition. */
  partitionMessagesMax: number;
  /** Payload + key + QUEUE_MESSAGE_OVERHEAD_BYTES over the live messages of a partition. */
  partitionBytesMax: number;
  /** The same sum over every partition of the slot. */
  slotBytesMax: number;
  /** Queue partitions the slot holds (a queue partition is created by its first push). */
  queuesMax: number;
  /** Live dedup ids in one queue partition. */
  dedupEntriesMax: number;
  /** How long a dedup id is remembered, in ms of log time. */
  dedupWindowMs: number;
}

/** Default limits. */
export const QUEUE_LIMITS_DEFAULT: Readonly<QueueLimits> = Object.freeze({
  payloadBytesMax: 1024 * 1024,
  partitionMessagesMax: 100_000,
  partitionBytesMax: 64 * 1024 * 1024,
  slotBytesMax: 256 * 1024 * 1024,
  queuesMax: 10_000,
  dedupEntriesMax: 10_000,
  dedupWindowMs: 120_000,
});

/** Fills in defaults and validates configured limits; throws an Error naming a bad value. */
export function resolveQueueLimits(input: Partial<QueueLimits> = {}): Readonly<QueueLimits> {
  const limits = { ...QUEUE_LIMITS_DEFAULT, ...input };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new Error(`Invalid queue limit: ${key} ${value} is not a positive safe integer`);
    }
  }
  return Object.freeze(limits);
}

/** Bytes a message with `payloadBytes` and `keyBytes` costs in the accounting. */
export function messageBytes(payloadBytes: number, keyBytes: number): number {
  return payloadBytes + keyBytes + QUEUE_MESSAGE_OVERHEAD_BYTES;
}
