import type { BinaryReader, BinaryWriter } from "../binary/mod.ts";
import {
  FORWARD_ARG_COUNT_MAX,
  QUEUE_READY_ITEM_BYTES_MIN,
  QUEUE_READY_ITEMS_MAX,
  QUEUE_READY_NAME_BYTES_MAX,
  RAFT_BATCH_ITEM_BYTES_MIN,
  RAFT_BATCH_ITEMS_MAX,
} from "./limits.ts";
import {
  HANDSHAKE_REJECT_REASON_CODES,
  type HandshakeRejectReason,
  MESSAGE_TYPE_CODES,
  type PeerMessage,
  type PeerMessageType,
} from "./message.ts";

/** Message type for each wire code; undefined for unassigned codes. */
const TYPE_BY_CODE: ReadonlyMap<number, PeerMessageType> = new Map(
  Object.entries(MESSAGE_TYPE_CODES).map(([type, code]) => [code, type as PeerMessageType]),
);

/** Reject reason for each wire code; undefined for unassigned codes. */
const REASON_BY_CODE: ReadonlyMap<number, HandshakeRejectReason> = new Map(
  Object.entries(HANDSHAKE_REJECT_REASON_CODES).map((
    [reason, code],
  ) => [code, reason as HandshakeRejectReason]),
);

/** Smallest encoding of a `bytes` item (its u32 length), in bytes. */
const BYTES_ITEM_BYTES_MIN = 4;

/** Returns the message type assigned to a wire code, or undefined if the code is unassigned. */
export function messageTypeOfCode(code: number): PeerMessageType | undefined {
  return TYPE_BY_CODE.get(code);
}

/** Upper-bound guess of a message's body size in bytes, used to size the encode buffer once. */
export function bodyBytesHint(message: PeerMessage): number {
  switch (message.type) {
    case "handshake":
      return 11 +
        3 * (message.clusterId.length + message.nodeId.length + message.peerAddress.length +
            message.clientAddress.length + message.incarnationId.length);
    case "handshakeAccept":
      return 6 +
        3 * (message.nodeId.length + message.clientAddress.length + message.incarnationId.length);
    case "handshakeReject":
      return 3 + 3 * message.message.length;
    case "heartbeat":
    case "heartbeatAck":
      return 16;
    case "forwardRequest": {
      let sizeBytes = 22 + 4 * message.args.length + 3 * message.user.length;
      for (const arg of message.args) sizeBytes += arg.length;
      return sizeBytes;
    }
    case "forwardReply":
      return 16 + message.reply.length;
    case "raft":
      return 12 + message.payload.length;
    case "groupLeft":
      return 16;
    case "raftBatch": {
      let sizeBytes = 4;
      for (const item of message.items) sizeBytes += 12 + item.payload.length;
      return sizeBytes;
    }
    case "queueReady": {
      let sizeBytes = 4;
      for (const item of message.queues) sizeBytes += 8 + item.queue.length;
      return sizeBytes;
    }
    default:
      return 4 + message.payload.length;
  }
}

