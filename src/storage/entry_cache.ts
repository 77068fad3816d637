import { assert } from "../util/assert.ts";

/** Dead slots at the front of the array before it is compacted. */
const DEAD_SLOTS_MAX = 1024;
/**
 * Entries kept at most, whatever their size: each cached entry also costs a typed array, its
 * buffer and an allocation (a few hundred bytes beyond its data), so a byte bound alone let a
 * 32 MiB cache of ~60-byte lock entries hold about 500,000 of them and over 150 MB.
 */
export const CACHE_ENTRIES_MAX = 32_768;

/**
 * Data of the most recent entries, kept in memory up to a byte bound so the log's tail (what
 * followers usually need) is read without I/O. Always a suffix of the log: it covers
 * `nextIndex - entryCount .. nextIndex - 1`, where `nextIndex` is the log's last index + 1.
 */
export class EntryCache {
  /** Cached data; live slots are `[#head, #items.length)`. */
  #items: Uint8Array[] = [];
  /** First live slot. */
  #head = 0;
  /** Index of the entry after the last cached one (the log's last index + 1). */
  #nextIndex: number;
  /** Sum of cached data sizes, in bytes. */
  #bytes = 0;

  /** Creates an empty cache for a log whose last index is `nextIndex - 1`. */
  constructor(nextIndex: number) {
    this.#nextIndex = nextIndex;
  }

  /** Sum of cached data sizes, in bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Number of cached entries. */
  get entryCount(): number {
    return this.#items.length - this.#head;
  }

  /** Index of the first cached entry (`nextIndex` when empty). */
  get firstIndex(): number {
    return this.#nextIndex - this.entryCount;
  }

  /** Data of entry `index`, or undefined when it is not cached. */
  get(index: number): Uint8Array | undefined {
    if (index < this.firstIndex || index >= this.#nextIndex) return undefined;
    return this.#items[this.#head + index - this.firstIndex];
  }

  /** Adds the data of entry `index`, which must be the log's new last entry. */
  push(index: number, data: Uint8Array): void {
    assert(index === this.#nextIndex, `cached entry ${index} follows ${this.#nextIndex - 1}`);
    this.#items.push(data);
    this.#bytes += data.length;
    this.#nextIndex += 1;
  }

  /** Drops entries `fromIndex ..` (the log was truncated there). */
  truncateFrom(fromIndex: number): void {
    assert(fromIndex <= this.#nextIndex, "truncation within the log");
    const first = this.firstIndex;
    const keptCount = Math.max(0, fromIndex - first);
    while (this.entryCount > keptCount) this.#bytes -= this.#items.pop()!.length;
    this.#nextIndex = fromIndex;
    if (this.entryCount === 0) this.#clear();
  }

  /** Drops entries below `index` (compacted); when `index` is past the end, restarts there. */
  dropBelow(index: number): void {
    if (index >= this.#nextIndex) {
      this.#clear();
      this.#nextIndex = index;
      return;
    }
    while (this.entryCount > 0 && this.firstIndex < index) this.#dropFirst();
    this.#compactSlots();
  }

  /**
   * Evicts the oldest entries until at most `bytesMax` bytes and CACHE_ENTRIES_MAX entries are
   * cached, but never entry `keepFromIndex` or later (entries not yet written to disk can only be
   * read from here).
   */
  evict(bytesMax: number, keepFromIndex: number): void {
    while (
      (this.#bytes > bytesMax || this.entryCount > CACHE_ENTRIES_MAX) && this.entryCount > 0 &&
      this.firstIndex < keepFromIndex
    ) {
      this.#dropFirst();
    }
    this.#compactSlots();
  }

  #dropFirst(): void {
    const data = this.#items[this.#head]!;
    this.#items[this.#head] = EMPTY;
    this.#bytes -= data.length;
    this.#head += 1;
  }

  #compactSlots(): void {
    if (this.#head > DEAD_SLOTS_MAX && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  #clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
  }
}

const EMPTY = new Uint8Array(0);
