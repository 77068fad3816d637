import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeFrame,
  DEFAULT_FRAME_BYTES_MAX,
  encodeFrame,
  FORWARD_ARG_COUNT_MAX,
  FrameDecoder,
  MESSAGE_TYPE_CODES,
  PEER_PROTOCOL_VERSION,
  type PeerMessage,
  type PeerMessageType,
} from "../../../protocol/peer/mod.ts";
import { bytesToHex, hexToBytes, peerMessageArbitrary } from "./arbitraries.ts";

const text = new TextEncoder();

/** One example per message type with its exact frame bytes (the wire contract; see the doc). */
const GOLDEN_FRAMES: readonly { message: PeerMessage; hex: string }[] = [
  {
    message: {
      type: "handshake",
      protocolVersion: 1,
      clusterId: "prod",
      nodeId: "node-2",
      peerAddress: "127.0.0.1:7002",
      clientAddress: "127.0.0.1:6002",
      incarnationId: "9f3c2a71",
    },
    hex: "0000003b 01 01  01  0004 70726f64  0006 6e6f64652d32  " +
      "000e 3132372e302e302e313a37303032  000e 3132372e302e302e313a36303032  " +
      "0008 3966336332613731",
  },
  {
    message: {
      type: "handshakeAccept",
      nodeId: "node-1",
      clientAddress: "127.0.0.1:6001",
      incarnationId: "5e80b4d2",
    },
    hex: "00000024 01 02  0006 6e6f64652d31  000e 3132372e302e302e313a36303031  " +
      "0008 3565383062346432",
  },
  {
    message: { type: "handshakeReject", reason: "wrongCluster", message: "no" },
    hex: "00000007 01 03  01  0002 6e6f",
  },
  {
    message: { type: "heartbeat", sequence: 7, sentAtMs: 5_000_000_000 },
    hex: "00000012 01 04  00000000 00000007  00000001 2a05f200",
  },
  {
    message: { type: "heartbeatAck", sequence: 7, echoedSentAtMs: 5_000_000_000 },
    hex: "00000012 01 05  00000000 00000007  00000001 2a05f200",
  },
  {
    message: {
      type: "forwardRequest",
      requestEpoch: 0x1234abcd,
      requestId: 9,
      timeoutMs: 1500,
      groupId: 7,
      parkedWaitId: 42,
      args: [text.encode("SET"), text.encode("k"), text.encode("v")],
      user: "bob",
    },
    hex: "00000038 01 20  1234abcd  00000000 00000009  000005dc  00000007  00000000 0000002a " +
      "00000003  00000003 534554  00000001 6b  00000001 76  0003 626f62",
  },
  {
    message: {
      type: "forwardReply",
      requestEpoch: 0x1234abcd,
      requestId: 9,
      reply: text.encode("+OK\r\n"),
    },
    hex: "00000017 01 21  1234abcd  00000000 00000009  00000005 2b4f4b0d0a",
  },
  {
    message: { type: "raft", groupId: 3, payload: new Uint8Array([0xde, 0xad]) },
    hex: "00000010 01 10  00000000 00000003  00000002 dead",
  },
  {
    message: {
      type: "raftBatch",
      items: [
        { groupId: 3, payload: new Uint8Array([0xde, 0xad]) },
        { groupId: 4, payload: new Uint8Array(0) },
      ],
    },
    hex: "00000020 01 11  00000002  00000000 00000003 00000002 dead  00000000 00000004 00000000",
  },
  {
    message: { type: "groupLeft", groupId: 1003, configIndex: 42 },
    hex: "00000012 01 12  00000000 000003eb  00000000 0000002a",
  },
  {
    message: {
      type: "queueReady",
      queues: [{ queue: new TextEncoder().encode("jobs"), count: 2 }],
    },
    hex: "00000012 01 60  00000001  00000004 6a6f6273 00000002",
  },
  // Cache frames carry the cache message's own encoding (src/cache/message_codec.ts).
  {
    message: {
      type: "cacheReadRequest",
      payload: hexToBytes("0180000000050000000000000009000000016b"),
    },
    hex: "00000019 01 80 00000013 0180000000050000000000000009000000016b",
  },
  {
    message: {
      type: "cacheExclusiveRequest",
      payload: hexToBytes("0181000000050000000000000009000000016b0100000001760000"),
    },
    hex: "00000021 01 81 0000001b 0181000000050000000000000009000000016b0100000001760000",
  },
  {
    message: {
      type: "cacheGrant",
      payload: hexToBytes(
        "01820000000500000000000000020000000000000009000000016b0200000000000000030100000001760000000000000007d001",
      ),
    },
    hex:
      "0000003a 01 82 00000034 01820000000500000000000000020000000000000009000000016b0200000000000000030100000001760000000000000007d001",
  },
  {
    message: {
      type: "cacheRefuse",
      payload: hexToBytes("01830000000500000000000000020000000000000009000000016b00"),
    },
    hex: "00000022 01 83 0000001c 01830000000500000000000000020000000000000009000000016b00",
  },
  {
    message: {
      type: "cacheForward",
      payload: hexToBytes("0184000000050000000000000002000000016b0000000000000003"),
    },
    hex: "00000021 01 84 0000001b 0184000000050000000000000002000000016b0000000000000003",
  },
  {
    message: {
      type: "cacheInvalidate",
      payload: hexToBytes("0185000000050000000000000002000000016b0000000000000003"),
    },
    hex: "00000021 01 85 0000001b 0185000000050000000000000002000000016b0000000000000003",
  },
  {
    message: {
      type: "cacheInvalidateAck",
      payload: hexToBytes("0186000000050000000000000002000000016b00000000000000030000"),
    },
    hex: "00000023 01 86 0000001d 0186000000050000000000000002000000016b00000000000000030000",
  },
  {
    message: {
      type: "cacheWriteBack",
      payload: hexToBytes(
        "0187000000050000000000000002000000016b000000000000000300000000000000010100000001760000",
      ),
    },
    hex:
      "00000031 01 87 0000002b 0187000000050000000000000002000000016b000000000000000300000000000000010100000001760000",
  },
  {
    message: {
      type: "cacheWriteBackAck",
      payload: hexToBytes(
        "0188000000050000000000000002000000016b0000000000000003000000000000000101",
      ),
    },
    hex:
      "0000002a 01 88 00000024 0188000000050000000000000002000000016b0000000000000003000000000000000101",
  },
  {
    message: {
      type: "cacheEvict",
      payload: hexToBytes("0189000000050000000000000002000000016b0000000000000003"),
    },
    hex: "00000021 01 89 0000001b 0189000000050000000000000002000000016b0000000000000003",
  },
  {
    message: {
      type: "cacheFence",
      payload: hexToBytes("018a0000000500000000000000020000000201610162"),
    },
    hex: "0000001c 01 8a 00000016 018a0000000500000000000000020000000201610162",
  },
  {
    message: { type: "cacheFenceAck", payload: hexToBytes("018b000000050000000000000002") },
    hex: "00000014 01 8b 0000000e 018b000000050000000000000002",
  },
  {
    message: {
      type: "cacheRenewRequest",
      payload: hexToBytes(
        "018c0000000500000000000000020000000000000009000000020000000161000000000000000300000001620000000000000004",
      ),
    },
    hex:
      "0000003a 01 8c 00000034 018c0000000500000000000000020000000000000009000000020000000161000000000000000300000001620000000000000004",
  },
  {
    message: {
      type: "cacheRenewGrant",
      payload: hexToBytes(
        "018d000000050000000000000002000000000000000900000000000007d00000000100000001",
      ),
    },
    hex:
      "0000002c 01 8d 00000026 018d000000050000000000000002000000000000000900000000000007d00000000100000001",
  },
  {
    message: {
      type: "cacheBundle",
      payload: hexToBytes(
        "01000000020000000e018b0000000500000000000000020000001b018900000005000000000000000200000001610000000000000003",
      ),
    },
    hex:
      "0000003c 01 8e 00000036 01000000020000000e018b0000000500000000000000020000001b018900000005000000000000000200000001610000000000000003",
  },
];

