import { assert } from "../util/assert.ts";

/** Initial number of entry slots. */
const SLOTS_INITIAL = 1024;

/**
 * The in-memory index of the log: for each live entry its term, data size and where its data
 * lies on disk (segment sequence and byte offset; sequence 0 = not yet written). Columnar typed
 * arrays keep it at 20 bytes per entry with no per-entry objects.
 *
 * Live entries are `snapshotIndex + 1 .. lastIndex`; slot `k` holds entry `snapshotIndex + 1 + k`.
 */
export class EntryIndex {
  /** Index covered by the latest snapshot (0 = none). */
  #snapshotIndex: number;
  /** Term of the entry at `#snapshotIndex` (0 = none). */
  #snapshotTerm: number;
  /** Number of live entries; <= slot capacity. */
  #count = 0;
  #terms = new Float64Array(SLOTS_INITIAL);
  #dataBytes = new Uint32Array(SLOTS_INITIAL);
  #segmentSeqs = new Uint32Array(SLOTS_INITIAL);
  #dataOffsets = new Uint32Array(SLOTS_INITIAL);

  /** Creates an empty index following a snapshot at `snapshotIndex` (0 = none). */
  constructor(snapshotIndex: number, snapshotTerm: number) {
    this.#snapshotIndex = snapshotIndex;
    this.#snapshotTerm = snapshotTerm;
  }

  /** Index covered by the latest snapshot (0 = none). */
  get snapshotIndex(): number {
    return this.#snapshotIndex;
  }

  /** Term of the entry at `snapshotIndex`. */
  get snapshotTerm(): number {
    return this.#snapshotTerm;
  }

  /** First live entry index (`snapshotIndex + 1`, even when the log is empty). */
  get firstIndex(): number {
    return this.#snapshotIndex + 1;
  }

  /** Last entry index (`snapshotIndex` when no entry follows the snapshot). */
  get lastIndex(): number {
    return this.#snapshotIndex + this.#count;
  }

  /** Number of live entries. */
  get entryCount(): number {
    return this.#count;
  }

  /** Term of entry `index`; the snapshot term at `snapshotIndex`; undefined outside the log. */
  term(index: number): number | undefined {
    if (index === this.#snapshotIndex) return this.#snapshotTerm;
    if (index < this.#snapshotIndex || index > this.lastIndex) return undefined;
    return this.#terms[this.#slot(index)];
  }

  /** Data size of live entry `index`, in bytes. */
  dataBytes(index: number): number {
    return this.#dataBytes[this.#slot(index)]!;
  }

  /** Segment holding live entry `index`'s data, or 0 when it is not yet written. */
  segmentSeq(index: number): number {
    return this.#segmentSeqs[this.#slot(index)]!;
  }

  /** Byte offset of live entry `index`'s data in its segment (valid when written). */
  dataOffset(index: number): number {
    return this.#dataOffsets[this.#slot(index)]!;
  }

  /** Appends entry `lastIndex + 1`, not yet written to disk. */
  push(term: number, dataBytes: number): void {
    if (this.#count === this.#terms.length) this.#grow();
    const slot = this.#count;
    this.#terms[slot] = term;
    this.#dataBytes[slot] = dataBytes;
    this.#segmentSeqs[slot] = 0;
    this.#dataOffsets[slot] = 0;
    this.#count += 1;
  }

  /** Records where live entry `index`'s data was written. */
  setLocation(index: number, segmentSeq: number, dataOffset: number): void {
    assert(segmentSeq >= 1 && segmentSeq <= 0xffff_ffff, "segment sequence fits a u32");
    const slot = this.#slot(index);
    this.#segmentSeqs[slot] = segmentSeq;
    this.#dataOffsets[slot] = dataOffset;
  }

  /** Drops entries `fromIndex ..`; `fromIndex` is within `firstIndex .. lastIndex + 1`. */
  truncateFrom(fromIndex: number): void {
    assert(
      fromIndex >= this.firstIndex && fromIndex <= this.lastIndex + 1,
      `truncation index ${fromIndex} within ${this.firstIndex}..${this.lastIndex + 1}`,
    );
    this.#count = fromIndex - this.firstIndex;
  }

  /**
   * Drops entries up to `index`, now covered by a snapshot of term `term`. When `index` is at or
   * beyond `lastIndex` the log becomes empty after the snapshot.
   */
  compactTo(index: number, term: number): void {
    assert(index >= this.#snapshotIndex, "snapshots only move forward");
    const dropped = Math.min(index - this.#snapshotIndex, this.#count);
    const kept = this.#count - dropped;
    if (kept > 0 && dropped > 0) {
      this.#terms.copyWithin(0, dropped, this.#count);
      this.#dataBytes.copyWithin(0, dropped, this.#count);
      this.#segmentSeqs.copyWithin(0, dropped, this.#count);
      this.#dataOffsets.copyWithin(0, dropped, this.#count);
    }
    this.#count = kept;
    this.#snapshotIndex = index;
    this.#snapshotTerm = term;
  }

  #slot(index: number): number {
    assert(
      index > this.#snapshotIndex && index <= this.lastIndex,
      `entry ${index} is live (${this.firstIndex}..${this.lastIndex})`,
    );
    return index - this.#snapshotIndex - 1;
  }

  #grow(): void {
    const capacity = this.#terms.length * 2;
    this.#terms = growTo(this.#terms, new Float64Array(capacity));
    this.#dataBytes = growTo(this.#dataBytes, new Uint32Array(capacity));
    this.#segmentSeqs = growTo(this.#segmentSeqs, new Uint32Array(capacity));
    this.#dataOffsets = growTo(this.#dataOffsets, new Uint32Array(capacity));
  }
}

function growTo<T extends Float64Array | Uint32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
