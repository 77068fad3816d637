/** Reads entry data that is no longer cached from the segment files. */
import { assert } from "../util/assert.ts";
import { LogCompactedError } from "./errors.ts";
import { readExactAt } from "./file_io.ts";
import type { FileSystem, StorageFile } from "./file_system.ts";
import { READ_GAP_BYTES_MAX } from "./limits.ts";
import { segmentFileName } from "./segments.ts";

/** Where one missing entry's data lies; `target` receives it. */
export interface DataLocation {
  /** Segment sequence (>= 1). */
  segmentSeq: number;
  /** Byte offset of the data in the segment. */
  dataOffset: number;
  /** Size of the data, in bytes. */
  dataBytes: number;
  /** Receives the data once read. */
  assign: (data: Uint8Array) => void;
}

/** One read call: a byte range of one segment covering several entries. */
interface Span {
  segmentSeq: number;
  start: number;
  end: number;
  members: DataLocation[];
}

/**
 * Reads the data of `locations` (ordered by entry index) with as few read calls as possible:
 * entries of the same segment that lie close together share one read. Returns the number of
 * read calls.
 */
export async function readEntryData(
  fs: FileSystem,
  walDir: string,
  locations: readonly DataLocation[],
): Promise<number> {
  const spans = planSpans(locations);
  const files = new Map<number, StorageFile>();
  try {
    for (const span of spans) {
      const path = `${walDir}/${segmentFileName(span.segmentSeq)}`;
      let file = files.get(span.segmentSeq);
      if (file === undefined) {
        file = await openSegment(fs, path);
        files.set(span.segmentSeq, file);
      }
      const buffer = new Uint8Array(span.end - span.start);
      await readExactAt(file, span.start, buffer, path);
      for (const member of span.members) {
        const from = member.dataOffset - span.start;
        member.assign(buffer.subarray(from, from + member.dataBytes));
      }
    }
  } finally {
    for (const file of files.values()) file.close();
  }
  return spans.length;
}

function planSpans(locations: readonly DataLocation[]): Span[] {
  const spans: Span[] = [];
  let span: Span | undefined;
  for (const location of locations) {
    assert(location.segmentSeq >= 1, "an uncached entry has been written");
    const end = location.dataOffset + location.dataBytes;
    if (
      span !== undefined && span.segmentSeq === location.segmentSeq &&
      location.dataOffset >= span.end && location.dataOffset - span.end <= READ_GAP_BYTES_MAX
    ) {
      span.end = end;
      span.members.push(location);
      continue;
    }
    span = {
      segmentSeq: location.segmentSeq,
      start: location.dataOffset,
      end,
      members: [location],
    };
    spans.push(span);
  }
  return spans;
}

async function openSegment(fs: FileSystem, path: string): Promise<StorageFile> {
  try {
    return await fs.open(path, "read");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new LogCompactedError(
        `Cannot read entries: ${path} was removed by a snapshot while being read`,
      );
    }
    throw error;
  }
}
