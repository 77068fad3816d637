/**
 * Rebuilds every group of the node log from its records, in order: per group the entry index
 * (with the segment and offset of each entry), the hard state and the snapshot (index, term)
 * recorded in the log.
 *
 * Pure: no I/O.
 */
import { BinaryReader } from "../../protocol/binary/mod.ts";
import { EntryIndex } from "./entry_index.ts";
import { StorageLimitError } from "./errors.ts";
import {
  decodeGroupUpdate,
  type GroupUpdateVisitor,
  NODE_LOG_FORMAT_VERSION,
  RECORD_TYPE_GROUP_UPDATE,
} from "./group_record.ts";
import {
  decodeSegmentHeader,
  RECORD_TYPE_SEGMENT_HEADER,
  RecordContentError,
} from "./log_record.ts";
import type { SegmentReplay } from "./recovery.ts";
import type { StoredHardState } from "./types.ts";

/** One group as rebuilt from the log. */
export interface ReplayedGroup {
  /** Entries after the group's snapshot. */
  index: EntryIndex;
  /** Latest hard state recorded. */
  hardState: StoredHardState;
  /**
   * Entries up to here were never seen (their segments were deleted once the group's snapshot
   * covered them): the group's snapshot must reach this index, else the log lost data.
   */
  missingThroughIndex: number;
  /** The newest snapshot a record names (its file was durable first); 0, 0 = none. */
  recorded: { index: number; term: number };
}

/** Bounds applied while replaying. */
export interface NodeReplayLimits {
  /** Live entries per group. */
  logEntriesMax: number;
  /** Groups the log may hold. */
  groupsMax: number;
}

/** Applies the node log's records to per-group state. */
export class NodeReplay implements SegmentReplay, GroupUpdateVisitor {
  /** Live groups by id (a removal deletes its entry). */
  readonly groups = new Map<number, ReplayedGroup>();
  readonly #limits: NodeReplayLimits;
  #segmentSeq = 0;
  #bytes: Uint8Array = new Uint8Array(0);
  /** Reads the records of the current segment image. */
  #reader: BinaryReader = new BinaryReader(this.#bytes);
  #segmentMaxEntryIndex = 0;
  /** The group of the record being decoded. */
  #current: ReplayedGroup | null = null;
  #currentId = 0;

  constructor(limits: NodeReplayLimits) {
    this.#limits = limits;
  }

  /** Largest entry index of any group in the current segment (0 = none). */
  get segmentMaxEntryIndex(): number {
    return this.#segmentMaxEntryIndex;
  }

  beginSegment(seq: number, bytes: Uint8Array): void {
    this.#segmentSeq = seq;
    this.#bytes = bytes;
    this.#reader = new BinaryReader(bytes, "group update record");
    this.#segmentMaxEntryIndex = 0;
  }

  record(offset: number, bodyStart: number, end: number): void {
    const type = this.#bytes[bodyStart];
    if (offset === 0) {
      if (type !== RECORD_TYPE_SEGMENT_HEADER) {
        throw new RecordContentError("segment does not start with a segment header");
      }
      const seq = decodeSegmentHeader(this.#bytes, bodyStart, end, NODE_LOG_FORMAT_VERSION);
      if (seq !== this.#segmentSeq) {
        throw new RecordContentError(`segment header names segment ${seq}`);
      }
      return;
    }
    if (type !== RECORD_TYPE_GROUP_UPDATE) {
      throw new RecordContentError(`unexpected record type ${type}`);
    }
    decodeGroupUpdate(this.#reader, bodyStart, end, this);
  }

  /** Visitor: the record's group. */
  group(groupId: number): void {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      if (this.groups.size >= this.#limits.groupsMax) {
        throw new StorageLimitError(
          `Cannot open node log: it holds more than ${this.#limits.groupsMax} groups (groupsMax)`,
        );
      }
      group = {
        index: new EntryIndex(0, 0),
        hardState: { term: 0, votedFor: null, commitIndex: 0 },
        missingThroughIndex: 0,
        recorded: { index: 0, term: 0 },
      };
      this.groups.set(groupId, group);
    }
    this.#current = group;
    this.#currentId = groupId;
  }

  /** Visitor: the group left the node; everything recorded for it so far is void. */
  removed(): void {
    this.groups.delete(this.#currentId);
    this.#current = null;
  }

  /** Visitor: a hard state. */
  hardState(term: number, commitIndex: number, votedFor: string | null): void {
    this.#group().hardState = { term, votedFor, commitIndex };
  }

  /** Visitor: a truncate-suffix marker. */
  truncate(fromIndex: number): void {
    const group = this.#group();
    if (fromIndex < 1) throw new RecordContentError(`group ${this.#currentId}: truncation at 0`);
    if (fromIndex > group.index.lastIndex + 1) {
      // A rewrite of live entries whose older copies were in deleted segments.
      this.#gap(group, fromIndex - 1);
    } else if (fromIndex <= group.index.snapshotIndex && !isRecorded(group)) {
      // The log starts at a gap, not at a recorded snapshot, and a rewrite supplies entries
      // from below it again: only what lies below the rewrite is missing now.
      this.#gap(group, Math.max(fromIndex - 1, group.recorded.index));
    }
    const index = group.index;
    index.truncateFrom(Math.max(fromIndex, index.firstIndex));
  }

  /** Visitor: one entry. */
  entry(entryIndex: number, term: number, dataOffset: number, dataBytes: number): void {
    const group = this.#group();
    const groupId = this.#currentId;
    this.#segmentMaxEntryIndex = Math.max(this.#segmentMaxEntryIndex, entryIndex);
    if (entryIndex <= group.index.snapshotIndex) return;
    if (entryIndex > group.index.lastIndex + 1) this.#gap(group, entryIndex - 1);
    const index = group.index;
    if (entryIndex !== index.lastIndex + 1) {
      throw new RecordContentError(
        `group ${groupId}: entry ${entryIndex} does not follow last index ${index.lastIndex}`,
      );
    }
    if (index.entryCount >= this.#limits.logEntriesMax) {
      throw new StorageLimitError(
        `Cannot open node log: group ${groupId} holds more than ${this.#limits.logEntriesMax} ` +
          `entries (logEntriesMax); raise the limit`,
      );
    }
    index.push(term, dataBytes);
    index.setLocation(entryIndex, this.#segmentSeq, dataOffset);
  }

  /** Visitor: the group's snapshot (its file was durable before this record was written). */
  snapshot(index: number, term: number): void {
    const group = this.#group();
    compactGroup(group, index, term);
    if (index > group.recorded.index) group.recorded = { index, term };
  }

  /** Entries through `index` were in deleted segments: the group's snapshot must cover them. */
  #gap(group: ReplayedGroup, index: number): void {
    group.missingThroughIndex = index;
    group.index = new EntryIndex(index, index === group.recorded.index ? group.recorded.term : 0);
  }

  #group(): ReplayedGroup {
    if (this.#current === null) throw new RecordContentError("group update after its removal");
    return this.#current;
  }
}

/** True when the group's log starts at the snapshot its records name (not at a gap). */
function isRecorded(group: ReplayedGroup): boolean {
  return group.index.snapshotIndex === group.recorded.index;
}

/** Moves `group`'s snapshot to (`index`, `term`) unless it is older. */
export function compactGroup(group: ReplayedGroup, index: number, term: number): void {
  if (index >= group.index.snapshotIndex) group.index.compactTo(index, term);
}
