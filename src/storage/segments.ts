/** Segment files: naming, listing and the bookkeeping kept for each one. */
import { CorruptLogError, StorageLimitError } from "./errors.ts";
import { SEGMENT_COUNT_MAX } from "./limits.ts";

/** Digits of the zero-padded sequence number in a segment file name. */
const SEQ_DIGITS = 20;
/** Matches a segment file name, capturing its sequence number. */
const SEGMENT_NAME = /^(\d{20})\.seg$/;

/** What the log keeps about one segment file. */
export interface SegmentInfo {
  /** Sequence number (1, 2, ...), also the file name. */
  seq: number;
  /** Path of the file. */
  path: string;
  /** Bytes written to the file; <= `segmentBytesMax`. */
  bytes: number;
  /** Bytes known durable (covered by a completed fdatasync); <= `bytes`. */
  syncedBytes: number;
  /** Largest entry index recorded in the file (0 = none); decides when a snapshot covers it. */
  maxEntryIndex: number;
}

/** File name of segment `seq`, e.g. `00000000000000000001.seg`. */
export function segmentFileName(seq: number): string {
  return `${String(seq).padStart(SEQ_DIGITS, "0")}.seg`;
}

/** Sequence numbers of the segment files among `names`, ascending and gap-free. */
export function segmentSeqs(walDir: string, names: readonly string[]): number[] {
  const seqs: number[] = [];
  for (const name of names) {
    const match = SEGMENT_NAME.exec(name);
    if (match === null) continue;
    if (seqs.length >= SEGMENT_COUNT_MAX) {
      throw new StorageLimitError(
        `Cannot open log: ${walDir} holds more than ${SEGMENT_COUNT_MAX} segments`,
      );
    }
    seqs.push(Number(match[1]));
  }
  seqs.sort((a, b) => a - b);
  for (let k = 1; k < seqs.length; k++) {
    const expected = seqs[k - 1]! + 1;
    if (seqs[k] !== expected) {
      throw new CorruptLogError(
        `${walDir}/${segmentFileName(seqs[k]!)}`,
        0,
        `segment ${segmentFileName(expected)} is missing`,
      );
    }
  }
  return seqs;
}
