import assert from "node:assert/strict";
import { encodeFrame } from "../../protocol/peer/mod.ts";
import { Logger } from "../../src/log/logger.ts";
import { PeerTransport } from "../../src/peer/peer_transport.ts";
import { freePort } from "../../src/util/free_ports.ts";
import { eventually } from "../helpers/node_harness.ts";

Deno.test("a silent peer whose connection stays open is reported down (onPeerDown) once", async () => {
  let nowMs = 0;
  const port = freePort();
  const transport = new PeerTransport({
    nodeId: "n1",
    clusterId: "prod",
    listen: { host: "127.0.0.1", port },
    clientAddress: "127.0.0.1:7001",
    peers: new Map([["n2", { host: "127.0.0.1", port: freePort() }]]),
    heartbeatIntervalMs: 20,
    failureTimeoutMs: 1_000,
    handshakeTimeoutMs: 1_000,
    incarnationId: () => "aaaa1111",
    checkIncarnation: () => null,
    logger: new Logger({ level: "error", format: "text", sink: () => {} }),
    nowMs: () => nowMs,
  });
  const downs: string[] = [];
  const disconnects: string[] = [];
  transport.onPeerDown = (peerId) => downs.push(peerId);
  transport.onPeerDisconnected = (peerId) => disconnects.push(peerId);
  transport.start();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(encodeFrame({
      type: "handshake",
      protocolVersion: 1,
      clusterId: "prod",
      nodeId: "n2",
      peerAddress: "127.0.0.1:1",
      clientAddress: "127.0.0.1:2",
      incarnationId: "bbbb2222",
    }));
    await eventually(
      "n2 is up",
      () => transport.peers().find((peer) => peer.id === "n2")?.health.state === "up",
      2_000,
    );
    assert.deepEqual(downs, []);
    // n2 says nothing while this node's loop keeps running: the clock advances in small steps
    // (a single jump past the timeout would look like this node's own stall, not n2's silence).
    const clock = setInterval(() => nowMs += 5, 5);
    try {
      await eventually("n2 is reported down", () => downs.length > 0, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 100)); // several more heartbeat rounds
    } finally {
      clearInterval(clock);
    }
    assert.deepEqual(downs, ["n2"], "reported once per transition");
    assert.deepEqual(disconnects, [], "the connection is still open");
  } finally {
    conn.close();
    transport.close();
  }
});
