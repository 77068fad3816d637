import assert from "node:assert/strict";
import {
  answerHandshake,
  checkHandshake,
  createHandshake,
  decodeFrame,
  encodeFrame,
  type HandshakeAnswerLocal,
  type HandshakeMessage,
  INCARNATION_ID_CHARS_MAX,
  PEER_PROTOCOL_VERSION,
  readHandshakeAnswer,
  REASON_LABELS,
} from "../../../protocol/peer/mod.ts";

const LOCAL: HandshakeAnswerLocal = {
  clusterId: "prod",
  nodeId: "node-1",
  clientAddress: "127.0.0.1:6001",
  incarnationId: "5e80b4d2",
  knownNodeIds: new Set(["node-1", "node-2", "node-3"]),
};

/** The incarnation id that node-2 presents in `handshakeFrom`. */
const NODE_2_INCARNATION = "9f3c2a71";

function handshakeFrom(overrides: Partial<HandshakeMessage>): HandshakeMessage {
  return {
    ...createHandshake({
      clusterId: "prod",
      nodeId: "node-2",
      peerAddress: "127.0.0.1:7002",
      clientAddress: "127.0.0.1:6002",
      incarnationId: NODE_2_INCARNATION,
    }),
    ...overrides,
  };
}

Deno.test("checkHandshake accepts a known peer of the same cluster and version", () => {
  const sent = createHandshake({
    clusterId: "prod",
    nodeId: "node-2",
    peerAddress: "10.0.0.2:7002",
    clientAddress: "10.0.0.2:6002",
    incarnationId: "0123456789abcdef0123456789abcdef",
  });
  assert.equal(sent.protocolVersion, PEER_PROTOCOL_VERSION);
  assert.equal(sent.peerAddress, "10.0.0.2:7002");
  assert.equal(sent.clientAddress, "10.0.0.2:6002");
  assert.equal(sent.incarnationId, "0123456789abcdef0123456789abcdef");
  const received = decodeFrame(encodeFrame(sent));
  assert.ok(received.type === "handshake");
  assert.deepEqual(checkHandshake(LOCAL, received), { ok: true });
  assert.deepEqual(
    checkHandshake({ clusterId: "prod", nodeId: "node-1" }, handshakeFrom({ nodeId: "node-77" })),
    {
      ok: true,
    },
  );
  assert.deepEqual(checkHandshake(LOCAL, handshakeFrom({ peerAddress: "[::1]:7002" })), {
    ok: true,
  });
  assert.deepEqual(
    checkHandshake(LOCAL, handshakeFrom({ clientAddress: "redis.example.com:65535" })),
    { ok: true },
  );
  for (const incarnationId of ["0", "f".repeat(INCARNATION_ID_CHARS_MAX), "0123456789abcdef"]) {
    assert.deepEqual(checkHandshake(LOCAL, handshakeFrom({ incarnationId })), { ok: true });
  }
});

Deno.test("checkHandshake rejects a peer of another cluster", () => {
  assert.deepEqual(checkHandshake(LOCAL, handshakeFrom({ nodeId: "node-3", clusterId: "other" })), {
    ok: false,
    reason: "wrongCluster",
    message: "peer node-3 belongs to cluster 'other', this node to cluster 'prod'",
  });
});

Deno.test("checkHandshake rejects a peer speaking another protocol version, checked first", () => {
  assert.deepEqual(
    checkHandshake(LOCAL, handshakeFrom({ protocolVersion: 7, clusterId: "other" })),
    {
      ok: false,
      reason: "incompatibleVersion",
      message: "peer node-2 speaks protocol version 7, this node speaks 1",
    },
  );
});

