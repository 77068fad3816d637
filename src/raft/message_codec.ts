import { ByteReader, ByteWriter } from "./bytes.ts";
import { readConfState, readEntryList, writeConfState, writeEntryList } from "./entry_codec.ts";
import type { Message, MessageType, SnapshotChunk } from "./types.ts";

/** Format version byte leading every encoded message. */
export const MESSAGE_CODEC_VERSION = 1;
/** Maximum bytes of one decoded snapshot chunk. */
export const SNAPSHOT_CHUNK_BYTES_MAX = 16 * 1024 * 1024;

/** Wire codes of message types (stable: never renumber). */
export const MESSAGE_TYPE_CODES: Record<MessageType, number> = {
  preVote: 1,
  preVoteResponse: 2,
  vote: 3,
  voteResponse: 4,
  append: 5,
  appendResponse: 6,
  heartbeat: 7,
  heartbeatResponse: 8,
  snapshot: 9,
  snapshotResponse: 10,
  timeoutNow: 11,
  readIndex: 12,
  readIndexResponse: 13,
  quiesce: 14,
};

const TYPES_BY_CODE = new Map<number, MessageType>(
  Object.entries(MESSAGE_TYPE_CODES).map(([type, code]) => [code, type as MessageType]),
);

/** Encodes a message as big-endian binary (the payload of a peer `Raft` frame). */
export function encodeRaftMessage(message: Message): Uint8Array {
  let sizeBytes = 128;
  for (const entry of message.entries) sizeBytes += 32 + entry.data.length;
  sizeBytes += message.snapshot?.data.length ?? 0;
  const writer = new ByteWriter(sizeBytes);
  writer.u8(MESSAGE_CODEC_VERSION);
  writer.u8(MESSAGE_TYPE_CODES[message.type]);
  writer.u32(message.groupId);
  writer.shortString(message.from, "from");
  writer.shortString(message.to, "to");
  writer.u64(message.term, "term");
  writer.u64(message.index, "index");
  writer.u64(message.logTerm, "logTerm");
  writer.u64(message.commitIndex, "commitIndex");
  writer.u8(message.reject ? 1 : 0);
  writer.u64(message.rejectHint, "rejectHint");
  writer.u64(message.context, "context");
  writeEntryList(writer, message.entries);
  const chunk = message.snapshot;
  writer.u8(chunk === null ? 0 : 1);
  if (chunk !== null) {
    writer.u64(chunk.index, "snapshot index");
    writer.u64(chunk.term, "snapshot term");
    writeConfState(writer, chunk.confState);
    writer.u64(chunk.offsetBytes, "snapshot offset");
    writer.u64(chunk.totalBytes, "snapshot total");
    writer.bytes(chunk.data);
  }
  return writer.finish();
}

function readChunk(reader: ByteReader): SnapshotChunk {
  const index = reader.u64("snapshot index");
  const term = reader.u64("snapshot term");
  const confState = readConfState(reader);
  const offsetBytes = reader.u64("snapshot offset");
  const totalBytes = reader.u64("snapshot total");
  const data = reader.bytes("snapshot chunk", SNAPSHOT_CHUNK_BYTES_MAX);
  if (offsetBytes + data.length > totalBytes) {
    reader.fail(`snapshot chunk end ${offsetBytes + data.length} exceeds total ${totalBytes}`);
  }
  return { index, term, confState, offsetBytes, totalBytes, data };
}

/** Decodes `encodeRaftMessage` output; throws an Error (never another exception) if malformed. */
export function decodeRaftMessage(bytes: Uint8Array): Message {
  const reader: ByteReader = new ByteReader(bytes, "Raft message");
  const version = reader.u8("version");
  if (version !== MESSAGE_CODEC_VERSION) reader.fail(`unknown version ${version}`);
  const code = reader.u8("type");
  const type = TYPES_BY_CODE.get(code);
  if (type === undefined) reader.fail(`unknown message type ${code}`);
  const groupId = reader.u32("groupId");
  const from = reader.shortString("from");
  const to = reader.shortString("to");
  const term = reader.u64("term");
  const index = reader.u64("index");
  const logTerm = reader.u64("logTerm");
  const commitIndex = reader.u64("commitIndex");
  const rejectByte = reader.u8("reject");
  if (rejectByte > 1) reader.fail(`reject flag ${rejectByte} is not 0 or 1`);
  const rejectHint = reader.u64("rejectHint");
  const context = reader.u64("context");
  const entries = readEntryList(reader);
  if (entries.length > 0 && type !== "append") reader.fail(`${type} must not carry entries`);
  const hasChunk = reader.u8("snapshot flag");
  if (hasChunk > 1) reader.fail(`snapshot flag ${hasChunk} is not 0 or 1`);
  const snapshot = hasChunk === 1 ? readChunk(reader) : null;
  if ((snapshot !== null) !== (type === "snapshot")) {
    reader.fail(`${type} ${snapshot === null ? "lacks" : "must not carry"} a snapshot chunk`);
  }
  reader.end();
  return {
    type,
    groupId,
    from,
    to,
    term,
    index,
    logTerm,
    commitIndex,
    entries,
    reject: rejectByte === 1,
    rejectHint,
    context,
    snapshot,
  };
}
