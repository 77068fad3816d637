import assert from "node:assert/strict";
import {
  DecodeError,
  decodeFrame,
  encodeFrame,
  FrameDecoder,
  HANDSHAKE_REJECT_REASON_CODES,
  type HandshakeRejectReason,
  type PeerMessage,
} from "../../../protocol/peer/mod.ts";
import { hexToBytes } from "./arbitraries.ts";

/** Builds a frame from a version, a type code and a body given in hex. */
function frameOf(version: number, code: number, bodyHex: string): Uint8Array {
  const body = hexToBytes(bodyHex);
  const frame = new Uint8Array(6 + body.length);
  new DataView(frame.buffer).setUint32(0, 2 + body.length);
  frame.set([version, code], 4);
  frame.set(body, 6);
  return frame;
}

/** Asserts that both decodeFrame and a FrameDecoder reject `frame` with exactly `message`. */
function assertRejected(frame: Uint8Array, message: string): void {
  const decoder = new FrameDecoder();
  decoder.push(frame);
  for (const decode of [() => decodeFrame(frame), () => decoder.next()]) {
    assert.throws(decode, (error) => {
      assert.ok(error instanceof DecodeError, `expected a DecodeError, got ${error}`);
      assert.equal(error.message, message);
      return true;
    });
  }
}

/** Decodes one frame with both decoders, asserting they agree. */
function decodeBoth(frame: Uint8Array): PeerMessage {
  const decoder = new FrameDecoder();
  decoder.push(frame);
  const streamed = decoder.next();
  assert.deepEqual(streamed, decodeFrame(frame));
  assert.ok(streamed !== undefined);
  return streamed;
}

Deno.test("rejects a length prefix above frameBytesMax", () => {
  assertRejected(
    hexToBytes("04 2c 1d 80 01 04"),
    "Cannot decode frame: length 70000000 exceeds maximum of 16777216 bytes",
  );
  assert.throws(() => decodeFrame(hexToBytes("00 01 11 70"), { frameBytesMax: 65536 }), {
    name: "FrameError",
    message: "Cannot decode frame: length 70000 exceeds maximum of 65536 bytes",
  });
});

Deno.test("rejects a length prefix below 2", () => {
  assertRejected(
    hexToBytes("00 00 00 01 01"),
    "Cannot decode frame: length 1 is below minimum of 2 bytes",
  );
  assertRejected(
    hexToBytes("00 00 00 00"),
    "Cannot decode frame: length 0 is below minimum of 2 bytes",
  );
});

Deno.test("rejects an unsupported protocol version before decoding the body", () => {
  const frame = frameOf(9, 4, "ff");
  assertRejected(frame, "Cannot decode frame: unsupported protocol version 9 (expected 1)");
  assertRejected(
    frameOf(0, 200, ""),
    "Cannot decode frame: unsupported protocol version 0 (expected 1)",
  );
});

Deno.test("handshake-family frames are decoded whatever their version byte", () => {
  const frame = frameOf(
    7,
    1,
    "07 0004 70726f64 0006 6e6f64652d39 0006 683a37303031 0006 683a36303031 0002 6162",
  );
  assert.deepEqual(decodeBoth(frame), {
    type: "handshake",
    protocolVersion: 7,
    clusterId: "prod",
    nodeId: "node-9",
    peerAddress: "h:7001",
    clientAddress: "h:6001",
    incarnationId: "ab",
  });
  assert.deepEqual(decodeBoth(frameOf(2, 2, "0001 61 0001 62 0001 63")), {
    type: "handshakeAccept",
    nodeId: "a",
    clientAddress: "b",
    incarnationId: "c",
  });
  assert.deepEqual(decodeBoth(frameOf(3, 3, "02 0000")), {
    type: "handshakeReject",
    reason: "incompatibleVersion",
    message: "",
  });
});

Deno.test("rejects an unknown message type", () => {
  assertRejected(frameOf(1, 200, ""), "Cannot decode frame: unknown message type 200");
  assertRejected(frameOf(1, 0, "00"), "Cannot decode frame: unknown message type 0");
  assertRejected(frameOf(1, 48, ""), "Cannot decode frame: unknown message type 48");
});

