import { DeadlineHeap, type HeapItem } from "../util/indexed_heap.ts";
import { assert } from "../util/assert.ts";
import { bytesOfString, byteString } from "./key.ts";
import type { ExpiringKey, KvSlot } from "./kv_slot.ts";
import type { KvExpireOp, KvOp } from "./types.ts";

/** Keys a reset tracks at once (about 10 ms of work), then per due() call until done. */
const RESET_KEYS_PER_STEP_DEFAULT = 20_000;
/** Expiries one due() call returns unless told otherwise. */
const DUE_OPS_MAX_DEFAULT = 1_000;

/** One key with a TTL: its last write and that write's deadline on this host's clock. */
interface TrackedKey extends HeapItem {
  /** The key's byte string. */
  readonly name: string;
  /** The slot revision of the write this deadline was computed for. */
  readonly revision: number;
  readonly deadlineMs: number;
  /** An expire for this revision is proposed and not settled yet (then it is not in the heap). */
  proposed: boolean;
  heapSlot: number;
}

/**
 * Deadlines of a slot's expiring keys on the slot leader's clock (pure: time is passed in). Only
 * the leader keeps one: reset() when it starts leading, applied() after every op it applies
 * while leading. A deadline is `ttlMs` after the leader applied the write, or after reset() for a
 * key written before; so a key may live longer than its TTL across a leader change, never less.
 * An expiry names the key's revision; the slot ignores it if the key was written since.
 */
export class KvExpiryTracker {
  readonly #keys = new Map<string, TrackedKey>();
  /** Tracked keys with no expire proposed, by deadline. */
  readonly #deadlines = new DeadlineHeap<TrackedKey>();
  readonly #resetKeysPerStep: number;
  /** Where the walk of the last reset stands; null once every key was reached. */
  #resetCursor: Iterator<ExpiringKey> | null = null;
  /** The `nowMs` of the last reset: every key reached by its walk counts from it. */
  #resetNowMs = 0;
  /** The slot's revision at the last reset: a key whose revision is not above it predates it. */
  #resetRevision = 0;

  /** `resetKeysPerStep` bounds the work of reset() and of each due() while a walk lasts. */
  constructor(resetKeysPerStep = RESET_KEYS_PER_STEP_DEFAULT) {
    assert(Number.isSafeInteger(resetKeysPerStep) && resetKeysPerStep > 0, "reset step");
    this.#resetKeysPerStep = resetKeysPerStep;
  }

  /**
   * Every expiring key of `slot` counts from `nowMs`. Keys are tracked `resetKeysPerStep` at a
   * time, here and at the start of each due(); a key not reached yet is tracked on demand by
   * dueAmong() and remainingMs(), and can only fall due later than its TTL from `nowMs`.
   */
  reset(slot: KvSlot, nowMs: number): void {
    this.clear();
    this.#resetCursor = slot.expiringKeys();
    this.#resetNowMs = nowMs;
    this.#resetRevision = slot.revision;
    this.#continueReset();
  }

  /** Forgets everything (this node stopped leading the slot). */
  clear(): void {
    this.#keys.clear();
    this.#deadlines.clear();
    this.#resetCursor = null;
  }

  /** Whether the walk of a reset is still going. */
  get resetting(): boolean {
    return this.#resetCursor !== null;
  }

  /** Tracked keys (INFO, tests). */
  get trackedCount(): number {
    return this.#keys.size;
  }

  /** Follows one op just applied to `slot` at `nowMs`: every key it names. */
  applied(op: KvOp, slot: KvSlot, nowMs: number): void {
    switch (op.op) {
      case "set":
      case "expire":
        this.#follow(byteString(op.key), slot, nowMs);
        break;
      case "del":
        for (const key of op.keys) this.#follow(byteString(key), slot, nowMs);
        break;
      case "mset":
        for (const pair of op.pairs) this.#follow(byteString(pair.key), slot, nowMs);
        break;
    }
  }

  /** Up to `opsMax` expiries due at `nowMs` and not proposed yet (now marked proposed). */
  due(nowMs: number, opsMax = DUE_OPS_MAX_DEFAULT): KvExpireOp[] {
    this.#continueReset();
    const ops: KvExpireOp[] = [];
    // Bounded by opsMax: every pass takes one key out of the heap.
    for (let key = this.#deadlines.peek(); key !== undefined; key = this.#deadlines.peek()) {
      if (key.deadlineMs > nowMs || ops.length >= opsMax) break;
      this.#markProposed(key);
      ops.push(expireOf(key));
    }
    return ops;
  }

