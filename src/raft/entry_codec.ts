import { BinaryReader, BinaryWriter } from "../../protocol/binary/mod.ts";
import { MEMBERS_MAX, validateConfState } from "./membership.ts";
import type { ConfState, Entry, EntryKind, HardState, NodeId, Snapshot } from "./types.ts";

/** Format version byte leading every top-level encoding in this file. */
export const ENTRY_CODEC_VERSION = 1;
/** Maximum payload bytes of one decoded entry. */
export const ENTRY_DATA_BYTES_MAX = 64 * 1024 * 1024;
/** Maximum entries in one decoded entry list. */
export const ENTRY_LIST_COUNT_MAX = 1_000_000;
/** Maximum bytes of a decoded snapshot image. */
export const SNAPSHOT_DATA_BYTES_MAX = 1024 * 1024 * 1024;

const KIND_CODES: Record<EntryKind, number> = { normal: 0, config: 1, noop: 2 };
const KINDS: EntryKind[] = ["normal", "config", "noop"];

/** Writes one entry (index, term, kind, data). */
export function writeEntry(writer: BinaryWriter, entry: Entry): void {
  writer.u53(entry.index);
  writer.u53(entry.term);
  writer.u8(KIND_CODES[entry.kind]);
  writer.u32Bytes(entry.data);
}

/** Reads one entry. */
export function readEntry(reader: BinaryReader): Entry {
  const index = reader.u53();
  const term = reader.u53();
  const code = reader.u8();
  const kind = KINDS[code];
  if (kind === undefined) throw reader.error(`unknown entry kind ${code}`);
  const data = reader.u32Bytes(ENTRY_DATA_BYTES_MAX);
  return { index, term, kind, data };
}

/** Writes a u32 count followed by entries. */
export function writeEntryList(writer: BinaryWriter, entries: readonly Entry[]): void {
  writer.u32(entries.length);
  for (const entry of entries) writeEntry(writer, entry);
}

/** Reads a u32 count followed by entries; indexes must be consecutive. */
export function readEntryList(reader: BinaryReader): Entry[] {
  const count = reader.u32();
  // Each entry takes at least 21 bytes, so a huge count in a short input fails fast.
  if (count > ENTRY_LIST_COUNT_MAX || count * 21 > reader.remainingBytes) {
    throw reader.error(`entry count ${count} exceeds what ${reader.remainingBytes} bytes can hold`);
  }
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const entry = readEntry(reader);
    const previous = entries.at(-1);
    if (previous !== undefined && entry.index !== previous.index + 1) {
      throw reader.error(`entry index ${entry.index} does not follow ${previous.index}`);
    }
    entries.push(entry);
  }
  return entries;
}

/** Writes voters and learners. */
export function writeConfState(writer: BinaryWriter, conf: ConfState): void {
  for (const list of [conf.voters, conf.learners]) {
    writer.u32(list.length);
    for (const id of list) writer.u8String(id);
  }
}

/** Reads voters and learners, rejecting duplicates and oversize lists. */
export function readConfState(reader: BinaryReader): ConfState {
  const lists: NodeId[][] = [];
  for (const field of ["voter count", "learner count"]) {
    const count = reader.u32();
    if (count > MEMBERS_MAX) {
      throw reader.error(`${field} ${count} exceeds maximum of ${MEMBERS_MAX}`);
    }
    const list: NodeId[] = [];
    for (let i = 0; i < count; i++) list.push(reader.u8String());
    lists.push(list);
  }
  const conf = { voters: lists[0]!, learners: lists[1]! };
  try {
    validateConfState(conf);
  } catch (error) {
    throw reader.error((error as Error).message);
  }
  return conf;
}

function readVersion(reader: BinaryReader): void {
  const version = reader.u8();
  if (version !== ENTRY_CODEC_VERSION) throw reader.error(`unknown version ${version}`);
}

/** Encodes a list of consecutive entries (for the write-ahead log). */
export function encodeEntries(entries: readonly Entry[]): Uint8Array {
  const writer = new BinaryWriter(64 + entries.length * 32);
  writer.u8(ENTRY_CODEC_VERSION);
  writeEntryList(writer, entries);
  return writer.view();
}

/** Decodes `encodeEntries` output; throws an Error on malformed input. */
export function decodeEntries(bytes: Uint8Array): Entry[] {
  const reader = new BinaryReader(bytes, "entries");
  readVersion(reader);
  const entries = readEntryList(reader);
  reader.expectEnd();
  return entries;
}

/** Encodes a hard state. */
export function encodeHardState(state: HardState): Uint8Array {
  const writer = new BinaryWriter(64);
  writer.u8(ENTRY_CODEC_VERSION);
  writer.u53(state.term);
  writer.u8(state.votedFor === null ? 0 : 1);
  writer.u8String(state.votedFor ?? "");
  writer.u53(state.commitIndex);
  return writer.view();
}

/** Decodes `encodeHardState` output; throws an Error on malformed input. */
export function decodeHardState(bytes: Uint8Array): HardState {
  const reader = new BinaryReader(bytes, "hard state");
  readVersion(reader);
  const term = reader.u53();
  const hasVote = reader.u8();
  if (hasVote > 1) throw reader.error(`vote flag ${hasVote} is not 0 or 1`);
  const vote = reader.u8String();
  const commitIndex = reader.u53();
  reader.expectEnd();
  return { term, votedFor: hasVote === 1 ? vote : null, commitIndex };
}

/** Encodes a membership (the payload of `config` entries). */
export function encodeConfState(conf: ConfState): Uint8Array {
  const writer = new BinaryWriter(64);
  writer.u8(ENTRY_CODEC_VERSION);
  writeConfState(writer, conf);
  return writer.view();
}

/** Decodes `encodeConfState` output; throws an Error on malformed input. */
export function decodeConfState(bytes: Uint8Array): ConfState {
  const reader = new BinaryReader(bytes, "membership");
  readVersion(reader);
  const conf = readConfState(reader);
  reader.expectEnd();
  return conf;
}

/** Encodes a snapshot (metadata and image). */
export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const writer = new BinaryWriter(64 + snapshot.data.length);
  writer.u8(ENTRY_CODEC_VERSION);
  writer.u53(snapshot.index);
  writer.u53(snapshot.term);
  writeConfState(writer, snapshot.confState);
  writer.u32Bytes(snapshot.data);
  return writer.view();
}

/** Decodes `encodeSnapshot` output; throws an Error on malformed input. */
export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  const reader = new BinaryReader(bytes, "snapshot");
  readVersion(reader);
  const index = reader.u53();
  const term = reader.u53();
  const confState = readConfState(reader);
  const data = reader.u32Bytes(SNAPSHOT_DATA_BYTES_MAX);
  reader.expectEnd();
  return { index, term, confState, data };
}
