/**
 * Recovery on open: reads every segment in order, verifies every record, cuts a torn tail off
 * the last segment, and feeds the records to a replay that rebuilds the in-memory log.
 */
import { CorruptLogError } from "./errors.ts";
import type { FileSystem } from "./file_system.ts";
import { SEGMENT_BYTES_CEILING } from "./limits.ts";
import type { WalLog } from "./options.ts";
import { scanSegment } from "./segment_scan.ts";
import { segmentFileName, type SegmentInfo } from "./segments.ts";

/** Where to recover from. */
export interface ScanInput {
  /** The file layer. */
  fs: FileSystem;
  /** Directory holding the segment files. */
  walDir: string;
  /** Sequence numbers of the segment files, ascending, gap-free, at least one. */
  seqs: readonly number[];
  /** Receives the one line reporting a cut torn tail. */
  log: WalLog;
}

/** What `scanSegments` feeds the records of each segment to. */
export interface SegmentReplay {
  /** Starts segment `seq`, whose verified content is `bytes`. */
  beginSegment(seq: number, bytes: Uint8Array): void;
  /** A whole, checksum-valid record; may throw `RecordContentError`. */
  record(offset: number, bodyStart: number, end: number): void;
  /** Largest entry index the current segment holds (0 = none). */
  readonly segmentMaxEntryIndex: number;
}

/**
 * Reads and verifies every segment of `input.seqs` in order, feeding records to `replay`; cuts a
 * torn tail off the last segment durably; throws `CorruptLogError` on damage before the tail.
 */
export async function scanSegments(
  input: ScanInput,
  replay: SegmentReplay,
): Promise<{ segments: SegmentInfo[]; tornTailCount: number }> {
  const segments: SegmentInfo[] = [];
  let tornTailCount = 0;
  for (let k = 0; k < input.seqs.length; k++) {
    const seq = input.seqs[k]!;
    const path = `${input.walDir}/${segmentFileName(seq)}`;
    const isLast = k === input.seqs.length - 1;
    const bytes = await readSegment(input.fs, path);
    if (bytes.length === 0 && !isLast) {
      throw new CorruptLogError(path, 0, "empty segment that is not the last");
    }
    replay.beginSegment(seq, bytes);
    const torn = scanSegment(
      path,
      bytes,
      isLast,
      SEGMENT_BYTES_CEILING,
      (offset, bodyStart, end) => replay.record(offset, bodyStart, end),
    );
    let size = bytes.length;
    if (torn !== null) {
      await cutTail(input.fs, path, torn.offset);
      input.log.warn("Truncated torn tail of the write-ahead log", {
        file: path,
        offset: torn.offset,
        droppedBytes: bytes.length - torn.offset,
        reason: torn.reason,
      });
      size = torn.offset;
      tornTailCount += 1;
    }
    segments.push({
      seq,
      path,
      bytes: size,
      syncedBytes: size,
      maxEntryIndex: replay.segmentMaxEntryIndex,
    });
  }
  return { segments, tornTailCount };
}

async function readSegment(fs: FileSystem, path: string): Promise<Uint8Array> {
  const size = await fs.size(path);
  if (size === null) throw new CorruptLogError(path, 0, "segment disappeared during recovery");
  if (size > SEGMENT_BYTES_CEILING) {
    throw new CorruptLogError(
      path,
      0,
      `segment of ${size} bytes exceeds maximum of ${SEGMENT_BYTES_CEILING}`,
    );
  }
  return await fs.readFile(path);
}

/** Cuts `path` to `size` bytes and makes the new size durable. */
async function cutTail(fs: FileSystem, path: string, size: number): Promise<void> {
  const file = await fs.open(path, "write");
  try {
    await file.truncate(size);
    await file.sync();
  } finally {
    file.close();
  }
}
