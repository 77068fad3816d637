import { byteString } from "./key.ts";
import { entryBytes } from "./limits.ts";
import { nextRevision, putEntry, removeEntry, type SlotState } from "./slot_state.ts";
import type { KvDelOp, KvExpireOp, KvLimitRefusal, KvMsetOp, KvOutcome, KvSetOp } from "./types.ts";

const OK: KvOutcome = Object.freeze({ kind: "ok" });
const NOT_SET: KvOutcome = Object.freeze({ kind: "notSet" });

/** SET: the condition first (on the state now), then the limits, then the write. */
export function applySet(state: SlotState, op: KvSetOp): KvOutcome {
  const name = byteString(op.key);
  const old = state.entries.get(name);
  if (op.condition === "ifMissing" && old !== undefined) return NOT_SET;
  if (op.condition === "ifExists" && old === undefined) return NOT_SET;
  const oldBytes = old === undefined ? 0 : entryBytes(name.length, old.value.length);
  const refusal = valueRefusal(state, op.value) ??
    growthRefusal(
      state,
      old === undefined ? 1 : 0,
      entryBytes(name.length, op.value.length) - oldBytes,
    );
  if (refusal !== null) return refusal;
  putEntry(state, name, { value: op.value, ttlMs: op.ttlMs, revision: nextRevision(state) });
  return OK;
}

/** MSET: all pairs or none (one slot); a repeated key keeps its last value; TTLs dropped. */
export function applyMset(state: SlotState, op: KvMsetOp): KvOutcome {
  const finals = new Map<string, Uint8Array>();
  for (const pair of op.pairs) {
    const refusal = valueRefusal(state, pair.value);
    if (refusal !== null) return refusal;
    finals.set(byteString(pair.key), pair.value);
  }
  let newKeys = 0;
  let deltaBytes = 0;
  for (const [name, value] of finals) {
    const old = state.entries.get(name);
    if (old === undefined) newKeys += 1;
    else deltaBytes -= entryBytes(name.length, old.value.length);
    deltaBytes += entryBytes(name.length, value.length);
  }
  const refusal = growthRefusal(state, newKeys, deltaBytes);
  if (refusal !== null) return refusal;
  const revision = nextRevision(state);
  for (const [name, value] of finals) putEntry(state, name, { value, ttlMs: null, revision });
  return OK;
}

/** DEL: removes the keys that exist; a repeated key counts once. */
export function applyDel(state: SlotState, op: KvDelOp): KvOutcome {
  let count = 0;
  for (const key of op.keys) {
    if (removeEntry(state, byteString(key))) count += 1;
  }
  if (count > 0) nextRevision(state);
  return { kind: "deleted", count };
}

/** EXPIRE: removes the key only if it still carries a TTL and the revision the leader named. */
export function applyExpire(state: SlotState, op: KvExpireOp): KvOutcome {
  const name = byteString(op.key);
  const entry = state.entries.get(name);
  if (entry === undefined || entry.ttlMs === null || entry.revision !== op.revision) {
    return { kind: "expired", removed: false };
  }
  removeEntry(state, name);
  nextRevision(state);
  return { kind: "expired", removed: true };
}

function valueRefusal(state: SlotState, value: Uint8Array): KvLimitRefusal | null {
  const maximum = state.limits.valueBytesMax;
  if (value.length <= maximum) return null;
  return { kind: "limit", limit: "valueBytes", actual: value.length, maximum };
}

/**
 * The refusal for adding `newKeys` keys and `deltaBytes` bytes, or null. Only growth is refused:
 * a write that adds no key (or no bytes) passes even in a slot over a lowered limit.
 */
function growthRefusal(
  state: SlotState,
  newKeys: number,
  deltaBytes: number,
): KvLimitRefusal | null {
  const { keysMax, slotBytesMax } = state.limits;
  const keys = state.entries.size + newKeys;
  if (newKeys > 0 && keys > keysMax) {
    return { kind: "limit", limit: "keys", actual: keys, maximum: keysMax };
  }
  const bytes = state.bytes + deltaBytes;
  if (deltaBytes > 0 && bytes > slotBytesMax) {
    return { kind: "limit", limit: "slotBytes", actual: bytes, maximum: slotBytesMax };
  }
  return null;
}
