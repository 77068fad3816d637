import { BinaryReader, BinaryWriter } from "../../protocol/binary/mod.ts";
import { readConfState, readEntryList, writeConfState, writeEntryList } from "./entry_codec.ts";
import { NOT_MEMBER } from "./not_member.ts";
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
  const writer = new BinaryWriter(sizeBytes);
  writer.u8(MESSAGE_CODEC_VERSION);
  writer.u8(MESSAGE_TYPE_CODES[message.type]);
  writer.u32(message.groupId);
  writer.u8String(message.from);
  writer.u8String(message.to);
  writer.u53(message.term);
  writer.u53(message.index);
  writer.u53(message.logTerm);
  writer.u53(message.commitIndex);
  writer.u8(message.reject ? 1 : 0);
  writer.u53(message.rejectHint);
  writer.u53(message.context);
  writeEntryList(writer, message.entries);
  const chunk = message.snapshot;
  writer.u8(chunk === null ? 0 : 1);
  if (chunk !== null) {
    writer.u53(chunk.index);
    writer.u53(chunk.term);
    writeConfState(writer, chunk.confState);
    writer.u53(chunk.offsetBytes);
    writer.u53(chunk.totalBytes);
    writer.u32Bytes(chunk.data);
  }
  return writer.view();
}

function readChunk(reader: BinaryReader): SnapshotChunk {
  const index = reader.u53();
  const term = reader.u53();
  const confState = readConfState(reader);
  const offsetBytes = reader.u53();
  const totalBytes = reader.u53();
  const data = reader.u32Bytes(SNAPSHOT_CHUNK_BYTES_MAX);
  if (offsetBytes + data.length > totalBytes) {
    throw reader.error(
      `snapshot chunk end ${offsetBytes + data.length} exceeds total ${totalBytes}`,
    );
  }
  return { index, term, confState, offsetBytes, totalBytes, data };
}

/** Decodes `encodeRaftMessage` output; throws an Error (never another exception) if malformed. */
export function decodeRaftMessage(bytes: Uint8Array): Message {
  const reader: BinaryReader = new BinaryReader(bytes, "Raft message");
  const version = reader.u8();
  if (version !== MESSAGE_CODEC_VERSION) throw reader.error(`unknown version ${version}`);
  const code = reader.u8();
  const type = TYPES_BY_CODE.get(code);
  if (type === undefined) throw reader.error(`unknown message type ${code}`);
  const groupId = reader.u32();
  const from = reader.u8String();
  const to = reader.u8String();
  const term = reader.u53();
  const index = reader.u53();
  const logTerm = reader.u53();
  const commitIndex = reader.u53();
  const rejectByte = reader.u8();
  if (rejectByte > 1) throw reader.error(`reject flag ${rejectByte} is not 0 or 1`);
  const rejectHint = reader.u53();
  const context = reader.u53();
  if (type === "appendResponse" && context > NOT_MEMBER) {
    throw reader.error(`appendResponse context ${context} is not 0 or ${NOT_MEMBER}`);
  }
  const entries = readEntryList(reader);
  if (entries.length > 0 && type !== "append") throw reader.error(`${type} must not carry entries`);
  const hasChunk = reader.u8();
  if (hasChunk > 1) throw reader.error(`snapshot flag ${hasChunk} is not 0 or 1`);
  const snapshot = hasChunk === 1 ? readChunk(reader) : null;
  if ((snapshot !== null) !== (type === "snapshot")) {
    throw reader.error(
      `${type} ${snapshot === null ? "lacks" : "must not carry"} a snapshot chunk`,
    );
  }
  reader.expectEnd();
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
