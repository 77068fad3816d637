/**
 * The write side of the node log's group commit: encodes one batch of records of any groups
 * into one reusable buffer (behind a segment prologue when the segment is new) and makes it
 * durable with one write and one fdatasync, recording where each entry landed.
 */
import { assert } from "../util/assert.ts";
import { BinaryWriter } from "../../protocol/binary/mod.ts";
import {
  encodeGroupUpdate,
  type GroupUpdate,
  groupUpdateRecordBytes,
  NODE_LOG_FORMAT_VERSION,
} from "./group_record.ts";
import type { GroupRequest } from "./group_log.ts";
import { type EncodedHardState, encodeSegmentHeader, ENTRY_HEADER_BYTES } from "./log_record.ts";
import { SEGMENT_HEADER_RECORD_BYTES } from "./log_record.ts";
import type { SegmentInfo } from "./segments.ts";
import type { SegmentWriter } from "./segment_writer.ts";

/** What the log holds about a group as of the last encoded batch (carried into prologues). */
export interface EncodedGroupState {
  /** Latest encoded hard state. */
  hardState: EncodedHardState;
  /** Latest encoded snapshot, or null. */
  snapshot: { index: number; term: number } | null;
}

/** Initial size of the batch encoder, in bytes (it grows up to `encoderBytesMax`). */
const ENCODER_BYTES_INITIAL = 64 * 1024;

const ZERO_HARD_STATE: EncodedHardState = {
  term: 0,
  commitIndex: 0,
  votedFor: null,
  votedForBytes: null,
};

/** Encodes and writes batches; one flush at a time (group commit guarantees it). */
export class NodeFlusher {
  readonly #writer: SegmentWriter;
  readonly #encoder: BinaryWriter;
  /** Every live group as of the last encoded batch: each new segment's prologue repeats it. */
  readonly #table: Map<number, EncodedGroupState>;
  /** Segment offset of each encoded record's first entry in the current flush (reused). */
  readonly #entryOffsets: number[] = [];
  #recordsWritten = 0;

  constructor(
    writer: SegmentWriter,
    encoderBytesMax: number,
    table: Map<number, EncodedGroupState>,
  ) {
    this.#writer = writer;
    this.#encoder = new BinaryWriter(ENCODER_BYTES_INITIAL, encoderBytesMax);
    this.#table = table;
  }

  /** Records written so far (prologues included). */
  get recordsWritten(): number {
    return this.#recordsWritten;
  }

  /** Groups in the prologue table. */
  get tableSize(): number {
    return this.#table.size;
  }

  /** Size of the prologue a new segment would start with now, in bytes. */
  prologueBytes(): number {
    let bytes = SEGMENT_HEADER_RECORD_BYTES;
    for (const [groupId, state] of this.#table) {
      bytes += groupUpdateRecordBytes(prologueUpdate(groupId, state));
    }
    return bytes;
  }

  /** Writes `requests` (encoding to exactly `batchBytes`) with one write + one fdatasync. */
  async flush(requests: readonly GroupRequest[], batchBytes: number): Promise<void> {
    if (batchBytes === 0) return;
    const segment = await this.#writer.prepare(batchBytes + this.prologueBytes());
    const encoder = this.#encoder;
    encoder.reset();
    const batchOffset = segment.bytes;
    let recordCount = 0;
    if (segment.bytes === 0) {
      encodeSegmentHeader(encoder, segment.seq, NODE_LOG_FORMAT_VERSION);
      recordCount += 1;
      for (const [groupId, state] of this.#table) {
        encodeGroupUpdate(encoder, prologueUpdate(groupId, state), batchOffset);
        recordCount += 1;
      }
    }
    const prologueBytes = encoder.lengthBytes;
    const entryOffsets = this.#entryOffsets;
    entryOffsets.length = 0;
    for (const request of requests) {
      const update = request.update;
      if (update === null || request.group === null) continue;
      entryOffsets.push(segment.bytes + encodeGroupUpdate(encoder, update, batchOffset));
      recordCount += 1;
    }
    assert(encoder.lengthBytes === prologueBytes + batchBytes, "batch size was computed exactly");
    await this.#writer.writeDurably(encoder.view());
    // Only a durable batch changes the prologue table and the entry locations: a batch that
    // failed (a full disk) is encoded and written again, unchanged, by the retry.
    let next = 0;
    for (const request of requests) {
      const update = request.update;
      if (update === null || request.group === null) continue;
      this.#note(update, request, segment, entryOffsets[next++]!);
    }
    this.#recordsWritten += recordCount;
  }

  /** Updates the prologue table and the entry locations for one encoded record. */
  #note(update: GroupUpdate, request: GroupRequest, segment: SegmentInfo, entryOffset: number) {
    const groupId = update.groupId;
    if (update.removed) {
      this.#table.delete(groupId);
      return;
    }
    const state = this.#table.get(groupId) ?? { hardState: ZERO_HARD_STATE, snapshot: null };
    if (update.hardState !== null) state.hardState = update.hardState;
    if (update.snapshot !== null) state.snapshot = update.snapshot;
    this.#table.set(groupId, state);
    const entries = update.entries;
    const group = request.group!;
    if (entries === null) return;
    const index = group.entryIndex;
    const cache = group.entryCache;
    let offset = entryOffset;
    for (const entry of entries) {
      const dataOffset = offset + ENTRY_HEADER_BYTES;
      const current = request.relocates === group.truncationCount ||
        cache.get(entry.index) === entry.data;
      if (
        !group.removed && current && entry.index >= index.firstIndex &&
        entry.index <= index.lastIndex
      ) {
        index.setLocation(entry.index, segment.seq, dataOffset);
      }
      offset = dataOffset + entry.data.length;
    }
    segment.maxEntryIndex = Math.max(segment.maxEntryIndex, entries.at(-1)!.index);
  }
}

/** The prologue record of a group: its hard state and snapshot as last encoded. */
function prologueUpdate(groupId: number, state: EncodedGroupState): GroupUpdate {
  return {
    groupId,
    hardState: state.hardState,
    truncateFromIndex: 0,
    entries: null,
    snapshot: state.snapshot,
    removed: false,
  };
}
