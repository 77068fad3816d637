import assert from "node:assert/strict";
import { SeededRandom } from "../../src/raft/mod.ts";
import { FaultProxy, sampleDelayMs } from "./fault_proxy.ts";

/** Generous bound on any wait; tests wait for conditions, this only turns a hang into a failure. */
const DEADLINE_MS = 10_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An echo server on 127.0.0.1 that counts the bytes it received. */
class EchoServer {
  readonly #listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #conns = new Set<Deno.Conn>();
  readonly #tasks: Promise<void>[] = [];
  receivedBytes = 0;

  constructor() {
    this.#tasks.push(this.#accept());
  }

  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        this.#conns.add(conn);
        this.#tasks.push(this.#echo(conn));
      }
    } catch {
      // closed
    }
  }

  async #echo(conn: Deno.Conn): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const count = await conn.read(buffer);
        if (count === null) break;
        this.receivedBytes += count;
        let offset = 0;
        while (offset < count) offset += await conn.write(buffer.subarray(offset, count));
      }
    } catch {
      // reset by the proxy
    }
    this.#conns.delete(conn);
    try {
      conn.close();
    } catch {
      // already closed
    }
  }

  async close(): Promise<void> {
    this.#listener.close();
    for (const conn of this.#conns) conn.close();
    await Promise.all(this.#tasks);
  }
}

async function withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), DEADLINE_MS);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `condition` every few ms until it holds (or the deadline fails the test). */
function waitFor(condition: () => boolean, what: string): Promise<void> {
  return withDeadline(
    (async () => {
      while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
    })(),
    what,
  );
}

async function readExactly(conn: Deno.Conn, byteCount: number): Promise<Uint8Array> {
  const result = new Uint8Array(byteCount);
  let offset = 0;
  while (offset < byteCount) {
    const count = await withDeadline(conn.read(result.subarray(offset)), `${byteCount} bytes`);
    if (count === null) throw new Error(`EOF after ${offset} of ${byteCount} bytes`);
    offset += count;
  }
  return result;
}

/** What the next read shows: data, an orderly end, or a reset. */
async function nextRead(conn: Deno.Conn): Promise<"data" | "eof" | "reset"> {
  try {
    const count = await withDeadline(conn.read(new Uint8Array(1024)), "a read");
    return count === null ? "eof" : "data";
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("timed out")) throw error;
    return "reset";
  }
}

async function roundTrip(conn: Deno.Conn, text: string): Promise<string> {
  await conn.write(encoder.encode(text));
  return decoder.decode(await readExactly(conn, encoder.encode(text).length));
}

function setup(options: Partial<Parameters<typeof FaultProxy.listen>[0]> = {}) {
  const echo = new EchoServer();
  const proxy = FaultProxy.listen({ targetPort: echo.port, ...options });
  const connect = () => Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  const cleanup = async (...conns: Deno.Conn[]) => {
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // closed by the test
      }
    }
    await proxy.close();
    await echo.close();
  };
  return { echo, proxy, connect, cleanup };
}

Deno.test("fault proxy: forwards both ways and passes on a half-close", async () => {
  const { proxy, connect, cleanup } = setup();
  const conn = await connect();
  assert.equal(await roundTrip(conn, "hello"), "hello");
  await conn.closeWrite();
  assert.equal(await nextRead(conn), "eof");
  await waitFor(() => proxy.stats().openCount === 0, "the connection to end");
  const stats = proxy.stats();
  assert.deepEqual(stats.deliveredBytes, { forward: 5, backward: 5 });
  assert.equal(stats.acceptedCount, 1);
  await cleanup(conn);
});

Deno.test("fault proxy: cut closes connections and refuses new ones until heal", async () => {
  const { proxy, connect, cleanup } = setup();
  const before = await connect();
  assert.equal(await roundTrip(before, "a"), "a");
  proxy.cut();
  assert.notEqual(await nextRead(before), "data");
  const during = await connect(); // the port stays open; the connection is closed at once
  assert.notEqual(await nextRead(during), "data");
  assert.equal(proxy.stats().refusedCount, 1);
  proxy.heal();
  const after = await connect();
  assert.equal(await roundTrip(after, "back"), "back");
  await cleanup(before, during, after);
});

Deno.test("fault proxy: forward loss discards what the client sends", async () => {
  const { echo, proxy, connect, cleanup } = setup();
  const conn = await connect();
  assert.equal(await roundTrip(conn, "x"), "x");
  proxy.dropDirection("forward");
  await conn.write(new Uint8Array(100));
  await waitFor(() => proxy.stats().droppedBytes.forward === 100, "100 dropped bytes");
  assert.equal(echo.receivedBytes, 1);
  proxy.heal(); // the stream has a hole: the connection is closed
  assert.notEqual(await nextRead(conn), "data");
  const fresh = await connect();
  assert.equal(await roundTrip(fresh, "ok"), "ok");
  await cleanup(conn, fresh);
});

