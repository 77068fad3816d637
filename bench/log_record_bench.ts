/**
 * Node log record costs, all in memory (no disk): encoding one batch of 256 group updates of one
 * 100-byte entry each into the flusher's reusable buffer, and decoding those records as replay
 * does (frame check, then the body with a visitor that only counts). Run:
 * `deno bench bench/log_record_bench.ts`.
 */
import { BinaryReader, BinaryWriter } from "../protocol/binary/mod.ts";
import {
  decodeGroupUpdate,
  encodeGroupUpdate,
  type GroupUpdate,
  type GroupUpdateVisitor,
} from "../src/storage/group_record.ts";
import { readFrameAt } from "../src/storage/record_frame.ts";

/** Group updates per batch. */
const UPDATE_COUNT = 256;
/** Largest record accepted by the frame check, in bytes. */
const RECORD_BYTES_MAX = 1 << 20;

const UPDATES: GroupUpdate[] = Array.from({ length: UPDATE_COUNT }, (_, i) => ({
  groupId: i % 16,
  hardState: null,
  truncateFromIndex: 0,
  entries: [{ index: 1_000 + i, term: 3, data: new Uint8Array(100).fill(i % 251) }],
  snapshot: null,
  removed: false,
}));

const ENCODER = new BinaryWriter(64 * 1024, 1 << 24);

function encodeBatch(): Uint8Array {
  ENCODER.reset();
  for (const update of UPDATES) encodeGroupUpdate(ENCODER, update, 0);
  return ENCODER.view();
}

const BATCH = encodeBatch().slice();
let entryCount = 0;
const COUNTING: GroupUpdateVisitor = {
  group() {},
  hardState() {},
  truncate() {},
  entry() {
    entryCount += 1;
  },
  snapshot() {},
  removed() {},
};

Deno.bench(`log records: encode ${UPDATE_COUNT} updates (${BATCH.length} bytes)`, () => {
  encodeBatch();
});

Deno.bench(`log records: frame check + decode ${UPDATE_COUNT} updates`, () => {
  const view = new DataView(BATCH.buffer, BATCH.byteOffset, BATCH.byteLength);
  const reader = new BinaryReader(BATCH, "group update record");
  entryCount = 0;
  for (let offset = 0; offset < BATCH.length;) {
    const frame = readFrameAt(BATCH, view, offset, RECORD_BYTES_MAX);
    if (frame.kind !== "record") throw new Error(`unexpected ${frame.kind} at ${offset}`);
    decodeGroupUpdate(reader, frame.bodyStart, frame.end, COUNTING);
    offset = frame.end;
  }
  if (entryCount !== UPDATE_COUNT) throw new Error(`decoded ${entryCount} entries`);
});
