import { assert, assertionFailed } from "../util/assert.ts";
import { byteString } from "./key.ts";
import { type KvLimits, resolveKvLimits } from "./limits.ts";
import { createSlotState, type SlotState, storedBytes, type StoredEntry } from "./slot_state.ts";
import { decodeSlotState, encodeSlotState } from "./snapshot_codec.ts";
import type { KvEntryView, KvOp, KvOutcome } from "./types.ts";
import { kvOpProblem } from "./validate.ts";
import { applyDel, applyExpire, applyMset, applySet } from "./writes.ts";

/** A stored key with a TTL, as the expiry tracker walks them (name: the key's byte string). */
export interface ExpiringKey {
  readonly name: string;
  readonly ttlMs: number;
  readonly revision: number;
}

/**
 * The store of one slot: a pure, deterministic state machine (see mod.ts for the semantics).
 * Values handed in by ops and out by reads are shared, never copied: nobody may modify them.
 */
export class KvSlot {
  #state: SlotState;

  /** An empty slot with `limits` (defaults filled in). */
  constructor(limits: Partial<KvLimits> = {}) {
    this.#state = createSlotState(resolveKvLimits(limits));
  }

  /** Restores a slot from snapshot() output; throws a KvCodecError on bad bytes. */
  static restore(bytes: Uint8Array, limits: Partial<KvLimits> = {}): KvSlot {
    const slot = new KvSlot(limits);
    slot.#state = decodeSlotState(bytes, slot.#state.limits);
    return slot;
  }

  /** The replicated state as bytes (restore() reads it back; byte-identical round trip). */
  snapshot(): Uint8Array {
    return encodeSlotState(this.#state);
  }

  /**
   * Applies one committed op at log index `index` (never below the last one; several ops may
   * share an entry). Never throws for any op: a malformed one is `invalid`, a limit `limit`,
   * and neither changes anything.
   */
  apply(index: number, op: KvOp): KvOutcome {
    const state = this.#state;
    assert(Number.isSafeInteger(index) && index >= state.appliedIndex, "applied index went back");
    state.appliedIndex = index;
    const problem = kvOpProblem(op);
    if (problem !== null) return problem;
    switch (op.op) {
      case "set":
        return applySet(state, op);
      case "mset":
        return applyMset(state, op);
      case "del":
        return applyDel(state, op);
      case "expire":
        return applyExpire(state, op);
    }
  }

  /** The value of `key`, or null when it is not stored. */
  get(key: Uint8Array): Uint8Array | null {
    return this.#state.entries.get(byteString(key))?.value ?? null;
  }

  /** `key` as stored, or undefined. */
  entry(key: Uint8Array): KvEntryView | undefined {
    return this.entryByName(byteString(key));
  }

  /** The key with byte string `name` as stored, or undefined. */
  entryByName(name: string): KvEntryView | undefined {
    return this.#state.entries.get(name);
  }

  /** How many of `keys` are stored, a repeated key counted each time (Redis EXISTS). */
  existsCount(keys: readonly Uint8Array[]): number {
    return keys.filter((key) => this.#state.entries.has(byteString(key))).length;
  }

  /** The values of `keys` in order, null for a missing one (Redis MGET). */
  mget(keys: readonly Uint8Array[]): (Uint8Array | null)[] {
    return keys.map((key) => this.get(key));
  }

  /** Every stored key with a TTL, live: keys written during the walk may or may not appear. */
  *expiringKeys(): Generator<ExpiringKey> {
    for (const [name, entry] of this.#state.entries) {
      if (entry.ttlMs !== null) yield { name, ttlMs: entry.ttlMs, revision: entry.revision };
    }
  }

  /** Stored keys. */
  get keyCount(): number {
    return this.#state.entries.size;
  }

  /** Bytes in the slot's accounting (key + value + KV_ENTRY_OVERHEAD_BYTES per key). */
  get bytes(): number {
    return this.#state.bytes;
  }

  /** Count of applied ops that changed the store. */
  get revision(): number {
    return this.#state.revision;
  }

  /** Log index of the last applied op. */
  get appliedIndex(): number {
    return this.#state.appliedIndex;
  }

  /** The limits every replica of this slot applies. */
  get limits(): Readonly<KvLimits> {
    return this.#state.limits;
  }

  /** Recomputes what the slot keeps incrementally and crashes on a difference (tests). */
  checkInvariants(): void {
    const state = this.#state;
    let bytes = 0;
    for (const [name, entry] of state.entries) {
      checkEntry(state, entry);
      bytes += storedBytes(name, entry);
    }
    if (bytes !== state.bytes) assertionFailed(`slot bytes ${state.bytes}, recounted ${bytes}`);
  }
}

function checkEntry(state: SlotState, entry: StoredEntry): void {
  if (entry.revision < 1 || entry.revision > state.revision) {
    assertionFailed(`entry revision ${entry.revision} outside 1..${state.revision}`);
  }
}
