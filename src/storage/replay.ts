/**
 * Rebuilds the in-memory log (entry index, tail cache, hard state) from the records of the
 * segments, in order, on top of the latest snapshot.
 *
 * Pure: no I/O.
 */
import { EntryCache } from "./entry_cache.ts";
import { EntryIndex } from "./entry_index.ts";
import { StorageLimitError } from "./errors.ts";
import {
  decodeLogUpdate,
  decodeSegmentHeader,
  RECORD_TYPE_LOG_UPDATE,
  RECORD_TYPE_SEGMENT_HEADER,
  RecordContentError,
} from "./log_record.ts";
import type { StoredHardState } from "./types.ts";

/** Limits applied while replaying. */
export interface ReplayLimits {
  /** Bytes of entry data kept in the tail cache. */
  cacheBytesMax: number;
  /** Live entries the log may hold. */
  logEntriesMax: number;
}

/** Applies decoded records to the in-memory log. */
export class LogReplay {
  /** The rebuilt entry index. */
  readonly index: EntryIndex;
  /** The latest hard state seen so far. */
  recoveredHardState: StoredHardState = { term: 0, votedFor: null, commitIndex: 0 };
  readonly #limits: ReplayLimits;
  /** Segment being replayed, its image and the largest entry index it holds (0 = none). */
  #segmentSeq = 0;
  #bytes: Uint8Array = new Uint8Array(0);
  #view: DataView = new DataView(new ArrayBuffer(0));
  #segmentMaxEntryIndex = 0;

  /** Starts from the snapshot at `snapshotIndex` (0 = none). */
  constructor(snapshotIndex: number, snapshotTerm: number, limits: ReplayLimits) {
    this.index = new EntryIndex(snapshotIndex, snapshotTerm);
    this.#limits = limits;
  }

  /** Largest entry index recorded in the current segment (0 = none). */
  get segmentMaxEntryIndex(): number {
    return this.#segmentMaxEntryIndex;
  }

  /** Starts replaying segment `segmentSeq`, whose content is `bytes`. */
  beginSegment(segmentSeq: number, bytes: Uint8Array): void {
    this.#segmentSeq = segmentSeq;
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#segmentMaxEntryIndex = 0;
  }

  /** Applies the record at `offset` whose body is `[bodyStart, end)` of the current segment. */
  record(offset: number, bodyStart: number, end: number): void {
    const type = this.#bytes[bodyStart];
    if (offset === 0) {
      if (type !== RECORD_TYPE_SEGMENT_HEADER) {
        throw new RecordContentError("segment does not start with a segment header");
      }
      const seq = decodeSegmentHeader(this.#bytes, this.#view, bodyStart, end);
      if (seq !== this.#segmentSeq) {
        throw new RecordContentError(`segment header names segment ${seq}`);
      }
      return;
    }
    if (type !== RECORD_TYPE_LOG_UPDATE) {
      throw new RecordContentError(`unexpected record type ${type}`);
    }
    decodeLogUpdate(this.#bytes, this.#view, bodyStart, end, this);
  }

  /** Visitor: a hard state record. */
  hardState(term: number, commitIndex: number, votedFor: string | null): void {
    this.recoveredHardState = { term, votedFor, commitIndex };
  }

  /** Visitor: a truncate-suffix marker. */
  truncate(fromIndex: number): void {
    const index = this.index;
    if (fromIndex < 1 || fromIndex > index.lastIndex + 1) {
      throw new RecordContentError(
        `truncation at index ${fromIndex} beyond last index ${index.lastIndex}`,
      );
    }
    // Entries up to the snapshot are already replaced by it; only later ones are dropped.
    const effective = Math.max(fromIndex, index.firstIndex);
    index.truncateFrom(effective);
  }

  /** Visitor: one entry. */
  entry(entryIndex: number, term: number, dataOffset: number, dataBytes: number): void {
    this.#segmentMaxEntryIndex = Math.max(this.#segmentMaxEntryIndex, entryIndex);
    const index = this.index;
    if (entryIndex <= index.snapshotIndex) return;
    if (entryIndex !== index.lastIndex + 1) {
      throw new RecordContentError(
        `entry ${entryIndex} does not follow last index ${index.lastIndex}`,
      );
    }
    if (index.entryCount >= this.#limits.logEntriesMax) {
      throw new StorageLimitError(
        `Cannot open log: it holds more than ${this.#limits.logEntriesMax} entries ` +
          `(logEntriesMax); raise the limit`,
      );
    }
    index.push(term, dataBytes);
    index.setLocation(entryIndex, this.#segmentSeq, dataOffset);
  }

  /**
   * Builds the tail cache once all segments are replayed: the newest entries that lie in the
   * current (last) segment, up to `cacheBytesMax` bytes, copied out of its image.
   */
  buildCache(): EntryCache {
    const index = this.index;
    let startIndex = index.lastIndex + 1;
    let bytes = 0;
    while (startIndex > index.firstIndex) {
      const candidate = startIndex - 1;
      if (index.segmentSeq(candidate) !== this.#segmentSeq) break;
      bytes += index.dataBytes(candidate);
      if (bytes > this.#limits.cacheBytesMax) break;
      startIndex = candidate;
    }
    const cache = new EntryCache(startIndex);
    for (let i = startIndex; i <= index.lastIndex; i++) {
      const offset = index.dataOffset(i);
      cache.push(i, this.#bytes.slice(offset, offset + index.dataBytes(i)));
    }
    return cache;
  }
}