Deno.test("encodeFrame produces the documented bytes for every message type", () => {
  const covered = new Set<PeerMessageType>();
  for (const { message, hex } of GOLDEN_FRAMES) {
    assert.equal(bytesToHex(encodeFrame(message)), bytesToHex(hexToBytes(hex)), message.type);
    assert.deepEqual(decodeFrame(hexToBytes(hex)), message);
    covered.add(message.type);
  }
  assert.deepEqual([...covered].sort(), Object.keys(MESSAGE_TYPE_CODES).sort());
});

Deno.test("the hex examples in docs/peer-protocol.md match the encoder", async () => {
  const doc = await Deno.readTextFile(new URL("../../../docs/peer-protocol.md", import.meta.url));
  const heartbeatLine = /As one line: `([0-9a-f ]+)`/.exec(doc)?.[1];
  const heartbeat = encodeFrame({ type: "heartbeat", sequence: 7, sentAtMs: 5_000_000_000 });
  assert.equal(heartbeatLine, bytesToHex(heartbeat));
  const tableHexes = [...doc.matchAll(/^\|[^|]+\| `([0-9a-f ]+)` +\|$/gm)].map((match) =>
    bytesToHex(hexToBytes(match[1] ?? ""))
  );
  const goldenHexes = GOLDEN_FRAMES.map(({ message }) => bytesToHex(encodeFrame(message)));
  assert.equal(tableHexes.length, GOLDEN_FRAMES.length - 1); // Heartbeat is shown above instead.
  for (const hex of tableHexes) assert.ok(goldenHexes.includes(hex), `doc example ${hex}`);
});

