/**
 * Raft codec costs, all in memory: encode and decode of an append message carrying 64 entries
 * of 100 bytes (the payload of one peer `Raft` frame), of a heartbeat (no entries), and of an
 * entry list as the log stores it. Run: `deno bench bench/raft_codec_bench.ts`.
 */
import {
  decodeEntries,
  decodeRaftMessage,
  encodeEntries,
  encodeRaftMessage,
  type Entry,
  type Message,
} from "../src/raft/mod.ts";

/** Entries per append message. */
const ENTRY_COUNT = 64;
/** Bytes of each entry's data. */
const ENTRY_DATA_BYTES = 100;

const ENTRIES: Entry[] = Array.from({ length: ENTRY_COUNT }, (_, i) => ({
  index: 1_000_000 + i,
  term: 7,
  kind: "normal",
  data: new Uint8Array(ENTRY_DATA_BYTES).fill(i % 251),
}));

/** A message with every field set to a plausible value. */
function message(type: Message["type"], entries: Entry[]): Message {
  return {
    type,
    groupId: 3,
    from: "n1",
    to: "n2",
    term: 7,
    index: 999_999,
    logTerm: 7,
    commitIndex: 999_990,
    entries,
    reject: false,
    rejectHint: 0,
    context: 12,
    snapshot: null,
  };
}

const APPEND = message("append", ENTRIES);
const APPEND_BYTES = encodeRaftMessage(APPEND);
const HEARTBEAT = message("heartbeat", []);
const HEARTBEAT_BYTES = encodeRaftMessage(HEARTBEAT);
const ENTRY_BYTES = encodeEntries(ENTRIES);

Deno.bench(`raft codec: encode append (64 entries, ${APPEND_BYTES.length} bytes)`, () => {
  encodeRaftMessage(APPEND);
});

Deno.bench(`raft codec: decode append (64 entries, ${APPEND_BYTES.length} bytes)`, () => {
  decodeRaftMessage(APPEND_BYTES);
});

Deno.bench(`raft codec: encode + decode heartbeat (${HEARTBEAT_BYTES.length} bytes)`, () => {
  decodeRaftMessage(encodeRaftMessage(HEARTBEAT));
});

Deno.bench(
  `raft codec: encode + decode entry list (64 entries, ${ENTRY_BYTES.length} bytes)`,
  () => {
    decodeEntries(encodeEntries(ENTRIES));
  },
);
