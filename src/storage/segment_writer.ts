/** The append side of the segment files: writes batches, rolls segments, removes old ones. */
import { assert } from "../util/assert.ts";
import { WalFailedError } from "./errors.ts";
import type { FileSystem, StorageFile } from "./file_system.ts";
import { segmentFileName, type SegmentInfo } from "./segments.ts";

/** Counters of the writer's disk operations. */
export interface SegmentWriterStats {
  /** fdatasync calls on segment files. */
  syncCount: number;
  /** fsync calls on the wal directory (new or removed segments). */
  dirSyncCount: number;
  /** Bytes written to segment files. */
  bytesWritten: number;
  /** Write calls (one per batch). */
  writeCount: number;
  /** Segment files created by rolling. */
  rollCount: number;
  /** Segment files removed after a snapshot covered them. */
  removedCount: number;
  /** Failed batches cut back to the synced size (to be written again). */
  cutBackCount: number;
}

/** Owns the segment list and the open handle of the last segment. */
export class SegmentWriter {
  readonly #fs: FileSystem;
  readonly #walDir: string;
  readonly #segmentBytesMax: number;
  /** Segments in order; never empty; appends go to the last one. */
  readonly #segments: SegmentInfo[];
  /** Open handle of the last segment, positioned at its end. */
  #file: StorageFile;
  /** The last segment was created and its directory entry is not yet durable. */
  #dirSyncPending = false;
  readonly #stats: SegmentWriterStats = {
    syncCount: 0,
    dirSyncCount: 0,
    bytesWritten: 0,
    writeCount: 0,
    rollCount: 0,
    removedCount: 0,
    cutBackCount: 0,
  };

  private constructor(
    fs: FileSystem,
    walDir: string,
    segmentBytesMax: number,
    segments: SegmentInfo[],
    file: StorageFile,
  ) {
    this.#fs = fs;
    this.#walDir = walDir;
    this.#segmentBytesMax = segmentBytesMax;
    this.#segments = segments;
    this.#file = file;
  }

  /** Opens the last of `segments` (as recovered) for appending. */
  static async open(
    fs: FileSystem,
    walDir: string,
    segmentBytesMax: number,
    segments: SegmentInfo[],
  ): Promise<SegmentWriter> {
    const last = segments.at(-1);
    assert(last !== undefined, "a log has at least one segment");
    const file = await fs.open(last.path, "write");
    return new SegmentWriter(fs, walDir, segmentBytesMax, segments, file);
  }

  /** The segment appends go to. */
  get current(): SegmentInfo {
    return this.#segments.at(-1)!;
  }

  /** All segments, oldest first. */
  get segments(): readonly SegmentInfo[] {
    return this.#segments;
  }

  /** Counters of disk operations so far. */
  get stats(): Readonly<SegmentWriterStats> {
    return this.#stats;
  }

  /** Rolls to a new segment when `batchBytes` more would overflow the current one. */
  async prepare(batchBytes: number): Promise<SegmentInfo> {
    const current = this.current;
    if (current.bytes === 0 || current.bytes + batchBytes <= this.#segmentBytesMax) return current;
    const seq = current.seq + 1;
    const path = `${this.#walDir}/${segmentFileName(seq)}`;
    const file = await this.#fs.open(path, "createNew");
    this.#file.close();
    this.#file = file;
    this.#segments.push({ seq, path, bytes: 0, syncedBytes: 0, maxEntryIndex: 0 });
    this.#dirSyncPending = true;
    this.#stats.rollCount += 1;
    return this.current;
  }

  /**
   * Appends `bytes` to the current segment and makes them durable (fdatasync). On failure the
   * segment is cut back to its last synced size before the error is rethrown, so a retry writes
   * the whole batch again at the same offset: a failed fdatasync may have dropped dirty pages
   * while marking them clean, so only a fresh write and a successful sync vouch for them.
   */
  async writeDurably(bytes: Uint8Array): Promise<void> {
    const segment = this.current;
    assert(segment.bytes === segment.syncedBytes, "a batch starts at the synced end");
    assert(segment.bytes + bytes.length <= this.#segmentBytesMax, "batch fits its segment");
    try {
      await this.#file.write(bytes, segment.bytes);
      segment.bytes += bytes.length;
      this.#stats.writeCount += 1;
      this.#stats.bytesWritten += bytes.length;
      await this.#file.sync();
      this.#stats.syncCount += 1;
      if (this.#dirSyncPending) {
        await this.#fs.syncDir(this.#walDir);
        this.#stats.dirSyncCount += 1;
        this.#dirSyncPending = false;
      }
    } catch (error) {
      await this.#cutBack(segment, error);
      throw error;
    }
    segment.syncedBytes = segment.bytes;
  }

  /** After a failed write or sync: the segment's size goes back to what is synced. */
  async #cutBack(segment: SegmentInfo, cause: unknown): Promise<void> {
    segment.bytes = segment.syncedBytes;
    this.#stats.cutBackCount += 1;
    try {
      await this.#file.truncate(segment.syncedBytes);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new WalFailedError(
        `Cannot cut ${segment.path} back to ${segment.syncedBytes} bytes after a failed write: ` +
          detail,
        { cause },
      );
    }
  }

  /**
   * Removes the oldest segments whose entries are all at or below `snapshotIndex`. A segment is
   * kept while the one after it has never been synced, because that one's prologue carries the
   * hard state forward. The last segment is always kept.
   */
  removeCovered(snapshotIndex: number): Promise<number> {
    return this.removeLeading((segment) => segment.maxEntryIndex <= snapshotIndex);
  }

  /**
   * Removes the oldest segments for which `isUnneeded` holds, stopping at the first that is
   * needed, at the last segment, and before a segment whose successor has never been synced
   * (that one's prologue carries the state forward). Returns the number removed.
   */
  async removeLeading(isUnneeded: (segment: SegmentInfo) => boolean): Promise<number> {
    const segments = this.#segments;
    let count = 0;
    while (count < segments.length - 1) {
      const segment = segments[count]!;
      const next = segments[count + 1]!;
      if (!isUnneeded(segment) || next.syncedBytes === 0) break;
      count += 1;
    }
    if (count === 0) return 0;
    const removed = segments.splice(0, count);
    for (const segment of removed) await this.#fs.remove(segment.path);
    await this.#fs.syncDir(this.#walDir);
    this.#stats.dirSyncCount += 1;
    this.#stats.removedCount += count;
    return count;
  }

  /** Closes the handle of the current segment. */
  close(): void {
    this.#file.close();
  }
}
