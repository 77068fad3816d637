import { assert } from "../util/assert.ts";
import { CACHE_LINE_OVERHEAD_BYTES } from "./limits.ts";
import type { DirtyData, GrantedState } from "./types.ts";

/** Local writes of a write-back line that the store has not seen yet. */
export interface DirtyState {
  data: DirtyData;
  /** Numbers local writes; a WriteBackAck clears the line only if it names the latest. */
  version: number;
  /** When the first unsent local write happened (node clock). */
  sinceMs: number;
  /** When the latest WriteBack for this line was sent, or null. */
  sentAtMs: number | null;
}

/** One cached line on a node. A line that is absent is in state I. */
export interface CacheLine {
  key: Uint8Array;
  slot: number;
  state: GrantedState;
  /** null: the key does not exist (a cached miss). */
  value: Uint8Array | null;
  /** The line must not answer at or after this time (node clock): lease end. */
  leaseEndMs: number;
  /** The line must not answer at or after this (TTL deadline minus the margin), or null. */
  expiryEndMs: number | null;
  /** The home's epoch and grant number this line was granted under. */
  epoch: number;
  grantSeq: number;
  dirty: DirtyState | null;
}

/** Bytes a line counts against `--cache-max-bytes`. */
export function lineBytes(key: Uint8Array, value: Uint8Array | null): number {
  return key.length + (value?.length ?? 0) + CACHE_LINE_OVERHEAD_BYTES;
}

/**
 * The lines of one node in least-recently-used order, bounded by bytes and entries. `insert`
 * returns the lines it had to evict (oldest first) so the caller can send their notices.
 */
export class LineStore {
  readonly #lines = new Map<string, CacheLine>();
  readonly #maxBytes: number;
  readonly #maxEntries: number;
  #bytes = 0;

  /** Creates an empty store holding at most `maxEntries` lines and `maxBytes` bytes. */
  constructor(maxBytes: number, maxEntries: number) {
    assert(Number.isSafeInteger(maxBytes) && maxBytes >= 0, "maxBytes is a safe integer >= 0");
    assert(Number.isSafeInteger(maxEntries) && maxEntries >= 0, "maxEntries is >= 0");
    this.#maxBytes = maxBytes;
    this.#maxEntries = maxEntries;
  }

  /** Bytes of all lines. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Number of lines. */
  get size(): number {
    return this.#lines.size;
  }

  /** The line of `id` without touching its recency. */
  peek(id: string): CacheLine | undefined {
    return this.#lines.get(id);
  }

  /** The line of `id`, made the most recently used. */
  touch(id: string): CacheLine | undefined {
    const line = this.#lines.get(id);
    if (line === undefined) return undefined;
    this.#lines.delete(id);
    this.#lines.set(id, line);
    return line;
  }

  /** Removes the line of `id`; returns it. */
  remove(id: string): CacheLine | undefined {
    const line = this.#lines.get(id);
    if (line === undefined) return undefined;
    this.#lines.delete(id);
    this.#bytes -= lineBytes(line.key, line.value);
    assert(this.#bytes >= 0, "line bytes stay >= 0");
    return line;
  }

  /** Replaces the value of a present line (a local write), keeping the byte count right. */
  setValue(id: string, value: Uint8Array | null): void {
    const line = this.#lines.get(id);
    assert(line !== undefined, "setValue on a present line");
    this.#bytes += lineBytes(line.key, value) - lineBytes(line.key, line.value);
    line.value = value;
  }

  /**
   * Inserts (or replaces) the line of `id` as most recent, then evicts least-recent other lines
   * until both bounds hold. Returns the evicted lines, or null when the line alone exceeds a
   * bound (then nothing is inserted and nothing evicted).
   */
  insert(id: string, line: CacheLine): CacheLine[] | null {
    const size = lineBytes(line.key, line.value);
    if (size > this.#maxBytes || this.#maxEntries < 1) return null;
    this.remove(id);
    this.#lines.set(id, line);
    this.#bytes += size;
    const evicted: CacheLine[] = [];
    for (const [otherId, other] of this.#lines) {
      if (this.#bytes <= this.#maxBytes && this.#lines.size <= this.#maxEntries) break;
      if (otherId === id) continue;
      this.remove(otherId);
      evicted.push(other);
    }
    assert(this.#bytes <= this.#maxBytes, "bytes within bound after eviction");
    return evicted;
  }

  /** An independent copy (same order, same counts). */
  clone(): LineStore {
    const copy = new LineStore(this.#maxBytes, this.#maxEntries);
    for (const [id, line] of this.#lines) copy.#lines.set(id, copyLine(line));
    copy.#bytes = this.#bytes;
    return copy;
  }

  /** Every line, least recent first (a copy: safe to remove while iterating). */
  all(): [string, CacheLine][] {
    return [...this.#lines];
  }
}

/** A copy of a line that shares only what is never changed in place (key and value bytes). */
function copyLine(line: CacheLine): CacheLine {
  const dirty = line.dirty === null ? null : { ...line.dirty, data: { ...line.dirty.data } };
  return { ...line, dirty };
}
