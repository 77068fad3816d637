/**
 * Peer protocol frame codec throughput: each iteration encodes a batch of messages with
 * encodeFrame and decodes them with one FrameDecoder (one push and one next per frame).
 * Bytes per iteration are in each bench name, so MB/s = bytes / (time per iteration).
 */
import { encodeFrame, FrameDecoder, type PeerMessage } from "../protocol/peer/mod.ts";

const TEXT_ENCODER = new TextEncoder();

/** 1000 Heartbeats with millisecond timestamps large enough to use both u53 words. */
const HEARTBEATS: PeerMessage[] = Array.from({ length: 1000 }, (_, index) => ({
  type: "heartbeat",
  sequence: index,
  sentAtMs: 1_700_000_000_000 + index,
}));

/** 1000 Raft messages, each with a 1 KiB payload, spread over 16 groups. */
const RAFT_MESSAGES: PeerMessage[] = Array.from({ length: 1000 }, (_, index) => ({
  type: "raft",
  groupId: index % 16,
  payload: new Uint8Array(1024).fill(index % 251),
}));

/** 100 ForwardRequests of a 3-arg command (SET key value). */
const FORWARD_REQUESTS: PeerMessage[] = Array.from({ length: 100 }, (_, index) => ({
  type: "forwardRequest",
  requestEpoch: 0x1234abcd,
  requestId: index,
  timeoutMs: 5000,
  groupId: 0,
  parkedWaitId: 0,
  user: "",
  args: [
    TEXT_ENCODER.encode("SET"),
    TEXT_ENCODER.encode(`user:${index}:name`),
    TEXT_ENCODER.encode(`value-${index}`.padEnd(32, ".")),
  ],
}));

function frameBytesOf(messages: readonly PeerMessage[]): number {
  return messages.reduce((sum, message) => sum + encodeFrame(message).length, 0);
}

function encodeAndDecode(messages: readonly PeerMessage[]): void {
  const decoder = new FrameDecoder();
  let decodedCount = 0;
  for (const message of messages) {
    decoder.push(encodeFrame(message));
    if (decoder.next() !== undefined) decodedCount++;
  }
  if (decodedCount !== messages.length) {
    throw new Error(`decoded ${decodedCount} of ${messages.length} frames`);
  }
}

for (
  const [label, messages] of [
    ["1000 Heartbeat frames", HEARTBEATS],
    ["1000 Raft frames, 1 KiB payload", RAFT_MESSAGES],
    ["100 ForwardRequest frames, 3 args", FORWARD_REQUESTS],
  ] as const
) {
  Deno.bench({
    name: `encode+decode ${label} (${frameBytesOf(messages)} bytes)`,
    group: "frame codec",
    fn: () => encodeAndDecode(messages),
  });
}
