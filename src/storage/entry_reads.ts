/** Planning `entries()` reads: which entries, within which bound, and which need disk I/O. */
import type { EntryCache } from "./entry_cache.ts";
import type { EntryIndex } from "./entry_index.ts";
import type { DataLocation } from "./entry_reader.ts";
import { InvalidLogRequestError, LogCompactedError } from "./errors.ts";
import { ENTRY_HEADER_BYTES } from "./log_record.ts";
import type { LogRecordEntry } from "./types.ts";

const EMPTY_DATA = new Uint8Array(0);

/**
 * Returns entries `fromIndex .. toIndexExclusive - 1` up to `bytesMax` (data plus 12 bytes per
 * entry; at least one entry). Cached data is filled in; each uncached entry is added to
 * `missing` with a callback that fills it in once read.
 */
export function collectEntries(
  index: EntryIndex,
  cache: EntryCache,
  fromIndex: number,
  toIndexExclusive: number,
  bytesMax: number,
  missing: DataLocation[],
): LogRecordEntry[] {
  checkReadRange(index, fromIndex, toIndexExclusive, bytesMax);
  const result: LogRecordEntry[] = [];
  let bytes = 0;
  for (let i = fromIndex; i < toIndexExclusive; i++) {
    const dataBytes = index.dataBytes(i);
    const size = dataBytes + ENTRY_HEADER_BYTES;
    if (result.length > 0 && bytes + size > bytesMax) break;
    bytes += size;
    const entry: LogRecordEntry = { index: i, term: index.term(i)!, data: EMPTY_DATA };
    const cached = cache.get(i);
    if (cached !== undefined) {
      entry.data = cached;
    } else {
      missing.push({
        segmentSeq: index.segmentSeq(i),
        dataOffset: index.dataOffset(i),
        dataBytes,
        assign: (data) => {
          entry.data = data;
        },
      });
    }
    result.push(entry);
  }
  return result;
}

function checkReadRange(
  index: EntryIndex,
  fromIndex: number,
  toIndexExclusive: number,
  bytesMax: number,
): void {
  if (!Number.isSafeInteger(fromIndex) || !Number.isSafeInteger(toIndexExclusive)) {
    throw new InvalidLogRequestError(
      `Cannot read entries: range ${fromIndex}..${toIndexExclusive} is not integral`,
    );
  }
  if (fromIndex < index.firstIndex) {
    throw new LogCompactedError(
      `Cannot read entries from ${fromIndex}: entries up to ${index.snapshotIndex} are ` +
        `compacted into a snapshot`,
    );
  }
  if (toIndexExclusive < fromIndex || toIndexExclusive > index.lastIndex + 1) {
    throw new InvalidLogRequestError(
      `Cannot read entries ${fromIndex}..${toIndexExclusive - 1}: the log ends at ` +
        `${index.lastIndex}`,
    );
  }
  if (!(bytesMax > 0)) {
    throw new InvalidLogRequestError(`Cannot read entries: bytesMax ${bytesMax} is not > 0`);
  }
}