Deno.test("checkHandshake rejects unknown and duplicate node ids", () => {
  assert.deepEqual(checkHandshake(LOCAL, handshakeFrom({ nodeId: "node-9" })), {
    ok: false,
    reason: "unknownNode",
    message: "peer node-9 is not a known member of cluster 'prod' (known: node-1, node-2, node-3)",
  });
  assert.deepEqual(checkHandshake(LOCAL, handshakeFrom({ nodeId: "node-1" })), {
    ok: false,
    reason: "unknownNode",
    message: "peer claims node id node-1, which is this node's own id",
  });
  const many = new Set(Array.from({ length: 12 }, (_, index) => `n${index}`));
  const check = checkHandshake({ ...LOCAL, knownNodeIds: many }, handshakeFrom({}));
  assert.ok(!check.ok);
  assert.equal(
    check.message,
    "peer node-2 is not a known member of cluster 'prod' " +
      "(known: n0, n1, n2, n3, n4, n5, n6, n7 and 4 more)",
  );
});

Deno.test("checkHandshake rejects malformed ids and addresses, quoting them safely", () => {
  const cases: [Partial<HandshakeMessage>, string][] = [
    [{ nodeId: "" }, 'peer "" sent a malformed handshake: node id is empty'],
    [
      { nodeId: "node\n2" },
      'peer "node\\n2" sent a malformed handshake: node id "node\\n2" contains whitespace or ' +
      "control characters",
    ],
    [
      { nodeId: "x".repeat(129) },
      `peer "${"x".repeat(129)}" sent a malformed handshake: node id length 129 exceeds ` +
      "maximum of 128 characters",
    ],
    [{ clusterId: "" }, "peer node-2 sent a malformed handshake: cluster id is empty"],
    [
      { peerAddress: "127.0.0.1" },
      "peer node-2 sent a malformed handshake: peer address 127.0.0.1 is not host:port",
    ],
    [
      { peerAddress: "h:70000" },
      "peer node-2 sent a malformed handshake: peer address h:70000 is not host:port",
    ],
    [
      { peerAddress: ":7000" },
      "peer node-2 sent a malformed handshake: peer address :7000 is not host:port",
    ],
    [
      { peerAddress: "" },
      'peer node-2 sent a malformed handshake: peer address "" is not host:port',
    ],
    [
      { clientAddress: "127.0.0.1" },
      "peer node-2 sent a malformed handshake: client address 127.0.0.1 is not host:port",
    ],
    [
      { clientAddress: "h:0" },
      "peer node-2 sent a malformed handshake: client address h:0 is not host:port",
    ],
    [
      { clientAddress: "bad host:6002" },
      "peer node-2 sent a malformed handshake: client address bad host:6002 is not host:port",
    ],
    [
      { clientAddress: "" },
      'peer node-2 sent a malformed handshake: client address "" is not host:port',
    ],
    [
      { peerAddress: "p", clientAddress: "c" },
      "peer node-2 sent a malformed handshake: peer address p is not host:port",
    ],
    [{ incarnationId: "" }, "peer node-2 sent a malformed handshake: incarnation id is empty"],
    [
      { incarnationId: "a".repeat(65) },
      "peer node-2 sent a malformed handshake: incarnation id length 65 exceeds maximum of 64 " +
      "characters",
    ],
    [
      { incarnationId: "9F3C2A71" },
      "peer node-2 sent a malformed handshake: incarnation id 9F3C2A71 is not lowercase hex",
    ],
    [
      { incarnationId: "9f3c-2a71" },
      "peer node-2 sent a malformed handshake: incarnation id 9f3c-2a71 is not lowercase hex",
    ],
    [
      { incarnationId: "9f3c\n2a71" },
      'peer node-2 sent a malformed handshake: incarnation id "9f3c\\n2a71" is not lowercase hex',
    ],
    [
      { incarnationId: "0x1f" },
      "peer node-2 sent a malformed handshake: incarnation id 0x1f is not lowercase hex",
    ],
    [
      { clientAddress: "c", incarnationId: "" },
      "peer node-2 sent a malformed handshake: client address c is not host:port",
    ],
  ];
  for (const [overrides, message] of cases) {
    assert.deepEqual(checkHandshake(LOCAL, handshakeFrom(overrides)), {
      ok: false,
      reason: "malformed",
      message,
    });
  }
});

