import fc from "fast-check";
import {
  CACHE_PEER_TYPES,
  HANDSHAKE_REJECT_REASON_CODES,
  type HandshakeRejectReason,
  type PeerMessage,
} from "../../../protocol/peer/mod.ts";

/** Any safe non-negative integer, biased towards the u32/u53 boundaries. */
export const u53Arbitrary: fc.Arbitrary<number> = fc.oneof(
  fc.nat(),
  fc.maxSafeNat(),
  fc.constantFrom(0, 0xffff_ffff, 0x1_0000_0000, Number.MAX_SAFE_INTEGER),
);

/** Any u32. */
export const u32Arbitrary: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0xffff_ffff });

/** Any Unicode string (whole code points, so it survives UTF-8), up to 40 code points. */
export const textArbitrary: fc.Arbitrary<string> = fc.string({ unit: "binary", maxLength: 40 });

/** Any small byte string. */
export const bytesArbitrary: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 64 });

const reasons = Object.keys(HANDSHAKE_REJECT_REASON_CODES) as HandshakeRejectReason[];

/** Any PeerMessage of any type, with arbitrary field values. */
export const peerMessageArbitrary: fc.Arbitrary<PeerMessage> = fc.oneof(
  // Records are spread into plain objects: fast-check builds them with a null prototype.
  fc.record({
    type: fc.constant("handshake" as const),
    protocolVersion: fc.integer({ min: 0, max: 255 }),
    clusterId: textArbitrary,
    nodeId: textArbitrary,
    peerAddress: textArbitrary,
    clientAddress: textArbitrary,
    incarnationId: textArbitrary,
  }),
  fc.record({
    type: fc.constant("handshakeAccept" as const),
    nodeId: textArbitrary,
    clientAddress: textArbitrary,
    incarnationId: textArbitrary,
  }),
  fc.record({
    type: fc.constant("handshakeReject" as const),
    reason: fc.constantFrom(...reasons),
    message: textArbitrary,
  }),
  fc.record({
    type: fc.constant("heartbeat" as const),
    sequence: u53Arbitrary,
    sentAtMs: u53Arbitrary,
  }),
  fc.record({
    type: fc.constant("heartbeatAck" as const),
    sequence: u53Arbitrary,
    echoedSentAtMs: u53Arbitrary,
  }),
  fc.record({
    type: fc.constant("forwardRequest" as const),
    requestEpoch: u32Arbitrary,
    requestId: u53Arbitrary,
    timeoutMs: u32Arbitrary,
    groupId: u32Arbitrary,
    parkedWaitId: u53Arbitrary,
    args: fc.array(bytesArbitrary, { maxLength: 6 }),
    user: fc.string({ maxLength: 8 }),
  }),
  fc.record({
    type: fc.constant("forwardReply" as const),
    requestEpoch: u32Arbitrary,
    requestId: u53Arbitrary,
    reply: bytesArbitrary,
  }),
  fc.record({ type: fc.constant("raft" as const), groupId: u53Arbitrary, payload: bytesArbitrary }),
  fc.record({
    type: fc.constant("groupLeft" as const),
    groupId: u53Arbitrary,
    configIndex: u53Arbitrary,
  }),
  fc.record({
    type: fc.constant("raftBatch" as const),
    items: fc.array(
      fc.record({ groupId: u53Arbitrary, payload: bytesArbitrary }, { noNullPrototype: true }),
      {
        maxLength: 5,
      },
    ),
  }),
  fc.record({
    type: fc.constant("queueReady" as const),
    queues: fc.array(
      fc.record({ queue: bytesArbitrary, count: u32Arbitrary }, { noNullPrototype: true }),
      { maxLength: 5 },
    ),
  }),
  fc.record({ type: fc.constantFrom(...CACHE_PEER_TYPES), payload: bytesArbitrary }),
).map((message) => ({ ...message }));

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let lengthBytes = 0;
  for (const part of parts) lengthBytes += part.length;
  const joined = new Uint8Array(lengthBytes);
  let offsetBytes = 0;
  for (const part of parts) {
    joined.set(part, offsetBytes);
    offsetBytes += part.length;
  }
  return joined;
}

/** Parses "00 01 ff" style hex (whitespace ignored) into bytes. */
export function hexToBytes(hex: string): Uint8Array {
  const digits = hex.replace(/\s+/g, "");
  const bytes = new Uint8Array(digits.length / 2);
  for (let byteIndex = 0; byteIndex < bytes.length; byteIndex++) {
    bytes[byteIndex] = parseInt(digits.slice(byteIndex * 2, byteIndex * 2 + 2), 16);
  }
  return bytes;
}

/** Formats bytes as lowercase hex pairs separated by single spaces. */
export function bytesToHex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join(" ");
}
