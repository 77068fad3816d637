import assert from "node:assert/strict";
import { PeerConnection } from "../../src/peer/peer_connection.ts";

/** A socket whose reads never end (until closed) and whose writes are recorded. */
class FakeConn {
  readonly writes: number[] = [];
  readonly remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port: 1 };
  #closeRead: (() => void) | null = null;
  read(): Promise<number | null> {
    return new Promise((resolve) => this.#closeRead = () => resolve(null));
  }
  write(bytes: Uint8Array): Promise<number> {
    this.writes.push(bytes.length);
    return Promise.resolve(bytes.length);
  }
  close(): void {
    this.#closeRead?.();
  }
}

Deno.test("peer connection: frames sent in one turn leave in one write", async () => {
  const conn = new FakeConn();
  const peer = new PeerConnection(conn as unknown as Deno.Conn, {
    frameBytesMax: 1 << 20,
    sendQueueBytesMax: 1 << 20,
  });
  for (let i = 0; i < 3; i++) assert.ok(peer.send({ type: "heartbeat", sequence: i, sentAtMs: 0 }));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(conn.writes.length, 1, `writes: ${conn.writes}`);
  assert.ok(peer.send({ type: "heartbeat", sequence: 3, sentAtMs: 0 }));
  peer.end("done");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(conn.writes.length, 2, "a frame sent before end() is written before closing");
  assert.equal(peer.isOpen, false);
  assert.equal(await peer.closed, "done");
});