Deno.test("answerHandshake accepts with the local ids and address or rejects with the reason", () => {
  assert.deepEqual(answerHandshake(LOCAL, handshakeFrom({})), {
    type: "handshakeAccept",
    nodeId: "node-1",
    clientAddress: "127.0.0.1:6001",
    incarnationId: "5e80b4d2",
  });
  assert.deepEqual(answerHandshake(LOCAL, handshakeFrom({ clientAddress: "nope" })), {
    type: "handshakeReject",
    reason: "malformed",
    message: "peer node-2 sent a malformed handshake: client address nope is not host:port",
  });
  assert.deepEqual(answerHandshake(LOCAL, handshakeFrom({ clusterId: "other" })), {
    type: "handshakeReject",
    reason: "wrongCluster",
    message: "peer node-2 belongs to cluster 'other', this node to cluster 'prod'",
  });
});

Deno.test("answerHandshake asks checkIncarnation last and rejects a stale incarnation", () => {
  const calls: [string, string][] = [];
  const refuseAll: HandshakeAnswerLocal = {
    ...LOCAL,
    checkIncarnation: (nodeId, incarnationId) => {
      calls.push([nodeId, incarnationId]);
      return `peer ${nodeId} presents incarnation ${incarnationId}, recorded 11aa22bb`;
    },
  };
  assert.deepEqual(answerHandshake(refuseAll, handshakeFrom({})), {
    type: "handshakeReject",
    reason: "staleIncarnation",
    message: "peer node-2 presents incarnation 9f3c2a71, recorded 11aa22bb",
  });
  assert.deepEqual(calls, [["node-2", NODE_2_INCARNATION]]);
  // Every other check comes first: a peer failing one is never asked about its incarnation.
  const failingOthers: Partial<HandshakeMessage>[] = [
    { protocolVersion: 2 },
    { incarnationId: "XYZ" },
    { clientAddress: "nope" },
    { clusterId: "other" },
    { nodeId: "node-1" },
    { nodeId: "node-9" },
  ];
  for (const overrides of failingOthers) {
    const answer = answerHandshake(refuseAll, handshakeFrom(overrides));
    assert.ok(answer.type === "handshakeReject");
    assert.notEqual(answer.reason, "staleIncarnation");
  }
  assert.equal(calls.length, 1);

  const acceptAll: HandshakeAnswerLocal = { ...LOCAL, checkIncarnation: () => null };
  assert.deepEqual(answerHandshake(acceptAll, handshakeFrom({ incarnationId: "abc123" })), {
    type: "handshakeAccept",
    nodeId: "node-1",
    clientAddress: "127.0.0.1:6001",
    incarnationId: "5e80b4d2",
  });

  // A realistic check: remembers the first incarnation seen per node, refuses any other.
  const recorded = new Map([["node-2", NODE_2_INCARNATION]]);
  const recordedOnly: HandshakeAnswerLocal = {
    ...LOCAL,
    checkIncarnation: (nodeId, incarnationId) => {
      const known = recorded.get(nodeId);
      return known === undefined || known === incarnationId
        ? null
        : `peer ${nodeId} presents data directory incarnation ${incarnationId}, ` +
          `but incarnation ${known} is recorded; its disk was replaced`;
    },
  };
  assert.equal(answerHandshake(recordedOnly, handshakeFrom({})).type, "handshakeAccept");
  assert.equal(
    answerHandshake(recordedOnly, handshakeFrom({ nodeId: "node-3", incarnationId: "77" })).type,
    "handshakeAccept",
  );
  assert.deepEqual(answerHandshake(recordedOnly, handshakeFrom({ incarnationId: "c0ffee" })), {
    type: "handshakeReject",
    reason: "staleIncarnation",
    message: "peer node-2 presents data directory incarnation c0ffee, but incarnation " +
      "9f3c2a71 is recorded; its disk was replaced",
  });
});

