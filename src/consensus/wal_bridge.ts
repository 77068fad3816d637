import {
  bootstrapStorage,
  decodeConfState,
  encodeConfState,
  type Entry,
  type EntryKind,
  type HardState,
  type RaftStorageView,
} from "../raft/mod.ts";
import type { LogRecordEntry, RaftLogStore } from "../storage/mod.ts";

const KIND_CODES: Record<EntryKind, number> = { normal: 0, config: 1, noop: 2 };
const KINDS: EntryKind[] = ["normal", "config", "noop"];

/** A Raft entry as a WAL record: the kind is the first byte of the stored data. */
export function toRecord(entry: Entry): LogRecordEntry {
  const data = new Uint8Array(entry.data.length + 1);
  data[0] = KIND_CODES[entry.kind];
  data.set(entry.data, 1);
  return { index: entry.index, term: entry.term, data };
}

/** The Raft entry stored in a WAL record. */
export function fromRecord(record: LogRecordEntry): Entry {
  const kind = KINDS[record.data[0] ?? 255];
  if (kind === undefined) {
    throw new Error(`Cannot read log entry ${record.index}: unknown kind byte ${record.data[0]}`);
  }
  return { index: record.index, term: record.term, kind, data: record.data.subarray(1) };
}

/** A Raft hard state in the WAL's shape (identical fields). */
export function toStoredHardState(state: HardState) {
  return { term: state.term, votedFor: state.votedFor, commitIndex: state.commitIndex };
}

/**
 * What survived in the WAL, as the Raft core's storage view. Without a snapshot the membership
 * comes from the bootstrap voters/learners (the same `--peers` list at every start).
 */
export async function loadStorageView(
  wal: RaftLogStore,
  bootstrap: { voters: string[]; learners: string[] },
): Promise<RaftStorageView> {
  const view = bootstrapStorage(bootstrap.voters, bootstrap.learners);
  const snapshot = await wal.loadSnapshot();
  if (snapshot !== null) {
    view.snapshot = {
      index: snapshot.index,
      term: snapshot.term,
      confState: decodeConfState(snapshot.config),
      data: snapshot.data,
    };
  }
  const hard = wal.hardState();
  view.hardState = { term: hard.term, votedFor: hard.votedFor, commitIndex: hard.commitIndex };
  const first = view.snapshot.index + 1;
  const last = wal.lastIndex();
  for (let from = first; from <= last;) {
    const records = await wal.entries(from, last + 1);
    if (records.length === 0) break;
    for (const record of records) view.entries.push(fromRecord(record));
    from = records[records.length - 1]!.index + 1;
  }
  return view;
}

/**
 * Saves `seed` as the group's snapshot (term 0, membership `bootstrap`) when its log is empty and
 * it never voted; true when it did. A group with any history keeps it.
 */
export async function seedIfPristine(
  wal: RaftLogStore,
  bootstrap: { voters: string[]; learners: string[] },
  seed: { index: number; image: Uint8Array },
): Promise<boolean> {
  const hard = wal.hardState();
  if (wal.lastIndex() !== 0 || hard.term !== 0 || hard.commitIndex !== 0) return false;
  if (await wal.loadSnapshot() !== null) return false;
  const config = encodeConfState({
    voters: bootstrap.voters.slice(),
    learners: bootstrap.learners.slice(),
  });
  await wal.saveSnapshot({ index: seed.index, term: 0, config }, seed.image);
  return true;
}
