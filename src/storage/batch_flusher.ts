/**
 * The write side of group commit: encodes one batch of appends into one reusable buffer and
 * makes it durable with one write and one fdatasync, recording where each entry landed.
 */
import { assert } from "../util/assert.ts";
import { ByteBuffer } from "./byte_buffer.ts";
import type { EntryCache } from "./entry_cache.ts";
import type { EntryIndex } from "./entry_index.ts";
import {
  type EncodedHardState,
  encodeLogUpdate,
  encodeSegmentHeader,
  ENTRY_HEADER_BYTES,
  type LogUpdate,
} from "./log_record.ts";
import { SEGMENT_PROLOGUE_BYTES_MAX } from "./options.ts";
import type { SegmentInfo } from "./segments.ts";
import type { SegmentWriter } from "./segment_writer.ts";

/** One queued `append()` call. */
export interface AppendRequest {
  /** Its record, or null for a durability barrier (writes nothing). */
  update: LogUpdate | null;
  /** Index of its first entry; Infinity when it has none. */
  firstEntryIndex: number;
}

/** Encodes and writes batches; one flush at a time (group commit guarantees it). */
export class BatchFlusher {
  readonly #writer: SegmentWriter;
  readonly #index: EntryIndex;
  readonly #cache: EntryCache;
  /** Reused for every batch; never larger than a batch plus a segment prologue. */
  readonly #encoder: ByteBuffer;
  /** Hard state as of the last encoded batch; carried into each new segment's prologue. */
  #encodedHardState: EncodedHardState;
  /** Records written (log updates plus prologue records). */
  #recordsWritten = 0;

  /** `hardState` is the durable hard state the next segment prologue starts from. */
  constructor(
    writer: SegmentWriter,
    index: EntryIndex,
    cache: EntryCache,
    batchBytesMax: number,
    hardState: EncodedHardState,
  ) {
    this.#writer = writer;
    this.#index = index;
    this.#cache = cache;
    this.#encoder = new ByteBuffer(batchBytesMax + SEGMENT_PROLOGUE_BYTES_MAX);
    this.#encodedHardState = hardState;
  }

  /** Records written so far. */
  get recordsWritten(): number {
    return this.#recordsWritten;
  }

  /** Writes `requests` (encoding to exactly `batchBytes`) with one write + one fdatasync. */
  async flush(requests: readonly AppendRequest[], batchBytes: number): Promise<void> {
    if (batchBytes === 0) return;
    const segment = await this.#writer.prepare(batchBytes);
    const encoder = this.#encoder;
    encoder.reset();
    let recordCount = 0;
    let prologueBytes = 0;
    const batchOffset = segment.bytes;
    if (segment.bytes === 0) {
      encodeSegmentHeader(encoder, segment.seq);
      encodeLogUpdate(encoder, {
        hardState: this.#encodedHardState,
        truncateFromIndex: 0,
        entries: null,
      }, batchOffset);
      recordCount += 2;
      prologueBytes = encoder.lengthBytes;
    }
    for (const request of requests) {
      if (request.update === null) continue;
      const firstEntryOffset = encodeLogUpdate(encoder, request.update, batchOffset);
      recordCount += 1;
      this.#locateEntries(request.update, segment, segment.bytes + firstEntryOffset);
      if (request.update.hardState !== null) this.#encodedHardState = request.update.hardState;
    }
    assert(encoder.lengthBytes === prologueBytes + batchBytes, "batch size was computed exactly");
    await this.#writer.writeDurably(encoder.written());
    this.#recordsWritten += recordCount;
  }

  /**
   * Records where the entries of `update` land on disk. An entry replaced (or compacted) since
   * it was appended is skipped: the cache holds the data object of each unwritten entry, so
   * object identity tells whether the index still refers to this append's entry.
   */
  #locateEntries(update: LogUpdate, segment: SegmentInfo, firstEntryOffset: number): void {
    const entries = update.entries;
    if (entries === null) return;
    const index = this.#index;
    let offset = firstEntryOffset;
    for (const entry of entries) {
      const dataOffset = offset + ENTRY_HEADER_BYTES;
      if (this.#cache.get(entry.index) === entry.data && entry.index >= index.firstIndex) {
        index.setLocation(entry.index, segment.seq, dataOffset);
      }
      offset = dataOffset + entry.data.length;
    }
    segment.maxEntryIndex = Math.max(segment.maxEntryIndex, entries.at(-1)!.index);
  }
}
