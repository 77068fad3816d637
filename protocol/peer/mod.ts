/**
 * The peer (node-to-node) binary protocol: length-prefixed big-endian frames carrying
 * handshakes, heartbeats, request forwarding and Raft traffic. See docs/peer-protocol.md.
 *
 * @module
 */

export {
  checkFrameHeader,
  checkFrameLength,
  decodeFrame,
  decodeFrameContent,
  encodeFrame,
  type FrameOptions,
} from "./frame.ts";
export { FrameDecoder } from "./frame_decoder.ts";
export { FrameError } from "./frame_error.ts";
export { DecodeError } from "../binary/mod.ts";
export {
  answerHandshake,
  checkHandshake,
  createHandshake,
  describeAddressProblem,
  describeIdProblem,
  describeIncarnationProblem,
  HANDSHAKE_TIMEOUT_MS_DEFAULT,
  type HandshakeAnswerLocal,
  type HandshakeCheck,
  type HandshakeLocal,
  type HandshakeOutcome,
  ID_CHARS_MAX,
  INCARNATION_ID_CHARS_MAX,
  readHandshakeAnswer,
  REASON_LABELS,
} from "./handshake.ts";
export {
  DEFAULT_FRAME_BYTES_MAX,
  FORWARD_ARG_COUNT_MAX,
  FRAME_HEADER_BYTES,
  FRAME_LENGTH_BYTES,
  FRAME_LENGTH_MIN,
  PEER_PROTOCOL_VERSION,
  QUEUE_READY_ITEMS_MAX,
  QUEUE_READY_NAME_BYTES_MAX,
  RAFT_BATCH_ITEMS_MAX,
  STRING_BYTES_MAX,
  U32_MAX,
} from "./limits.ts";
export {
  CACHE_PEER_CODE_FIRST,
  CACHE_PEER_TYPES,
  type CachePeerType,
  HANDSHAKE_REJECT_REASON_CODES,
  type HandshakeMessage,
  type HandshakeRejectReason,
  MESSAGE_TYPE_CODES,
  MESSAGE_TYPE_NAMES,
  type PeerMessage,
  type PeerMessageOf,
  type PeerMessageType,
  type QueueReadyItem,
  type RaftBatchItem,
  VERSION_INDEPENDENT_TYPES,
} from "./message.ts";
