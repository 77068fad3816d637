import { assert } from "../util/assert.ts";
import { DeadlineHeap } from "../util/indexed_heap.ts";
import { bytesEqual } from "./key_id.ts";
import { CACHE_LINE_OVERHEAD_BYTES } from "./limits.ts";
import type { DirtyData, GrantedState } from "./types.ts";

/** Local writes of a write-back line that the store has not seen yet. */
export interface DirtyState {
  data: DirtyData;
  /**
   * The number of the latest local write under the line's grant (`CacheLine.writeCount`, never
   * reused for the grant); a WriteBackAck clears the line only if it names this one.
   */
  version: number;
  /** When the first local write that no WriteBack carried yet happened, or null (all sent). */
  unsentSinceMs: number | null;
  /**
   * The WriteBack awaiting its ack (one at a time): the version and data it carried (a retry
   * resends exactly these), when it was first sent (a renewed lease counts from here) and last
   * sent; null: none.
   */
  inFlight: {
    version: number;
    data: DirtyData;
    firstSentAtMs: number;
    lastSentAtMs: number;
  } | null;
}

/** One cached line on a node. A line that is absent is in state I. */
export interface CacheLine {
  key: Uint8Array;
  slot: number;
  state: GrantedState;
  /** null: the key does not exist (a cached miss). */
  value: Uint8Array | null;
  /**
   * True while `value` is a buffer the node allocated for a local write (write-back) and has
   * handed to nothing else: a later local write of the same length copies its bytes into it
   * instead of allocating. A granted value may be shared (with the store of a home on this node,
   * with the read it answered), and a value put in a message is never written again, so both
   * make it false. A copy of the line (`LineStore.clone`) gets its own copy of such a buffer.
   */
  ownsValue: boolean;
  /** The line must not answer at or after this time (node clock): lease end. */
  leaseEndMs: number;
  /** The line must not answer at or after this (TTL deadline minus the margin), or null. */
  expiryEndMs: number | null;
  /** The home's epoch and grant number this line was granted under. */
  epoch: number;
  grantSeq: number;
  /** Local writes made under this grant (write-back); numbers their versions. */
  writeCount: number;
  dirty: DirtyState | null;
  /** When a read or write last used the line (node clock; its grant counts as a use). */
  usedAtMs: number;
  /** The RenewRequest out for this line (its request id), or null: at most one at a time. */
  renewingId: number | null;
}

/** Bytes a line counts against `--cache-max-bytes`. */
export function lineBytes(key: Uint8Array, value: Uint8Array | null): number {
  return key.length + (value?.length ?? 0) + CACHE_LINE_OVERHEAD_BYTES;
}

/** When a line stops answering: its lease end, or its expiry end if that comes first. */
export function lineDeadlineMs(line: CacheLine): number {
  const expiryEndMs = line.expiryEndMs;
  return expiryEndMs === null ? line.leaseEndMs : Math.min(line.leaseEndMs, expiryEndMs);
}

/** A line in the recency list: `older`/`newer` link the lines by last use. */
interface Slot {
  id: string;
  line: CacheLine;
  older: Slot | null;
  newer: Slot | null;
  /** keyHash(line.key). */
  hash: number;
  /** The next slot whose key has the same hash (a collision chain), or null. */
  sameHash: Slot | null;
  /** lineDeadlineMs(line) when it was last scheduled: its place in the deadline heap. */
  deadlineMs: number;
  /** Its index in the deadline heap (-1: in none). */
  heapSlot: number;
}

/** No lines (never modified): what `setValue`, or a local write, returns when it evicted none. */
export const NONE_EVICTED: CacheLine[] = Object.freeze([]) as unknown as CacheLine[];

/** FNV-1a over the key's bytes: the byte index's map key. */
export function keyHash(key: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key[i]!, 0x01000193);
  return hash >>> 0;
}

/**
 * The lines of one node in least-recently-used order, bounded by bytes and entries. `insert`
 * returns the lines it had to evict (oldest first) so the caller can send their notices. The
 * order is a doubly linked list beside the map: a hit moves its line to the newest end with a
 * few pointer writes (a Map delete and set per hit churned the table and dominated the hit path).
 * A second index by a hash of the key's bytes lets a hit find its line without building the
 * key's string id (`peekKey`, `touchKey`); ids must be `keyIdOf(line.key)`. A heap by each line's
 * deadline (`lineDeadlineMs`) lets `takeDue` find the lines that stopped answering without a walk
 * of every line; whoever changes a held line's lease or expiry in place calls `reschedule`.
 */