Deno.test("rejects truncated fields with the field and the remaining byte count", () => {
  const cases: [Uint8Array, string][] = [
    [
      frameOf(1, 1, "01 012c 000000000000000000000000"),
      "Cannot decode Handshake: u16String length 300 at offset 1 exceeds the remaining 12 bytes",
    ],
    [
      frameOf(1, 1, ""),
      "Cannot decode Handshake: u8 at offset 0 needs 1 byte but only 0 bytes remain",
    ],
    [
      frameOf(1, 2, "00"),
      "Cannot decode HandshakeAccept: u16 at offset 0 needs 2 bytes but only 1 byte remains",
    ],
    // A Handshake or HandshakeAccept without the trailing clientAddress field.
    [
      frameOf(1, 1, "01 0004 70726f64 0006 6e6f64652d32 0006 683a37303031"),
      "Cannot decode Handshake: u16 at offset 23 needs 2 bytes but only 0 bytes remain",
    ],
    [
      frameOf(1, 2, "0006 6e6f64652d31"),
      "Cannot decode HandshakeAccept: u16 at offset 8 needs 2 bytes but only 0 bytes remain",
    ],
    // A Handshake or HandshakeAccept without the trailing incarnationId field.
    [
      frameOf(1, 1, "01 0004 70726f64 0006 6e6f64652d32 0006 683a37303031 0006 683a36303031"),
      "Cannot decode Handshake: u16 at offset 31 needs 2 bytes but only 0 bytes remain",
    ],
    [
      frameOf(1, 2, "0006 6e6f64652d31 0006 683a36303031"),
      "Cannot decode HandshakeAccept: u16 at offset 16 needs 2 bytes but only 0 bytes remain",
    ],
    [
      frameOf(1, 1, "01 0001 61 0001 62 0003 683a31 0003 683a32 0020 616263"),
      "Cannot decode Handshake: u16String length 32 at offset 17 exceeds the remaining 3 bytes",
    ],
    [
      frameOf(1, 2, "0001 61 0005 683a31"),
      "Cannot decode HandshakeAccept: u16String length 5 at offset 3 exceeds the remaining 3 bytes",
    ],
    [
      frameOf(1, 4, "00000000 00000001 000000"),
      "Cannot decode Heartbeat: u53 at offset 8 needs 8 bytes but only 3 bytes remain",
    ],
    [
      frameOf(1, 32, "0000abcd 00000000 00000001 0000"),
      "Cannot decode ForwardRequest: u32 at offset 12 needs 4 bytes but only 2 bytes remain",
    ],
    [
      frameOf(1, 33, "0000ab"),
      "Cannot decode ForwardReply: u32 at offset 0 needs 4 bytes but only 3 bytes remain",
    ],
    [
      frameOf(1, 16, "00000000 00000001 00000005 aabb"),
      "Cannot decode Raft: u32Bytes length 5 at offset 8 exceeds the remaining 2 bytes",
    ],
    [
      frameOf(1, 33, "0000abcd 00000000 00000001 ffffffff"),
      "Cannot decode ForwardReply: u32Bytes length 4294967295 at offset 12 exceeds the remaining 0 bytes",
    ],
    [
      frameOf(
        1,
        32,
        "0000abcd 00000000 00000001 00000064 00000000 00000000 00000000 00000003 00000001 61 00000000",
      ),
      "Cannot decode ForwardRequest: count 3 at offset 28 needs at least 12 bytes but only 9 bytes remain",
    ],
    [
      frameOf(
        1,
        32,
        "0000abcd 00000000 00000001 00000064 00000000 00000000 00000000 00000002 00000001 61 00000002 62",
      ),
      "Cannot decode ForwardRequest: u32Bytes length 2 at offset 37 exceeds the remaining 1 byte",
    ],
  ];
  for (const [frame, message] of cases) assertRejected(frame, message);
});

Deno.test("rejects a list count above its named maximum before reading items", () => {
  assertRejected(
    frameOf(1, 32, "0000abcd 00000000 00000001 00000064 00000000 00000000 00000000 00100001"),
    "Cannot decode ForwardRequest: count 1048577 at offset 28 exceeds maximum of 1048576 items",
  );
});

Deno.test("rejects trailing bytes after a message body", () => {
  const heartbeat = encodeFrame({ type: "heartbeat", sequence: 1, sentAtMs: 2 });
  const padded = frameOf(1, 4, "00000000 00000001 00000000 00000002 aabbcc");
  assert.equal(padded.length, heartbeat.length + 3);
  assertRejected(padded, "Cannot decode Heartbeat: 3 trailing bytes at offset 16");
  assertRejected(
    frameOf(1, 2, "0000 0000 0000 00"),
    "Cannot decode HandshakeAccept: 1 trailing byte at offset 6",
  );
});

Deno.test("decodeFrame rejects bytes that are not exactly one frame", () => {
  const frame = encodeFrame({ type: "heartbeat", sequence: 1, sentAtMs: 2 });
  const withExtra = new Uint8Array(frame.length + 1);
  withExtra.set(frame);
  assert.throws(() => decodeFrame(withExtra), {
    name: "FrameError",
    message:
      "Cannot decode frame: length 18 does not match the 19 bytes that follow the length prefix",
  });
  assert.throws(() => decodeFrame(frame.subarray(0, 10)), {
    name: "FrameError",
    message:
      "Cannot decode frame: length 18 does not match the 6 bytes that follow the length prefix",
  });
  assert.throws(() => decodeFrame(frame.subarray(0, 3)), {
    name: "DecodeError",
    message: "Cannot decode frame: u32 at offset 0 needs 4 bytes but only 3 bytes remain",
  });
});

