import { assert } from "../util/assert.ts";
import { entryBytes, type KvLimits } from "./limits.ts";

/** One stored key (the key itself is the map's byte string). */
export interface StoredEntry {
  /** Never modified: a write stores a new entry. */
  readonly value: Uint8Array;
  /** TTL of the last write; null: never expires. */
  readonly ttlMs: number | null;
  /** The slot revision of the write that stored this entry, 1..revision. */
  readonly revision: number;
}

/** The replicated state of one slot's store plus its byte accounting. */
export interface SlotState {
  readonly limits: Readonly<KvLimits>;
  /** Keys by byte string, in first-insertion order (kept by snapshots). */
  readonly entries: Map<string, StoredEntry>;
  /** Sum of entryBytes over all keys. */
  bytes: number;
  /** Count of applied ops that changed the store; only grows. */
  revision: number;
  /** Log index of the last applied op; only grows. */
  appliedIndex: number;
}

/** An empty slot state. */
export function createSlotState(limits: Readonly<KvLimits>): SlotState {
  return { limits, entries: new Map(), bytes: 0, revision: 0, appliedIndex: 0 };
}

/** Bytes `entry` under the byte string `name` costs. */
export function storedBytes(name: string, entry: StoredEntry): number {
  return entryBytes(name.length, entry.value.length);
}

/** Stores `entry` under `name`, replacing any old one and keeping the accounting. */
export function putEntry(state: SlotState, name: string, entry: StoredEntry): void {
  const old = state.entries.get(name);
  state.entries.set(name, entry);
  state.bytes += storedBytes(name, entry) - (old === undefined ? 0 : storedBytes(name, old));
  assert(state.bytes >= 0, "slot bytes went negative");
}

/** Removes `name`; false when it was not stored. */
export function removeEntry(state: SlotState, name: string): boolean {
  const old = state.entries.get(name);
  if (old === undefined) return false;
  state.entries.delete(name);
  state.bytes -= storedBytes(name, old);
  assert(state.bytes >= 0, "slot bytes went negative");
  return true;
}

/** Takes the next revision for the op being applied. */
export function nextRevision(state: SlotState): number {
  assert(state.revision < Number.MAX_SAFE_INTEGER, "revisions exhausted");
  state.revision += 1;
  return state.revision;
}