/** Writes the body of `message` (everything after the messageType byte). */
export function encodeBody(writer: BinaryWriter, message: PeerMessage): void {
  switch (message.type) {
    case "handshake":
      writer.u8(message.protocolVersion).u16String(message.clusterId).u16String(message.nodeId)
        .u16String(message.peerAddress).u16String(message.clientAddress).u16String(
          message.incarnationId,
        );
      return;
    case "handshakeAccept":
      writer.u16String(message.nodeId).u16String(message.clientAddress).u16String(
        message.incarnationId,
      );
      return;
    case "handshakeReject":
      writer.u8(HANDSHAKE_REJECT_REASON_CODES[message.reason]).u16String(message.message);
      return;
    case "heartbeat":
      writer.u53(message.sequence).u53(message.sentAtMs);
      return;
    case "heartbeatAck":
      writer.u53(message.sequence).u53(message.echoedSentAtMs);
      return;
    case "forwardRequest":
      if (message.args.length > FORWARD_ARG_COUNT_MAX) {
        throw new RangeError(
          `Cannot encode ForwardRequest: ${message.args.length} args exceed maximum of ` +
            `${FORWARD_ARG_COUNT_MAX} items`,
        );
      }
      writer.u32(message.requestEpoch).u53(message.requestId).u32(message.timeoutMs)
        .u32(message.groupId).u53(message.parkedWaitId)
        .list(message.args, (w, arg) => w.u32Bytes(arg));
      writer.u16String(message.user);
      return;
    case "forwardReply":
      writer.u32(message.requestEpoch).u53(message.requestId).u32Bytes(message.reply);
      return;
    case "raft":
      writer.u53(message.groupId).u32Bytes(message.payload);
      return;
    case "raftBatch":
      writer.list(message.items, (w, item) => w.u53(item.groupId).u32Bytes(item.payload));
      return;
    case "groupLeft":
      writer.u53(message.groupId).u53(message.configIndex);
      return;
    case "queueReady":
      if (message.queues.length > QUEUE_READY_ITEMS_MAX) {
        throw new RangeError(
          `Cannot encode QueueReady: ${message.queues.length} queues exceed maximum of ` +
            `${QUEUE_READY_ITEMS_MAX} items`,
        );
      }
      writer.list(message.queues, (w, item) => w.u32Bytes(item.queue).u32(item.count));
      return;
    default:
      writer.u32Bytes(message.payload);
      return;
  }
}

/** Reads the body of a message of `type`; the caller checks that the reader is then at its end. */
export function decodeBody(type: PeerMessageType, reader: BinaryReader): PeerMessage {
  switch (type) {
    case "handshake":
      return {
        type,
        protocolVersion: reader.u8(),
        clusterId: reader.u16String(),
        nodeId: reader.u16String(),
        peerAddress: reader.u16String(),
        clientAddress: reader.u16String(),
        incarnationId: reader.u16String(),
      };
    case "handshakeAccept":
      return {
        type,
        nodeId: reader.u16String(),
        clientAddress: reader.u16String(),
        incarnationId: reader.u16String(),
      };
    case "handshakeReject": {
      const code = reader.u8();
      const reason = REASON_BY_CODE.get(code);
      if (reason === undefined) throw reader.error(`unknown reject reason code ${code}`);
      return { type, reason, message: reader.u16String() };
    }
    case "heartbeat":
      return { type, sequence: reader.u53(), sentAtMs: reader.u53() };
    case "heartbeatAck":
      return { type, sequence: reader.u53(), echoedSentAtMs: reader.u53() };
    case "forwardRequest":
      return {
        type,
        requestEpoch: reader.u32(),
        requestId: reader.u53(),
        timeoutMs: reader.u32(),
        groupId: reader.u32(),
        parkedWaitId: reader.u53(),
        args: reader.list((r) => r.u32Bytes(), FORWARD_ARG_COUNT_MAX, BYTES_ITEM_BYTES_MIN),
        user: reader.u16String(),
      };
    case "forwardReply":
      return {
        type,
        requestEpoch: reader.u32(),
        requestId: reader.u53(),
        reply: reader.u32Bytes(),
      };
    case "raft":
      return { type, groupId: reader.u53(), payload: reader.u32Bytes() };
    case "groupLeft":
      return { type, groupId: reader.u53(), configIndex: reader.u53() };
    case "raftBatch":
      return {
        type,
        items: reader.list(
          (r) => ({ groupId: r.u53(), payload: r.u32Bytes() }),
          RAFT_BATCH_ITEMS_MAX,
          RAFT_BATCH_ITEM_BYTES_MIN,
        ),
      };
    case "queueReady":
      return {
        type,
        queues: reader.list(
          (r) => ({ queue: r.u32Bytes(QUEUE_READY_NAME_BYTES_MAX), count: r.u32() }),
          QUEUE_READY_ITEMS_MAX,
          QUEUE_READY_ITEM_BYTES_MIN,
        ),
      };
    default:
      return { type, payload: reader.u32Bytes() };
  }
}