Deno.test("rejects a u53 above Number.MAX_SAFE_INTEGER", () => {
  assertRejected(
    frameOf(1, 4, "00200000 00000000 00000000 00000000"),
    "Cannot decode Heartbeat: u53 at offset 0 exceeds 2^53 - 1 (high word 2097152 above 2097151)",
  );
  assertRejected(
    frameOf(1, 16, "ffffffff ffffffff 00000000"),
    "Cannot decode Raft: u53 at offset 0 exceeds 2^53 - 1 (high word 4294967295 above 2097151)",
  );
  const largest = decodeBoth(frameOf(1, 5, "001fffff ffffffff 00000000 00000000"));
  assert.deepEqual(largest, {
    type: "heartbeatAck",
    sequence: Number.MAX_SAFE_INTEGER,
    echoedSentAtMs: 0,
  });
});

Deno.test("rejects invalid UTF-8 in strings", () => {
  const cases: [string, string][] = [
    ["0001 ff", "string of 1 byte at offset 2 is not valid UTF-8"],
    ["0002 c0af", "string of 2 bytes at offset 2 is not valid UTF-8"], // Overlong "/".
    ["0003 eda080", "string of 3 bytes at offset 2 is not valid UTF-8"], // UTF-16 surrogate.
    ["0002 e282", "string of 2 bytes at offset 2 is not valid UTF-8"], // Truncated sequence.
  ];
  for (const [bodyHex, detail] of cases) {
    assertRejected(frameOf(1, 2, bodyHex), `Cannot decode HandshakeAccept: ${detail}`);
  }
  assertRejected(
    frameOf(1, 1, "01 0001 61 0001 80 0000"),
    "Cannot decode Handshake: string of 1 byte at offset 6 is not valid UTF-8",
  );
  assertRejected(
    frameOf(1, 1, "01 0001 61 0001 62 0001 63 0001 ff"),
    "Cannot decode Handshake: string of 1 byte at offset 12 is not valid UTF-8",
  );
  assertRejected(
    frameOf(1, 1, "01 0001 61 0001 62 0001 63 0001 64 0001 ff"),
    "Cannot decode Handshake: string of 1 byte at offset 15 is not valid UTF-8",
  );
  assertRejected(
    frameOf(1, 2, "0001 61 0001 62 0002 c0af"),
    "Cannot decode HandshakeAccept: string of 2 bytes at offset 8 is not valid UTF-8",
  );
  assertRejected(
    frameOf(1, 2, "0001 61 0001 ff"),
    "Cannot decode HandshakeAccept: string of 1 byte at offset 5 is not valid UTF-8",
  );
});

Deno.test("a byte order mark is kept as data, not stripped", () => {
  assert.deepEqual(decodeBoth(frameOf(1, 2, "0004 efbbbf61 0000 0000")), {
    type: "handshakeAccept",
    nodeId: "\ufeffa",
    clientAddress: "",
    incarnationId: "",
  });
});

Deno.test("decodes every assigned handshake reject reason code", () => {
  const reasons: [string, HandshakeRejectReason][] = [
    ["01", "wrongCluster"],
    ["02", "incompatibleVersion"],
    ["03", "unknownNode"],
    ["04", "malformed"],
    ["05", "staleIncarnation"],
  ];
  for (const [codeHex, reason] of reasons) {
    assert.deepEqual(decodeBoth(frameOf(1, 3, `${codeHex} 0002 6e6f`)), {
      type: "handshakeReject",
      reason,
      message: "no",
    });
  }
  assert.deepEqual(
    Object.entries(HANDSHAKE_REJECT_REASON_CODES).sort(([, a], [, b]) => a - b),
    reasons.map(([codeHex, reason]) => [reason, parseInt(codeHex, 16)]),
  );
});

Deno.test("rejects an unknown handshake reject reason code", () => {
  assertRejected(
    frameOf(1, 3, "06 0000"),
    "Cannot decode HandshakeReject: unknown reject reason code 6",
  );
  assertRejected(
    frameOf(1, 3, "09 0000"),
    "Cannot decode HandshakeReject: unknown reject reason code 9",
  );
  assertRejected(
    frameOf(1, 3, "00 0000"),
    "Cannot decode HandshakeReject: unknown reject reason code 0",
  );
});
