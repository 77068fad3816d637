import assert from "node:assert/strict";
import { PeerConnection } from "../../src/peer/peer_connection.ts";
import { encodeFrame } from "../../protocol/peer/mod.ts";

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

/** A socket whose first read returns `bytes` at once; later reads never end (until closed). */
class OneReadConn extends FakeConn {
  #bytes: Uint8Array | null;
  constructor(bytes: Uint8Array) {
    super();
    this.#bytes = bytes;
  }
  override read(buffer?: Uint8Array): Promise<number | null> {
    const bytes = this.#bytes;
    if (bytes === null || buffer === undefined) return super.read();
    this.#bytes = null;
    buffer.set(bytes);
    return Promise.resolve(bytes.length);
  }
}

Deno.test("peer connection: one read of many slow frames is dispatched over several turns", async () => {
  const frameCount = 200;
  const frames = Array.from(
    { length: frameCount },
    (_, i) => encodeFrame({ type: "heartbeat", sequence: i, sentAtMs: 0 }),
  );
  const bytes = new Uint8Array(frames.reduce((sum, frame) => sum + frame.length, 0));
  let offset = 0;
  for (const frame of frames) {
    bytes.set(frame, offset);
    offset += frame.length;
  }
  const conn = new OneReadConn(bytes);
  const peer = new PeerConnection(conn as unknown as Deno.Conn, {
    frameBytesMax: 1 << 20,
    sendQueueBytesMax: 1 << 20,
  });
  let dispatched = 0;
  let dispatchedWhenTimerRan = -1;
  const allDispatched = Promise.withResolvers<void>();
  peer.onMessage = () => {
    if (dispatched === 0) setTimeout(() => dispatchedWhenTimerRan = dispatched, 0);
    const untilMs = performance.now() + 0.5;
    while (performance.now() < untilMs) {
      // a frame whose handling takes 0.5 ms (200 of them: 100 ms in all)
    }
    if (++dispatched === frameCount) allDispatched.resolve();
  };
  await allDispatched.promise;
  peer.close("done");
  assert.ok(
    dispatchedWhenTimerRan > 0 && dispatchedWhenTimerRan < frameCount,
    `a timer due at the first frame ran after ${dispatchedWhenTimerRan} of ${frameCount} frames`,
  );
  assert.ok(peer.slicedReadCount >= 1, "the read was not sliced");
});