  /**
   * The expiries of those of `keys` (a command's keys) that are due at `nowMs`, proposed before
   * or not (all marked proposed). The leader proposes them ahead of the command, so that the
   * command sees the keys gone (see docs/kv.md for why this keeps reads linearizable).
   */
  dueAmong(keys: readonly Uint8Array[], slot: KvSlot, nowMs: number): KvExpireOp[] {
    const ops: KvExpireOp[] = [];
    const seen = new Set<string>();
    for (const key of keys) {
      const name = byteString(key);
      if (seen.has(name)) continue;
      seen.add(name);
      const tracked = this.#tracked(name, slot);
      if (tracked === undefined || tracked.deadlineMs > nowMs) continue;
      this.#markProposed(tracked);
      ops.push(expireOf(tracked));
    }
    return ops;
  }

  /** A proposed expiry finished (applied or failed): proposed again once due, if still valid. */
  settled(op: KvExpireOp): void {
    const tracked = this.#keys.get(byteString(op.key));
    if (tracked === undefined || tracked.revision !== op.revision || !tracked.proposed) return;
    tracked.proposed = false;
    this.#deadlines.push(tracked);
  }

  /** Milliseconds until `key` falls due (0 when due), or null when it has no TTL or is gone. */
  remainingMs(key: Uint8Array, slot: KvSlot, nowMs: number): number | null {
    const tracked = this.#tracked(byteString(key), slot);
    return tracked === undefined ? null : Math.max(0, Math.ceil(tracked.deadlineMs - nowMs));
  }

  /** The tracking of `name` if the slot stores it with a TTL, tracked now if the walk is behind. */
  #tracked(name: string, slot: KvSlot): TrackedKey | undefined {
    const entry = slot.entryByName(name);
    const tracked = this.#keys.get(name);
    if (entry === undefined || entry.ttlMs === null) {
      assert(tracked === undefined, "a key without a TTL is tracked");
      return undefined;
    }
    if (tracked !== undefined) {
      assert(tracked.revision === entry.revision, "the tracker is behind the slot");
      return tracked;
    }
    assert(this.resetting && entry.revision <= this.#resetRevision, "a key is not tracked");
    return this.#track(name, entry.revision, this.#resetNowMs + entry.ttlMs);
  }

  /** Brings `name` in line with the slot: a new write gets a deadline from `nowMs`. */
  #follow(name: string, slot: KvSlot, nowMs: number): void {
    const entry = slot.entryByName(name);
    const old = this.#keys.get(name);
    if (old !== undefined && entry !== undefined && old.revision === entry.revision) return;
    if (old !== undefined) this.#drop(old);
    if (entry === undefined || entry.ttlMs === null) return;
    // A write from before the reset that the walk has not reached (the op changed nothing).
    const fromMs = this.resetting && entry.revision <= this.#resetRevision
      ? this.#resetNowMs
      : nowMs;
    this.#track(name, entry.revision, fromMs + entry.ttlMs);
  }

  #continueReset(): void {
    const cursor = this.#resetCursor;
    if (cursor === null) return;
    for (let step = 0; step < this.#resetKeysPerStep; step++) {
      const next = cursor.next();
      if (next.done === true) {
        this.#resetCursor = null;
        return;
      }
      const { name, ttlMs, revision } = next.value;
      if (!this.#keys.has(name)) this.#track(name, revision, this.#resetNowMs + ttlMs);
    }
  }

  #track(name: string, revision: number, deadlineMs: number): TrackedKey {
    const tracked: TrackedKey = { name, revision, deadlineMs, proposed: false, heapSlot: -1 };
    this.#keys.set(name, tracked);
    this.#deadlines.push(tracked);
    return tracked;
  }

  #drop(tracked: TrackedKey): void {
    if (tracked.heapSlot !== -1) this.#deadlines.remove(tracked);
    this.#keys.delete(tracked.name);
  }

  #markProposed(tracked: TrackedKey): void {
    if (tracked.heapSlot !== -1) this.#deadlines.remove(tracked);
    tracked.proposed = true;
  }
}

function expireOf(tracked: TrackedKey): KvExpireOp {
  return { op: "expire", key: bytesOfString(tracked.name), revision: tracked.revision };
}
