import type { BinaryReader } from "../../protocol/binary/mod.ts";
import { BinaryWriter } from "../../protocol/binary/mod.ts";
import { readKvBinary } from "./codec_error.ts";
import { bytesOfString, byteString } from "./key.ts";
import { KV_KEY_BYTES_MAX, type KvLimits } from "./limits.ts";
import { createSlotState, putEntry, type SlotState } from "./slot_state.ts";
import { isTtl } from "./validate.ts";

/** Version byte leading every slot snapshot. */
export const KV_SNAPSHOT_VERSION = 1;

const CONTEXT = "key-value snapshot";
/** Smallest encoding of one key: key length, value length, ttl, revision. */
const ENTRY_BYTES_MIN = 4 + 4 + 8 + 8;

/**
 * Encodes a slot: u8 version, u53 applied index, u53 revision, u32 key count, then per key (in
 * the store's order) key, value (u32 length + bytes each), u53 ttlMs (0: none), u53 revision.
 */
export function encodeSlotState(state: SlotState): Uint8Array {
  const writer = new BinaryWriter(32 + state.bytes);
  writer.u8(KV_SNAPSHOT_VERSION).u53(state.appliedIndex).u53(state.revision);
  writer.u32(state.entries.size);
  for (const [name, entry] of state.entries) {
    writer.u32Bytes(bytesOfString(name)).u32Bytes(entry.value);
    writer.u53(entry.ttlMs ?? 0).u53(entry.revision);
  }
  return writer.copy();
}

/**
 * Decodes and validates a snapshot into a fresh state with `limits`: unique keys of at most
 * KV_KEY_BYTES_MAX bytes, TTLs in range, every key's revision in 1..revision. The configured
 * limits are not checked (a slot may hold more than lowered limits allow; it only cannot grow).
 * Throws a KvCodecError on bad bytes.
 */
export function decodeSlotState(bytes: Uint8Array, limits: Readonly<KvLimits>): SlotState {
  return readKvBinary(bytes, CONTEXT, (reader) => {
    const version = reader.u8();
    if (version !== KV_SNAPSHOT_VERSION) throw reader.error(`unknown version ${version}`);
    const state = createSlotState(limits);
    state.appliedIndex = reader.u53();
    state.revision = reader.u53();
    const count = reader.u32();
    if (count * ENTRY_BYTES_MIN > reader.remainingBytes) {
      throw reader.error(`key count ${count} exceeds what ${reader.remainingBytes} bytes hold`);
    }
    for (let entryIndex = 0; entryIndex < count; entryIndex++) readEntry(reader, state);
    return state;
  });
}

function readEntry(reader: BinaryReader, state: SlotState): void {
  const name = byteString(reader.u32Bytes(KV_KEY_BYTES_MAX));
  if (state.entries.has(name)) throw reader.error(`key listed twice`);
  const value = reader.u32Bytes();
  const ttlMs = reader.u53();
  if (ttlMs !== 0 && !isTtl(ttlMs)) throw reader.error(`ttlMs ${ttlMs} is out of range`);
  const revision = reader.u53();
  if (revision < 1 || revision > state.revision) {
    throw reader.error(`key revision ${revision} is not in 1..${state.revision}`);
  }
  putEntry(state, name, { value, ttlMs: ttlMs === 0 ? null : ttlMs, revision });
}
