import assert from "node:assert/strict";
import { encodeFrame, FrameDecoder, type PeerMessage } from "../../protocol/peer/mod.ts";
import { Logger } from "../../src/log/logger.ts";
import { PeerTransport } from "../../src/peer/peer_transport.ts";
import { freePort } from "../../src/util/free_ports.ts";
import { eventually } from "../helpers/node_harness.ts";

function startTransport(lines: string[]) {
  const port = freePort();
  const transport = new PeerTransport({
    nodeId: "n1",
    clusterId: "prod",
    listen: { host: "127.0.0.1", port },
    clientAddress: "127.0.0.1:7001",
    peers: new Map([["n2", { host: "127.0.0.1", port: freePort() }]]),
    heartbeatIntervalMs: 100,
    failureTimeoutMs: 1_000,
    handshakeTimeoutMs: 1_000,
    incarnationId: () => "aaaa1111",
    checkIncarnation: (peerId, incarnationId) =>
      peerId === "n2" && incarnationId !== "bbbb2222"
        ? `n2 replaced its disk (${incarnationId})`
        : null,
    logger: new Logger({ level: "debug", format: "text", sink: (line) => lines.push(line) }),
    nowMs: () => performance.now(),
  });
  transport.start();
  return { transport, port };
}

/** Sends `bytes`, returns the messages answered before the transport closed the connection. */
async function exchange(port: number, bytes: Uint8Array): Promise<PeerMessage[]> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(bytes);
  const decoder = new FrameDecoder();
  const buffer = new Uint8Array(4096);
  const messages: PeerMessage[] = [];
  for (;;) {
    const count = await conn.read(buffer).catch(() => null);
    if (count === null) break;
    decoder.push(buffer.subarray(0, count));
    for (let message = decoder.next(); message !== undefined; message = decoder.next()) {
      messages.push(message);
    }
  }
  conn.close();
  return messages;
}

function handshake(overrides: Partial<Extract<PeerMessage, { type: "handshake" }>>): Uint8Array {
  return encodeFrame({
    type: "handshake",
    protocolVersion: 1,
    clusterId: "prod",
    nodeId: "n2",
    peerAddress: "127.0.0.1:1",
    clientAddress: "127.0.0.1:2",
    incarnationId: "bbbb2222",
    ...overrides,
  });
}

Deno.test("handshake from another cluster is refused with a reason and a log line", async () => {
  const lines: string[] = [];
  const { transport, port } = startTransport(lines);
  try {
    const answers = await exchange(port, handshake({ clusterId: "staging" }));
    assert.equal(answers.length, 1);
    const reject = answers[0]!;
    assert.equal(reject.type, "handshakeReject");
    assert.equal(reject.type === "handshakeReject" && reject.reason, "wrongCluster");
    assert.ok(lines.some((line) => /refused peer handshake.*reason=wrongCluster/.test(line)));
  } finally {
    transport.close();
  }
});

Deno.test("handshake with an incompatible protocol version is refused and logged", async () => {
  const lines: string[] = [];
  const { transport, port } = startTransport(lines);
  try {
    const answers = await exchange(port, handshake({ protocolVersion: 7 }));
    assert.equal(
      answers[0]?.type === "handshakeReject" && answers[0].reason,
      "incompatibleVersion",
    );
    assert.ok(
      lines.some((line) => /refused peer handshake.*reason=incompatibleVersion/.test(line)),
    );
  } finally {
    transport.close();
  }
});

Deno.test("handshake from an unknown node id is refused and logged", async () => {
  const lines: string[] = [];
  const { transport, port } = startTransport(lines);
  try {
    const answers = await exchange(port, handshake({ nodeId: "n9" }));
    assert.equal(answers[0]?.type === "handshakeReject" && answers[0].reason, "unknownNode");
  } finally {
    transport.close();
  }
});

Deno.test("a known node presenting another disk incarnation is refused and logged", async () => {
  const lines: string[] = [];
  const { transport, port } = startTransport(lines);
  try {
    const answers = await exchange(port, handshake({ incarnationId: "cccc3333" }));
    const reject = answers[0];
    assert.equal(reject?.type === "handshakeReject" && reject.reason, "staleIncarnation");
    assert.equal(
      reject?.type === "handshakeReject" && reject.message,
      "n2 replaced its disk (cccc3333)",
    );
    assert.ok(lines.some((line) => /refused peer handshake.*reason=staleIncarnation/.test(line)));
    assert.equal(transport.peers().find((peer) => peer.id === "n2")?.health.state, "down");
  } finally {
    transport.close();
  }
});

Deno.test("garbage instead of a handshake closes the connection with a log line", async () => {
  const lines: string[] = [];
  const { transport, port } = startTransport(lines);
  try {
    const garbage = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const answers = await exchange(port, garbage);
    assert.deepEqual(answers, []);
    await eventually(
      "a log line for the refused connection",
      () => lines.some((line) => /refused peer connection.*reason=malformed/.test(line)),
      2_000,
    );
  } finally {
    transport.close();
  }
});

Deno.test("a valid handshake is accepted and the peer shows up", async () => {
  const lines: string[] = [];
  const { transport, port } = startTransport(lines);
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(handshake({}));
    const decoder = new FrameDecoder();
    const buffer = new Uint8Array(4096);
    let accept: PeerMessage | undefined;
    while (accept === undefined) {
      const count = await conn.read(buffer);
      assert.notEqual(count, null);
      decoder.push(buffer.subarray(0, count!));
      accept = decoder.next();
    }
    assert.deepEqual(accept, {
      type: "handshakeAccept",
      nodeId: "n1",
      clientAddress: "127.0.0.1:7001",
      incarnationId: "aaaa1111",
    });
    const view = transport.peers().find((peer) => peer.id === "n2");
    assert.equal(view?.health.state, "up");
    assert.equal(view?.clientAddress, "127.0.0.1:2");
    conn.close();
  } finally {
    transport.close();
  }
});