Deno.test("fault proxy: backward loss delivers requests but loses replies", async () => {
  const { echo, proxy, connect, cleanup } = setup();
  const conn = await connect();
  proxy.dropDirection("backward");
  await conn.write(new Uint8Array(100));
  await waitFor(() => proxy.stats().droppedBytes.backward === 100, "100 dropped reply bytes");
  assert.equal(echo.receivedBytes, 100);
  proxy.heal();
  assert.notEqual(await nextRead(conn), "data"); // nothing of the lost reply ever arrives
  await cleanup(conn);
});

Deno.test("fault proxy: delay holds every chunk back and keeps their order", async () => {
  const { proxy, connect, cleanup } = setup({ seed: 7 });
  const conn = await connect();
  proxy.delay(30, 10);
  const startMs = performance.now();
  assert.equal(await roundTrip(conn, "ping"), "ping");
  assert.ok(performance.now() - startMs >= 40, "two delayed hops take at least 2 x 20 ms");
  const messages = Array.from({ length: 40 }, (_, i) => `<${i}>`);
  for (const message of messages) await conn.write(encoder.encode(message));
  const expected = messages.join("");
  const echoed = decoder.decode(await readExactly(conn, expected.length));
  assert.equal(echoed, expected);
  proxy.heal();
  assert.equal(await roundTrip(conn, "fast"), "fast");
  await cleanup(conn);
});

Deno.test("fault proxy: jitter is seeded and never negative", () => {
  const draw = (seed: number) => {
    const random = new SeededRandom(seed);
    return Array.from({ length: 50 }, () => sampleDelayMs(random, 5, 20));
  };
  assert.deepEqual(draw(3), draw(3));
  assert.notDeepEqual(draw(3), draw(4));
  assert.ok(draw(3).every((ms) => ms >= 0 && ms <= 25));
  assert.ok(draw(3).some((ms) => ms === 0));
});

Deno.test("fault proxy: the delay queue is bounded; a big transfer still completes", async () => {
  const queueBytesMax = 8 * 1024;
  const { proxy, connect, cleanup } = setup({ queueBytesMax, readChunkBytes: 1024 });
  const conn = await connect();
  proxy.delay(1, 1);
  const payload = new Uint8Array(256 * 1024).map((_, i) => i % 251);
  const reading = readExactly(conn, payload.length);
  let offset = 0;
  while (offset < payload.length) offset += await conn.write(payload.subarray(offset));
  assert.deepEqual(await reading, payload);
  const stats = proxy.stats();
  assert.ok(stats.queuedBytesPeak <= queueBytesMax, `peak ${stats.queuedBytesPeak}`);
  assert.ok(stats.queuedBytesPeak > 0);
  await cleanup(conn);
});

Deno.test("fault proxy: connections over the bound are refused and counted", async () => {
  const { proxy, connect, cleanup } = setup({ connectionCountMax: 2 });
  const first = await connect();
  const second = await connect();
  assert.equal(await roundTrip(first, "1"), "1");
  assert.equal(await roundTrip(second, "2"), "2");
  const third = await connect();
  assert.notEqual(await nextRead(third), "data");
  assert.equal(proxy.stats().refusedCount, 1);
  assert.equal(proxy.stats().openCount, 2);
  await cleanup(first, second, third);
});

Deno.test("fault proxy: a refused target and bad options are explicit outcomes", async () => {
  const echo = new EchoServer();
  const port = echo.port;
  await echo.close();
  const proxy = FaultProxy.listen({ targetPort: port });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  assert.notEqual(await nextRead(conn), "data");
  await waitFor(() => proxy.stats().targetFailedCount === 1, "the failed dial to be counted");
  conn.close();
  await proxy.close();
  assert.throws(
    () => FaultProxy.listen({ targetPort: port, queueBytesMax: 10, readChunkBytes: 100 }),
    /Cannot start proxy: queueBytesMax 10 is below readChunkBytes 100/,
  );
  assert.throws(() => proxy.delay(-1), /Cannot delay: -1 ms/);
});

Deno.test("fault proxy: close() frees the port and ends every connection", async () => {
  const { proxy, connect, cleanup } = setup();
  const conn = await connect();
  assert.equal(await roundTrip(conn, "z"), "z");
  const port = proxy.port;
  await proxy.close();
  assert.notEqual(await nextRead(conn), "data");
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port }));
  await cleanup(conn);
});