export class LineStore {
  readonly #slots = new Map<string, Slot>();
  /** The slots by keyHash of their key; colliding slots chain through `sameHash`. */
  readonly #byHash = new Map<number, Slot>();
  readonly #maxBytes: number;
  readonly #maxEntries: number;
  #bytes = 0;
  #oldest: Slot | null = null;
  #newest: Slot | null = null;
  /** The slot the last `peekKey` found (for `touchFound`), or null; never a removed one. */
  #found: Slot | null = null;
  /** Every held line, by its deadline. */
  readonly #deadlines = new DeadlineHeap<Slot>();

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
    return this.#slots.size;
  }

  /** The line of `id` without touching its recency. */
  peek(id: string): CacheLine | undefined {
    return this.#slots.get(id)?.line;
  }

  /** The line of `id`, made the most recently used. */
  touch(id: string): CacheLine | undefined {
    const slot = this.#slots.get(id);
    if (slot === undefined) return undefined;
    this.#makeNewest(slot);
    return slot.line;
  }

  /** The line of the key `key` without touching its recency (found by its bytes). */
  peekKey(key: Uint8Array): CacheLine | undefined {
    const slot = this.#slotOfKey(key);
    this.#found = slot ?? null;
    return slot?.line;
  }

  /** Makes the line the last `peekKey` found the most recently used (no second lookup). */
  touchFound(): void {
    // `remove` forgets the found slot, so a non-null one is held (no second lookup to check).
    const slot = this.#found;
    assert(slot !== null, "touchFound after a peekKey hit");
    this.#makeNewest(slot);
  }

  /** The line of the key `key`, made the most recently used (found by its bytes). */
  touchKey(key: Uint8Array): CacheLine | undefined {
    const slot = this.#slotOfKey(key);
    if (slot === undefined) return undefined;
    this.#makeNewest(slot);
    return slot.line;
  }

  /** Removes the line of `id`; returns it. */
  remove(id: string): CacheLine | undefined {
    const slot = this.#slots.get(id);
    if (slot === undefined) return undefined;
    this.#slots.delete(id);
    if (this.#found === slot) this.#found = null;
    this.#deadlines.remove(slot);
    this.#unlink(slot);
    this.#unindex(slot);
    this.#bytes -= lineBytes(slot.line.key, slot.line.value);
    assert(this.#bytes >= 0, "line bytes stay >= 0");
    return slot.line;
  }

  /** Whether a line of this key and value fits the byte bound at all (alone in the store). */
  fits(key: Uint8Array, value: Uint8Array | null): boolean {
    return lineBytes(key, value) <= this.#maxBytes;
  }

  /**
   * Replaces the value of a present line (a local write), keeping the byte count right, then
   * evicts least-recent other lines until the byte bound holds again. Returns the evicted lines
   * (oldest first; usually none). The new value must `fits` (the caller checks first).
   */
  setValue(line: CacheLine, value: Uint8Array | null): CacheLine[] {
    const grownBytes = lineBytes(line.key, value) - lineBytes(line.key, line.value);
    this.#bytes += grownBytes;
    line.value = value;
    if (grownBytes <= 0 || this.#bytes <= this.#maxBytes) return NONE_EVICTED;
    assert(lineBytes(line.key, value) <= this.#maxBytes, "a written value fits the store");
    const evicted: CacheLine[] = [];
    // Bounded by the lines held: each pass removes one line other than the written one.
    for (let slot = this.#oldest; slot !== null && this.#bytes > this.#maxBytes;) {
      const newer: Slot | null = slot.newer;
      if (slot.line !== line) {
        this.remove(slot.id);
        evicted.push(slot.line);
      }
      slot = newer;
    }
    assert(this.#bytes <= this.#maxBytes, "bytes within bound after a local write");
    return evicted;
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
    this.#add(id, line);
    this.#bytes += size;
    const evicted: CacheLine[] = [];
    // Bounded by the lines held: each pass removes the oldest line but the new one.
    for (let slot = this.#oldest; slot !== null && slot.id !== id;) {
      if (this.#bytes <= this.#maxBytes && this.#slots.size <= this.#maxEntries) break;
      const newer: Slot | null = slot.newer;
      this.remove(slot.id);
      evicted.push(slot.line);
      slot = newer;
    }
    assert(this.#bytes <= this.#maxBytes, "bytes within bound after eviction");
    return evicted;
  }

  /** The line of `id` changed its lease or expiry in place: schedule its new deadline. */
  reschedule(id: string): void {
    const slot = this.#slots.get(id);
    assert(slot !== undefined, "reschedule of a present line");
    this.#deadlines.remove(slot);
    this.#schedule(slot);
  }

  /**
   * Removes and returns the lines whose deadline is at or before `nowMs` (they may no longer
   * answer), earliest first; costs O(due lines × log lines) and never walks the rest.
   */
  takeDue(nowMs: number): [string, CacheLine][] {
    const due: [string, CacheLine][] = [];
    // Bounded by the lines held: each pass removes one line or moves it past `nowMs`.
    for (let slot = this.#deadlines.peek(); slot !== undefined && slot.deadlineMs <= nowMs;) {
      if (lineDeadlineMs(slot.line) > nowMs) {
        this.reschedule(slot.id); // moved later in place without a reschedule
      } else {
        this.remove(slot.id);
        due.push([slot.id, slot.line]);
      }
      slot = this.#deadlines.peek();
    }
    return due;
  }

  /** An independent copy (same order, same counts). */
  clone(): LineStore {
    const copy = new LineStore(this.#maxBytes, this.#maxEntries);
    for (let slot = this.#oldest; slot !== null; slot = slot.newer) {
      copy.#add(slot.id, copyLine(slot.line));
    }
    copy.#bytes = this.#bytes;
    return copy;
  }

  /**
   * Visits lines from the most recently used towards the least, while `visit` returns true; costs
   * the lines visited. `visit` must not add, remove or touch lines.
   */
  newestWhile(visit: (id: string, line: CacheLine) => boolean): void {
    // Bounded by the lines held: each pass moves one line older.
    for (let slot = this.#newest; slot !== null; slot = slot.older) {
      if (!visit(slot.id, slot.line)) return;
    }
  }

  /** Every line, least recent first (a copy: safe to remove while iterating). */
  all(): [string, CacheLine][] {
    const lines: [string, CacheLine][] = [];
    for (let slot = this.#oldest; slot !== null; slot = slot.newer) {
      lines.push([slot.id, slot.line]);
    }
    return lines;
  }

  #add(id: string, line: CacheLine): void {
    const hash = keyHash(line.key);
    const sameHash = this.#byHash.get(hash) ?? null;
    const slot: Slot = {
      id,
      line,
      older: null,
      newer: null,
      hash,
      sameHash,
      deadlineMs: 0,
      heapSlot: -1,
    };
    this.#slots.set(id, slot);
    this.#byHash.set(hash, slot);
    this.#append(slot);
    this.#schedule(slot);
  }

  #schedule(slot: Slot): void {
    slot.deadlineMs = lineDeadlineMs(slot.line);
    this.#deadlines.push(slot);
  }

  #slotOfKey(key: Uint8Array): Slot | undefined {
    // Bounded by the lines held: a chain holds only lines whose key hashes collide.
    for (let slot = this.#byHash.get(keyHash(key)); slot !== undefined;) {
      if (bytesEqual(slot.line.key, key)) return slot;
      slot = slot.sameHash ?? undefined;
    }
    return undefined;
  }

  #unindex(slot: Slot): void {
    const head = this.#byHash.get(slot.hash);
    if (head === slot) {
      if (slot.sameHash === null) this.#byHash.delete(slot.hash);
      else this.#byHash.set(slot.hash, slot.sameHash);
      return;
    }
    for (let before = head; before !== undefined && before.sameHash !== null;) {
      if (before.sameHash === slot) {
        before.sameHash = slot.sameHash;
        return;
      }
      before = before.sameHash;
    }
    assert(false, "a removed line was in the key index");
  }

  #makeNewest(slot: Slot): void {
    if (slot === this.#newest) return;
    this.#unlink(slot);
    this.#append(slot);
  }

  #append(slot: Slot): void {
    slot.older = this.#newest;
    slot.newer = null;
    if (this.#newest === null) this.#oldest = slot;
    else this.#newest.newer = slot;
    this.#newest = slot;
  }

  #unlink(slot: Slot): void {
    if (slot.older === null) this.#oldest = slot.newer;
    else slot.older.newer = slot.newer;
    if (slot.newer === null) this.#newest = slot.older;
    else slot.newer.older = slot.older;
    slot.older = null;
    slot.newer = null;
  }
}

/** A copy of a line that shares only what is never changed in place (key and value bytes). */
function copyLine(line: CacheLine): CacheLine {
  const dirty = line.dirty === null ? null : {
    ...line.dirty,
    data: { ...line.dirty.data },
    inFlight: line.dirty.inFlight === null ? null : { ...line.dirty.inFlight },
  };
  // An owned buffer is written in place by later local writes: each copy gets its own.
  if (!line.ownsValue || line.value === null) return { ...line, dirty };
  const value = line.value.slice();
  if (dirty !== null && dirty.data.value === line.value) dirty.data.value = value;
  return { ...line, value, dirty };
}
