/**
 * Records of the node log (segment format 3), shared by every Raft group of a node. Bodies:
 * `u8 type = 3 | u32 groupId | u8 flags`, then in order `[hard state: u64 term |
 * u64 commitIndex | u8 votedForBytes (0 = null) | votedFor]`, `[truncate: u64 fromIndex]`,
 * `[entries: u64 firstIndex | u32 count | count x (u64 term | u32 dataBytes | data)]`,
 * `[snapshot: u64 index | u64 term]`. Flag `REMOVED` stands alone: the group left the node and
 * everything recorded for it before is void.
 *
 * Pure: no I/O.
 */
import type { BinaryReader, BinaryWriter } from "../../protocol/binary/mod.ts";
import {
  decodeUtf8,
  type EncodedHardState,
  ENTRY_HEADER_BYTES,
  type LogUpdateVisitor,
  RecordContentError,
} from "./log_record.ts";
import { beginRecord, endRecord, RECORD_HEADER_BYTES } from "./record_frame.ts";
import type { LogRecordEntry } from "./types.ts";

/** Record type of a group update. */
export const RECORD_TYPE_GROUP_UPDATE = 3;
/** Segment format version of the node log. */
export const NODE_LOG_FORMAT_VERSION = 3;
/** Largest group id (u32). */
export const GROUP_ID_MAX = 0xffff_ffff;

const FLAG_HARD_STATE = 1;
const FLAG_TRUNCATE = 2;
const FLAG_ENTRIES = 4;
const FLAG_SNAPSHOT = 8;
const FLAG_REMOVED = 16;
const FLAGS_ALL = FLAG_HARD_STATE | FLAG_TRUNCATE | FLAG_ENTRIES | FLAG_SNAPSHOT | FLAG_REMOVED;

/** The content of one group update record. */
export interface GroupUpdate {
  /** The group it belongs to. */
  groupId: number;
  /** New hard state, or null. */
  hardState: EncodedHardState | null;
  /** Drop entries at and after this index before adding `entries`; 0 = none. */
  truncateFromIndex: number;
  /** Contiguous entries to add, or null. */
  entries: readonly LogRecordEntry[] | null;
  /** A snapshot saved up to this index and term (its file is durable), or null. */
  snapshot: { index: number; term: number } | null;
  /** The group was removed (no other part may be present). */
  removed: boolean;
}

/** Receives the parts of a decoded group update, in record order. */
export interface GroupUpdateVisitor extends LogUpdateVisitor {
  /** The record belongs to `groupId`; called first. */
  group(groupId: number): void;
  /** The group saved a snapshot at `index` (term `term`). */
  snapshot(index: number, term: number): void;
  /** The group was removed. */
  removed(): void;
}

/** Size of the whole record (header included) that `encodeGroupUpdate` writes, in bytes. */
export function groupUpdateRecordBytes(update: GroupUpdate): number {
  let bytes = RECORD_HEADER_BYTES + 1 + 4 + 1;
  if (update.hardState !== null) bytes += 17 + (update.hardState.votedForBytes?.length ?? 0);
  if (update.truncateFromIndex > 0) bytes += 8;
  if (update.entries !== null) {
    bytes += 12;
    for (const entry of update.entries) bytes += ENTRY_HEADER_BYTES + entry.data.length;
  }
  if (update.snapshot !== null) bytes += 16;
  return bytes;
}

/**
 * Encodes one group update of the batch starting at segment offset `batchOffset`; returns the
 * offset in `buffer` of the first entry header, or -1.
 */
export function encodeGroupUpdate(
  buffer: BinaryWriter,
  update: GroupUpdate,
  batchOffset: number,
): number {
  const start = beginRecord(buffer, batchOffset);
  buffer.u8(RECORD_TYPE_GROUP_UPDATE);
  buffer.u32le(update.groupId);
  const flags = (update.hardState !== null ? FLAG_HARD_STATE : 0) |
    (update.truncateFromIndex > 0 ? FLAG_TRUNCATE : 0) |
    (update.entries !== null ? FLAG_ENTRIES : 0) |
    (update.snapshot !== null ? FLAG_SNAPSHOT : 0) |
    (update.removed ? FLAG_REMOVED : 0);
  buffer.u8(flags);
  if (update.hardState !== null) {
    buffer.u53le(update.hardState.term);
    buffer.u53le(update.hardState.commitIndex);
    buffer.u8(update.hardState.votedForBytes?.length ?? 0);
    if (update.hardState.votedForBytes !== null) buffer.fixed(update.hardState.votedForBytes);
  }
  if (update.truncateFromIndex > 0) buffer.u53le(update.truncateFromIndex);
  let firstEntryOffset = -1;
  if (update.entries !== null) {
    buffer.u53le(update.entries[0]?.index ?? 0);
    buffer.u32le(update.entries.length);
    firstEntryOffset = buffer.lengthBytes;
    for (const entry of update.entries) {
      buffer.u53le(entry.term);
      buffer.u32le(entry.data.length);
      buffer.fixed(entry.data);
    }
  }
  if (update.snapshot !== null) {
    buffer.u53le(update.snapshot.index);
    buffer.u53le(update.snapshot.term);
  }
  endRecord(buffer, start);
  return firstEntryOffset;
}

/**
 * Decodes a group update body `[bodyStart, end)` of the segment image `reader` reads (one reader
 * serves every record of an image), calling `visitor` for each part; entry offsets are positions
 * in that image.
 */
export function decodeGroupUpdate(
  reader: BinaryReader,
  bodyStart: number,
  end: number,
  visitor: GroupUpdateVisitor,
): void {
  reader.window(bodyStart + 1, end);
  visitor.group(reader.u32le());
  const flags = reader.u8();
  if (
    flags === 0 || (flags & ~FLAGS_ALL) !== 0 || (flags & FLAG_REMOVED && flags !== FLAG_REMOVED)
  ) {
    throw new RecordContentError(`group update with flags ${flags}`);
  }
  if (flags & FLAG_REMOVED) visitor.removed();
  if (flags & FLAG_HARD_STATE) {
    const term = reader.u53le();
    const commitIndex = reader.u53le();
    const votedForBytes = reader.u8();
    const votedFor = reader.fixedView(votedForBytes);
    visitor.hardState(term, commitIndex, votedForBytes === 0 ? null : decodeUtf8(votedFor));
  }
  if (flags & FLAG_TRUNCATE) visitor.truncate(reader.u53le());
  if (flags & FLAG_ENTRIES) {
    const firstIndex = reader.u53le();
    const count = reader.u32le();
    if (firstIndex < 1 || count < 1) {
      throw new RecordContentError(`entries record at index ${firstIndex} with ${count} entries`);
    }
    for (let k = 0; k < count; k++) {
      const term = reader.u53le();
      const dataBytes = reader.u32le();
      visitor.entry(firstIndex + k, term, reader.skip(dataBytes), dataBytes);
    }
  }
  if (flags & FLAG_SNAPSHOT) {
    const index = reader.u53le();
    visitor.snapshot(index, reader.u53le());
  }
  if (reader.offsetBytes !== end) {
    throw new RecordContentError(`group update has ${end - reader.offsetBytes} trailing bytes`);
  }
}