Deno.test("readHandshakeAnswer turns the answer into an outcome with a log line", () => {
  const accept = {
    type: "handshakeAccept",
    nodeId: "node-2",
    clientAddress: "h:6002",
    incarnationId: "0a1b",
  } as const;
  assert.deepEqual(readHandshakeAnswer(accept), {
    ok: true,
    nodeId: "node-2",
    clientAddress: "h:6002",
    incarnationId: "0a1b",
  });
  assert.deepEqual(readHandshakeAnswer(accept, "node-2"), {
    ok: true,
    nodeId: "node-2",
    clientAddress: "h:6002",
    incarnationId: "0a1b",
  });
  assert.deepEqual(readHandshakeAnswer({ ...accept, nodeId: "node-3" }, "node-2"), {
    ok: false,
    reason: "unknownNode",
    message: "handshake failed: expected node node-2, but node-3 answered",
  });
  const reject = answerHandshake(LOCAL, handshakeFrom({ protocolVersion: 2 }));
  assert.deepEqual(readHandshakeAnswer(reject), {
    ok: false,
    reason: "incompatibleVersion",
    message: "handshake rejected by peer (incompatible version): " +
      "peer node-2 speaks protocol version 2, this node speaks 1",
  });
  assert.deepEqual(
    readHandshakeAnswer({ type: "handshakeReject", reason: "malformed", message: 'a\n"b"' }),
    {
      ok: false,
      reason: "malformed",
      message: 'handshake rejected by peer (malformed handshake): "a\\n\\"b\\""',
    },
  );
  assert.equal(REASON_LABELS.staleIncarnation, "data directory replaced");
  assert.deepEqual(
    readHandshakeAnswer({
      type: "handshakeReject",
      reason: "staleIncarnation",
      message: "peer node-2 presents data directory incarnation c0ffee, but 9f3c2a71 is recorded",
    }),
    {
      ok: false,
      reason: "staleIncarnation",
      message: "handshake rejected by peer (data directory replaced): peer node-2 presents " +
        "data directory incarnation c0ffee, but 9f3c2a71 is recorded",
    },
  );
  assert.deepEqual(readHandshakeAnswer({ type: "heartbeat", sequence: 1, sentAtMs: 1 }), {
    ok: false,
    reason: "protocolViolation",
    message: "handshake failed: expected HandshakeAccept or HandshakeReject, got Heartbeat",
  });
});

Deno.test("a full handshake over the wire tells each side the other's address and incarnation", () => {
  const hello = decodeFrame(encodeFrame(handshakeFrom({})));
  assert.ok(hello.type === "handshake");
  assert.equal(hello.clientAddress, "127.0.0.1:6002");
  assert.equal(hello.incarnationId, NODE_2_INCARNATION);
  const answer = decodeFrame(encodeFrame(answerHandshake(LOCAL, hello)));
  assert.deepEqual(readHandshakeAnswer(answer, "node-1"), {
    ok: true,
    nodeId: "node-1",
    clientAddress: "127.0.0.1:6001",
    incarnationId: "5e80b4d2",
  });
});

Deno.test("a stale incarnation is refused over the wire with reason code 5", () => {
  const hello = decodeFrame(encodeFrame(handshakeFrom({ incarnationId: "c0ffee" })));
  assert.ok(hello.type === "handshake");
  const local: HandshakeAnswerLocal = {
    ...LOCAL,
    checkIncarnation: (nodeId, incarnationId) =>
      incarnationId === NODE_2_INCARNATION ? null : `peer ${nodeId}: data directory replaced`,
  };
  const frame = encodeFrame(answerHandshake(local, hello));
  assert.equal(frame[5], 3); // HandshakeReject.
  assert.equal(frame[6], 5); // Reason code 5: staleIncarnation.
  assert.deepEqual(readHandshakeAnswer(decodeFrame(frame), "node-1"), {
    ok: false,
    reason: "staleIncarnation",
    message: "handshake rejected by peer (data directory replaced): " +
      "peer node-2: data directory replaced",
  });
});