Deno.test("every message type round-trips through encodeFrame and decodeFrame", () => {
  fc.assert(
    fc.property(peerMessageArbitrary, (message) => {
      const frame = encodeFrame(message);
      assert.equal(new DataView(frame.buffer, frame.byteOffset).getUint32(0), frame.length - 4);
      assert.equal(frame[4], PEER_PROTOCOL_VERSION);
      assert.equal(frame[5], MESSAGE_TYPE_CODES[message.type]);
      assert.deepEqual(decodeFrame(frame), message);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("round-trips boundary values: empty lists, empty strings, largest u53 and u32", () => {
  const messages: PeerMessage[] = [
    {
      type: "forwardRequest",
      requestEpoch: 0,
      requestId: 0,
      timeoutMs: 0,
      groupId: 0,
      parkedWaitId: 0,
      args: [],
      user: "",
    },
    {
      type: "forwardRequest",
      requestEpoch: 0xffff_ffff,
      requestId: Number.MAX_SAFE_INTEGER,
      timeoutMs: 0xffff_ffff,
      groupId: 0xffff_ffff,
      parkedWaitId: Number.MAX_SAFE_INTEGER,
      args: [],
      user: "",
    },
    {
      type: "forwardRequest",
      requestEpoch: 1,
      requestId: 1,
      timeoutMs: 1,
      groupId: 1,
      parkedWaitId: 1,
      args: [new Uint8Array(0)],
      user: "",
    },
    {
      type: "forwardReply",
      requestEpoch: 0xffff_ffff,
      requestId: Number.MAX_SAFE_INTEGER,
      reply: new Uint8Array(0),
    },
    {
      type: "handshake",
      protocolVersion: 255,
      clusterId: "",
      nodeId: "",
      peerAddress: "",
      clientAddress: "",
      incarnationId: "",
    },
    { type: "handshakeAccept", nodeId: "ノード-𝟙 🚀 \u0000", clientAddress: "", incarnationId: "" },
    {
      type: "handshakeAccept",
      nodeId: "",
      clientAddress: "[::1]:7001 ノード",
      incarnationId: "f".repeat(64),
    },
    { type: "heartbeat", sequence: Number.MAX_SAFE_INTEGER, sentAtMs: 2 ** 32 },
    { type: "raft", groupId: 2 ** 32 - 1, payload: new Uint8Array(0) },
    { type: "handshakeReject", reason: "malformed", message: "x".repeat(0xffff) },
  ];
  for (const message of messages) assert.deepEqual(decodeFrame(encodeFrame(message)), message);
});

Deno.test("decoded bytes fields are copies, not views into the frame", () => {
  const frame = encodeFrame({ type: "raft", groupId: 1, payload: new Uint8Array([1, 2, 3]) });
  const decoded = decodeFrame(frame);
  frame.fill(0);
  assert.deepEqual(decoded, { type: "raft", groupId: 1, payload: new Uint8Array([1, 2, 3]) });
});

Deno.test("encodeFrame rejects values the wire cannot carry with RangeError", () => {
  const cases: [PeerMessage, string][] = [
    [
      { type: "heartbeat", sequence: -1, sentAtMs: 0 },
      "Cannot encode u53: -1 is not an integer in 0..9007199254740991",
    ],
    [
      { type: "heartbeat", sequence: 2 ** 53, sentAtMs: 0 },
      "Cannot encode u53: 9007199254740992 is not an integer in 0..9007199254740991",
    ],
    [
      { type: "raft", groupId: 1.5, payload: new Uint8Array(0) },
      "Cannot encode u53: 1.5 is not an integer in 0..9007199254740991",
    ],
    [
      {
        type: "forwardRequest",
        requestEpoch: 1,
        requestId: 1,
        timeoutMs: 2 ** 32,
        groupId: 0,
        parkedWaitId: 0,
        args: [],
        user: "",
      },
      "Cannot encode u32: 4294967296 is not an integer in 0..4294967295",
    ],
    [
      { type: "forwardReply", requestEpoch: 2 ** 32, requestId: 1, reply: new Uint8Array(0) },
      "Cannot encode u32: 4294967296 is not an integer in 0..4294967295",
    ],
    [
      {
        type: "handshake",
        protocolVersion: 256,
        clusterId: "",
        nodeId: "",
        peerAddress: "",
        clientAddress: "",
        incarnationId: "",
      },
      "Cannot encode u8: 256 is not an integer in 0..255",
    ],
    [
      {
        type: "handshakeAccept",
        nodeId: "é".repeat(40_000),
        clientAddress: "",
        incarnationId: "",
      },
      "Cannot encode u16String: length 80000 exceeds maximum of 65535 bytes",
    ],
    [
      {
        type: "handshakeAccept",
        nodeId: "n",
        clientAddress: "é".repeat(40_000),
        incarnationId: "",
      },
      "Cannot encode u16String: length 80000 exceeds maximum of 65535 bytes",
    ],
    [
      {
        type: "handshakeAccept",
        nodeId: "n",
        clientAddress: "h:1",
        incarnationId: "é".repeat(40_000),
      },
      "Cannot encode u16String: length 80000 exceeds maximum of 65535 bytes",
    ],
    [
      {
        type: "handshake",
        protocolVersion: 1,
        clusterId: "c",
        nodeId: "n",
        peerAddress: "h:1",
        clientAddress: "é".repeat(40_000),
        incarnationId: "ab",
      },
      "Cannot encode u16String: length 80000 exceeds maximum of 65535 bytes",
    ],
    [
      {
        type: "handshake",
        protocolVersion: 1,
        clusterId: "c",
        nodeId: "n",
        peerAddress: "h:1",
        clientAddress: "h:2",
        incarnationId: "é".repeat(40_000),
      },
      "Cannot encode u16String: length 80000 exceeds maximum of 65535 bytes",
    ],
  ];
  for (const [message, expected] of cases) {
    assert.throws(() => encodeFrame(message), { name: "RangeError", message: expected });
  }
});

Deno.test("encodeFrame rejects a ForwardRequest with more args than FORWARD_ARG_COUNT_MAX", () => {
  const args = new Array<Uint8Array>(FORWARD_ARG_COUNT_MAX + 1).fill(new Uint8Array(0));
  const message: PeerMessage = {
    type: "forwardRequest",
    requestEpoch: 1,
    requestId: 1,
    timeoutMs: 1,
    groupId: 0,
    parkedWaitId: 0,
    args,
    user: "",
  };
  assert.throws(() => encodeFrame(message), {
    name: "RangeError",
    message: "Cannot encode ForwardRequest: 1048577 args exceed maximum of 1048576 items",
  });
});

Deno.test("encodeFrame rejects a frame longer than frameBytesMax", () => {
  const message: PeerMessage = { type: "raft", groupId: 1, payload: new Uint8Array(100) };
  assert.equal(encodeFrame(message, { frameBytesMax: 114 }).length, 118);
  assert.throws(() => encodeFrame(message, { frameBytesMax: 113 }), {
    name: "RangeError",
    message: "Cannot encode Raft: frame length 114 exceeds maximum of 113 bytes",
  });
  const big: PeerMessage = {
    type: "raft",
    groupId: 1,
    payload: new Uint8Array(DEFAULT_FRAME_BYTES_MAX),
  };
  assert.throws(() => encodeFrame(big), {
    name: "RangeError",
    message: "Cannot encode Raft: frame length 16777230 exceeds maximum of 16777216 bytes",
  });
});

Deno.test("invalid frameBytesMax options are rejected", () => {
  const message: PeerMessage = {
    type: "handshakeAccept",
    nodeId: "n",
    clientAddress: "h:1",
    incarnationId: "ab",
  };
  for (const frameBytesMax of [1, 0, -5, 2.5, Number.NaN, 2 ** 32]) {
    assert.throws(() => encodeFrame(message, { frameBytesMax }), {
      name: "RangeError",
      message: `Invalid frameBytesMax ${frameBytesMax}: expected an integer in 2..4294967295`,
    });
    assert.throws(() => new FrameDecoder({ frameBytesMax }), { name: "RangeError" });
  }
});
