/**
 * Validation of `append()` input against the log's rules. Everything here comes from the host,
 * so it is validated with clear errors, never asserted. Pure: no I/O.
 */
import { InvalidLogRequestError, StorageLimitError } from "./errors.ts";
import { ID_BYTES_MAX } from "./limits.ts";
import type { EncodedHardState } from "./log_record.ts";
import type { LogRecordEntry, StoredHardState } from "./types.ts";

const TEXT_ENCODER = new TextEncoder();

/** What `checkEntries` needs to know about the log. */
export interface LogBounds {
  /** First live index (`snapshotIndex + 1`). */
  firstIndex: number;
  /** Last index. */
  lastIndex: number;
  /** Entries at or below this index may not change (a snapshot save is in progress); 0 = none. */
  frozenThroughIndex: number;
  /** Live entries the log may hold. */
  logEntriesMax: number;
  /** Term of entry `index` (or of the snapshot at `firstIndex - 1`). */
  term(index: number): number | undefined;
}

/**
 * Checks that `entries` (non-empty) are contiguous, well-formed, attach to the log without a gap
 * and keep terms non-decreasing. Returns the index from which the log must first be truncated,
 * or 0 when the entries simply extend it.
 */
export function checkEntries(entries: readonly LogRecordEntry[], log: LogBounds): number {
  const first = entries[0]!.index;
  if (!isCount(first) || first < 1) invalid(`first entry index ${first} is not an integer >= 1`);
  if (first < log.firstIndex) {
    throw new InvalidLogRequestError(
      `Cannot append entry ${first}: entries up to ${log.firstIndex - 1} are compacted into a ` +
        `snapshot`,
    );
  }
  if (first > log.lastIndex + 1) invalid(`entry ${first} leaves a gap after ${log.lastIndex}`);
  if (first <= log.frozenThroughIndex) {
    invalid(`entry ${first} would change entries covered by the snapshot being saved`);
  }
  const liveCount = first - log.firstIndex + entries.length;
  if (liveCount > log.logEntriesMax) {
    throw new StorageLimitError(
      `Cannot append: the log would hold ${liveCount} entries, maximum is ${log.logEntriesMax} ` +
        `(logEntriesMax); save a snapshot first`,
    );
  }
  let previousTerm = log.term(first - 1) ?? 0;
  for (let k = 0; k < entries.length; k++) {
    const entry = entries[k]!;
    if (entry.index !== first + k) invalid(`entry ${entry.index} at position ${k} of a batch`);
    if (!isCount(entry.term)) invalid(`entry ${entry.index} has term ${entry.term}`);
    if (entry.term < previousTerm) {
      invalid(`entry ${entry.index} has term ${entry.term}, below previous term ${previousTerm}`);
    }
    if (!(entry.data instanceof Uint8Array)) invalid(`entry ${entry.index} data is not bytes`);
    previousTerm = entry.term;
  }
  return first <= log.lastIndex ? first : 0;
}

/**
 * Checks a new hard state against the previous one: the term never decreases and a vote, once
 * cast in a term, never changes within it. Returns it with `votedFor` encoded.
 */
export function checkHardState(
  next: StoredHardState,
  previous: StoredHardState,
): EncodedHardState {
  if (!isCount(next.term)) invalid(`hard state term ${next.term} is not an integer >= 0`);
  if (!isCount(next.commitIndex)) invalid(`commitIndex ${next.commitIndex} is not an integer >= 0`);
  let votedForBytes: Uint8Array | null = null;
  if (next.votedFor !== null) {
    if (typeof next.votedFor !== "string") invalid("votedFor is neither a string nor null");
    votedForBytes = TEXT_ENCODER.encode(next.votedFor);
    if (votedForBytes.length < 1 || votedForBytes.length > ID_BYTES_MAX) {
      invalid(`votedFor of ${votedForBytes.length} bytes, must be 1..${ID_BYTES_MAX}`);
    }
  }
  if (next.term < previous.term) {
    invalid(`hard state term would decrease from ${previous.term} to ${next.term}`);
  }
  if (
    next.term === previous.term && previous.votedFor !== null &&
    next.votedFor !== previous.votedFor
  ) {
    invalid(
      `node already voted for ${previous.votedFor} in term ${next.term}, cannot change the vote ` +
        `to ${next.votedFor}`,
    );
  }
  return {
    term: next.term,
    commitIndex: next.commitIndex,
    votedFor: next.votedFor,
    votedForBytes,
  };
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function invalid(detail: string): never {
  throw new InvalidLogRequestError(`Cannot append: ${detail}`);
}
