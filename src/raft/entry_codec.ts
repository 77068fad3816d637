import { ByteReader, ByteWriter } from "./bytes.ts";
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
export function writeEntry(writer: ByteWriter, entry: Entry): void {
  writer.u64(entry.index, "entry index");
  writer.u64(entry.term, "entry term");
  writer.u8(KIND_CODES[entry.kind]);
  writer.bytes(entry.data);
}

/** Reads one entry. */
export function readEntry(reader: ByteReader): Entry {
  const index = reader.u64("entry index");
  const term = reader.u64("entry term");
  const code = reader.u8("entry kind");
  const kind = KINDS[code];
  if (kind === undefined) reader.fail(`unknown entry kind ${code}`);
  const data = reader.bytes("entry data", ENTRY_DATA_BYTES_MAX);
  return { index, term, kind, data };
}

/** Writes a u32 count followed by entries. */
export function writeEntryList(writer: ByteWriter, entries: readonly Entry[]): void {
  writer.u32(entries.length);
  for (const entry of entries) writeEntry(writer, entry);
}

/** Reads a u32 count followed by entries; indexes must be consecutive. */
export function readEntryList(reader: ByteReader): Entry[] {
  const count = reader.u32("entry count");
  // Each entry takes at least 21 bytes, so a huge count in a short input fails fast.
  if (count > ENTRY_LIST_COUNT_MAX || count * 21 > reader.remaining()) {
    reader.fail(`entry count ${count} exceeds what ${reader.remaining()} bytes can hold`);
  }
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const entry = readEntry(reader);
    const previous = entries.at(-1);
    if (previous !== undefined && entry.index !== previous.index + 1) {
      reader.fail(`entry index ${entry.index} does not follow ${previous.index}`);
    }
    entries.push(entry);
  }
  return entries;
}

/** Writes voters and learners. */
export function writeConfState(writer: ByteWriter, conf: ConfState): void {
  for (const list of [conf.voters, conf.learners]) {
    writer.u32(list.length);
    for (const id of list) writer.shortString(id, "member id");
  }
}

/** Reads voters and learners, rejecting duplicates and oversize lists. */
export function readConfState(reader: ByteReader): ConfState {
  const lists: NodeId[][] = [];
  for (const field of ["voter count", "learner count"]) {
    const count = reader.u32(field);
    if (count > MEMBERS_MAX) reader.fail(`${field} ${count} exceeds maximum of ${MEMBERS_MAX}`);
    const list: NodeId[] = [];
    for (let i = 0; i < count; i++) list.push(reader.shortString("member id"));
    lists.push(list);
  }
  const conf = { voters: lists[0]!, learners: lists[1]! };
  try {
    validateConfState(conf);
  } catch (error) {
    reader.fail((error as Error).message);
  }
  return conf;
}

function readVersion(reader: ByteReader): void {
  const version = reader.u8("version");
  if (version !== ENTRY_CODEC_VERSION) reader.fail(`unknown version ${version}`);
}

/** Encodes a list of consecutive entries (for the write-ahead log). */
export function encodeEntries(entries: readonly Entry[]): Uint8Array {
  const writer = new ByteWriter(64 + entries.length * 32);
  writer.u8(ENTRY_CODEC_VERSION);
  writeEntryList(writer, entries);
  return writer.finish();
}

/** Decodes `encodeEntries` output; throws an Error on malformed input. */
export function decodeEntries(bytes: Uint8Array): Entry[] {
  const reader = new ByteReader(bytes, "entries");
  readVersion(reader);
  const entries = readEntryList(reader);
  reader.end();
  return entries;
}

/** Encodes a hard state. */
export function encodeHardState(state: HardState): Uint8Array {
  const writer = new ByteWriter(64);
  writer.u8(ENTRY_CODEC_VERSION);
  writer.u64(state.term, "term");
  writer.u8(state.votedFor === null ? 0 : 1);
  writer.shortString(state.votedFor ?? "", "votedFor");
  writer.u64(state.commitIndex, "commit index");
  return writer.finish();
}

/** Decodes `encodeHardState` output; throws an Error on malformed input. */
export function decodeHardState(bytes: Uint8Array): HardState {
  const reader = new ByteReader(bytes, "hard state");
  readVersion(reader);
  const term = reader.u64("term");
  const hasVote = reader.u8("vote flag");
  if (hasVote > 1) reader.fail(`vote flag ${hasVote} is not 0 or 1`);
  const vote = reader.shortString("votedFor");
  const commitIndex = reader.u64("commit index");
  reader.end();
  return { term, votedFor: hasVote === 1 ? vote : null, commitIndex };
}

/** Encodes a membership (the payload of `config` entries). */
export function encodeConfState(conf: ConfState): Uint8Array {
  const writer = new ByteWriter(64);
  writer.u8(ENTRY_CODEC_VERSION);
  writeConfState(writer, conf);
  return writer.finish();
}

/** Decodes `encodeConfState` output; throws an Error on malformed input. */
export function decodeConfState(bytes: Uint8Array): ConfState {
  const reader = new ByteReader(bytes, "membership");
  readVersion(reader);
  const conf = readConfState(reader);
  reader.end();
  return conf;
}

/** Encodes a snapshot (metadata and image). */
export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const writer = new ByteWriter(64 + snapshot.data.length);
  writer.u8(ENTRY_CODEC_VERSION);
  writer.u64(snapshot.index, "snapshot index");
  writer.u64(snapshot.term, "snapshot term");
  writeConfState(writer, snapshot.confState);
  writer.bytes(snapshot.data);
  return writer.finish();
}

/** Decodes `encodeSnapshot` output; throws an Error on malformed input. */
export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  const reader = new ByteReader(bytes, "snapshot");
  readVersion(reader);
  const index = reader.u64("snapshot index");
  const term = reader.u64("snapshot term");
  const confState = readConfState(reader);
  const data = reader.bytes("snapshot data", SNAPSHOT_DATA_BYTES_MAX);
  reader.end();
  return { index, term, confState, data };
}
