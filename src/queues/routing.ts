import { QUEUE_NAME_BYTES_MAX } from "./limits.ts";

/** Suffix of a queue's dead-letter queue (the contract's `queue:dead`). */
export const DEAD_SUFFIX = ":dead";

/** The id of message `sequence` of partition `partition`: `<partition>-<sequence>`. */
export function messageId(partition: number, sequence: number): string {
  return `${partition}-${sequence}`;
}

/**
 * The partition and sequence an id names, or null for anything messageId cannot have made
 * (the command then answers `:0`, unknown, without asking any partition).
 */
export function parseMessageId(
  id: Uint8Array,
  partitions: number,
): { partition: number; sequence: number } | null {
  if (id.length < 3 || id.length > 22) return null;
  const text = String.fromCharCode.apply(null, id as never);
  const match = /^(0|[1-9][0-9]{0,3})-([1-9][0-9]{0,15})$/.exec(text);
  if (match === null) return null;
  const partition = Number(match[1]);
  const sequence = Number(match[2]);
  if (partition >= partitions || !Number.isSafeInteger(sequence)) return null;
  return { partition, sequence };
}

/** The byte string of `name`'s dead-letter queue, or null when it would be too long. */
export function deadQueueName(name: string): string | null {
  const dead = name + DEAD_SUFFIX;
  return dead.length > QUEUE_NAME_BYTES_MAX ? null : dead;
}

/**
 * The queue name that places a queue's partitions: the name without every trailing `:dead`, so
 * `q`, `q:dead` and `q:dead:dead` put partition p in the same slot and a dead letter moves
 * inside one state machine. The node hashes `placementKey(queue, p)` to find the slot.
 */
export function placementName(queue: Uint8Array): Uint8Array {
  let end = queue.length;
  while (end > DEAD_SUFFIX.length && endsWithDead(queue, end)) end -= DEAD_SUFFIX.length;
  return queue.subarray(0, end);
}

/** The bytes the node hashes to a slot for partition `partition` of `queue`. */
export function placementKey(queue: Uint8Array, partition: number): Uint8Array {
  const base = placementName(queue);
  const suffix = new TextEncoder().encode(`#${partition}`);
  const key = new Uint8Array(base.length + suffix.length);
  key.set(base);
  key.set(suffix, base.length);
  return key;
}

function endsWithDead(queue: Uint8Array, end: number): boolean {
  for (let i = 0; i < DEAD_SUFFIX.length; i++) {
    if (queue[end - DEAD_SUFFIX.length + i] !== DEAD_SUFFIX.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The partition of a push with `KEY key` (or, without a key, `DEDUP id`, so that repeats of a
 * dedup id meet in one partition): FNV-1a 32-bit of the bytes, modulo `partitions`. Stable
 * forever: changing it (or `--queue-partitions`) would split a key's messages.
 */
export function partitionOfKey(key: Uint8Array, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of key) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash % partitions;
}
