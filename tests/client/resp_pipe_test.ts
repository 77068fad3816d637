import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { encodeCommand, type RespValue } from "../../protocol/resp/mod.ts";
import { concatBytes } from "../../protocol/binary/mod.ts";
import { RespPipe, RespPipeError, type RespPipeOptions } from "../../src/client/resp_pipe.ts";

const encoder = new TextEncoder();

/** A socket the test drives: what the pipe writes is kept, replies are fed by hand. */
class FakeSocket extends EventEmitter {
  readonly written: Uint8Array[] = [];
  destroyed = false;

  write(bytes: Uint8Array): boolean {
    this.written.push(bytes);
    return true;
  }

  destroy(): void {
    this.destroyed = true;
  }

  feed(text: string): void {
    this.emit("data", encoder.encode(text));
  }
}

const OPTIONS: RespPipeOptions = {
  replyBytesMax: 1024,
  batchesInFlightMax: 100,
  peerName: "the server",
  selfName: "this node",
};

function pipeOver(options: Partial<RespPipeOptions> = {}): [RespPipe, FakeSocket] {
  const socket = new FakeSocket();
  return [new RespPipe(socket, { ...OPTIONS, ...options }), socket];
}

/** Settles after every microtask now queued (replies resolve promises in microtasks). */
function afterMicrotasks(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The promise's outcome once known, or "pending" when it has not settled by now. */
async function outcome<T>(promise: Promise<T>): Promise<T | Error | "pending"> {
  let result: T | Error | "pending" = "pending";
  promise.then((value) => (result = value), (error: Error) => (result = error));
  await afterMicrotasks();
  return result;
}

/** The promise's value or error, with its rejection handled from now on. */
function settle<T>(promise: Promise<T>): Promise<T | Error> {
  return promise.catch((error: Error) => error);
}

const text = (value: string): RespValue => ({ type: "bulk", value: encoder.encode(value) });

Deno.test("resp pipe: each batch is one write and replies go to batches in the order sent", async () => {
  const [pipe, socket] = pipeOver();
  const first = pipe.send([["SET", "k", "v"], ["GET", "k"]], 5_000);
  const second = pipe.send([["INCR", "n"]], 5_000);
  const third = pipe.send([["GET", "x"]], 5_000);
  assert.equal(pipe.inFlightCount, 3);
  assert.deepEqual(socket.written, [
    concatBytes([encodeCommand(["SET", "k", "v"]), encodeCommand(["GET", "k"])]),
    encodeCommand(["INCR", "n"]),
    encodeCommand(["GET", "x"]),
  ]);
  socket.feed("+OK\r\n$1\r\nv\r\n:7\r\n$-1\r\n");
  assert.deepEqual(await first, [{ type: "simple", value: "OK" }, text("v")]);
  assert.deepEqual(await second, [{ type: "integer", value: 7 }]);
  assert.deepEqual(await third, [{ type: "null" }]);
  assert.equal(pipe.inFlightCount, 0);
  assert.equal(pipe.closed, false);
});

Deno.test("resp pipe: a reply split across chunks at every byte answers once it is whole", async () => {
  const [pipe, socket] = pipeOver();
  const reply = "*2\r\n$5\r\nhello\r\n:-3\r\n";
  const batch = pipe.send([["MGET", "a"]], 5_000);
  for (const char of reply.slice(0, -1)) socket.feed(char);
  assert.equal(await outcome(batch), "pending", "answered before its last byte arrived");
  socket.feed(reply.slice(-1));
  assert.deepEqual(await batch, [{
    type: "array",
    value: [text("hello"), { type: "integer", value: -3 }],
  }]);
});

Deno.test("resp pipe: a connection lost mid-request fails every waiter as maybe sent", async () => {
  const [pipe, socket] = pipeOver();
  const reasons: string[] = [];
  pipe.onClose = (reason) => reasons.push(reason);
  const answered = pipe.send([["GET", "a"]], 5_000);
  const halfAnswered = settle(pipe.send([["GET", "b"]], 5_000));
  const unanswered = settle(pipe.send([["GET", "c"]], 5_000));
  socket.feed("$1\r\na\r\n$5\r\nbb");
  socket.emit("close");
  assert.deepEqual(await answered, [text("a")]);
  for (const lost of [halfAnswered, unanswered]) {
    const error = await lost;
    assert.ok(error instanceof RespPipeError);
    assert.equal(error.sent, true);
    assert.equal(error.message, "connection closed by the server; the outcome is unknown");
  }
  assert.equal(pipe.closed, true);
  assert.equal(socket.destroyed, true);
  socket.emit("error", new Error("late error"));
  assert.deepEqual(reasons, ["connection closed by the server"], "onClose runs once");
  // Nothing is queued while disconnected: refused at once, never written.
  const writes = socket.written.length;
  const refused = await settle(pipe.send([["GET", "d"]], 5_000));
  assert.ok(refused instanceof RespPipeError);
  assert.equal(refused.sent, false);
  assert.equal(refused.message, "not connected");
  assert.equal(socket.written.length, writes);
});

Deno.test("resp pipe: a socket error, a closing owner and an overdue reply fail what is in flight", async () => {
  const [errored, erroredSocket] = pipeOver();
  const onError = settle(errored.send([["GET", "a"]], 5_000));
  erroredSocket.emit("error", new Error("read ECONNRESET"));
  assert.match(String(await onError), /read ECONNRESET; the outcome is unknown/);

  const [closed] = pipeOver();
  const onClose = settle(closed.send([["GET", "a"]], 5_000));
  closed.close();
  assert.match(String(await onClose), /connection closed by this node; the outcome/);

  const [slow, slowSocket] = pipeOver();
  const error = await settle(slow.send([["GET", "a"]], 20));
  assert.ok(error instanceof RespPipeError && error.sent);
  assert.equal(error.message, "no reply within 20 ms; the outcome is unknown");
  assert.equal(slowSocket.destroyed, true, "an overdue reply closes the connection");
});

Deno.test("resp pipe: batches in flight are bounded; one over the bound is refused unsent", async () => {
  const [pipe, socket] = pipeOver({ batchesInFlightMax: 2 });
  const first = pipe.send([["GET", "a"]], 5_000);
  const second = pipe.send([["GET", "b"]], 5_000);
  const refused = await settle(pipe.send([["GET", "c"]], 5_000));
  assert.ok(refused instanceof RespPipeError);
  assert.equal(refused.sent, false);
  assert.equal(refused.message, "2 batches in flight");
  assert.equal(socket.written.length, 2);
  socket.feed(":1\r\n:2\r\n");
  assert.deepEqual(await Promise.all([first, second]), [
    [{ type: "integer", value: 1 }],
    [{ type: "integer", value: 2 }],
  ]);
  assert.equal(pipe.closed, false, "a refusal leaves the connection open");
});

Deno.test("resp pipe: a reply over replyBytesMax closes the connection, whole or in parts", async () => {
  // Many small parts, none over the bound alone: the bytes held for the partial reply are.
  const [parts, partsSocket] = pipeOver({ replyBytesMax: 16 });
  const many = settle(parts.send([["MGET", "a", "b", "c"]], 5_000));
  partsSocket.feed("*3\r\n$4\r\nabcd\r\n");
  assert.equal(await outcome(many), "pending");
  partsSocket.feed("$4\r\nefgh\r\n");
  const error = await many;
  assert.ok(error instanceof RespPipeError && error.sent);
  assert.equal(error.message, "reply exceeds 16 bytes; the outcome is unknown");
  assert.equal(partsSocket.destroyed, true);

  // One bulk whose announced length is over the bound fails at its header.
  const [bulk, bulkSocket] = pipeOver({ replyBytesMax: 16 });
  const big = settle(bulk.send([["GET", "a"]], 5_000));
  bulkSocket.feed("$17\r\n");
  assert.match(String(await big), /bad reply: .*17.*; the outcome is unknown/);
  assert.equal(bulk.closed, true);

  // Exactly the bound held for a partial reply is kept, and the reply answered once whole.
  const [exact, exactSocket] = pipeOver({ replyBytesMax: 16 });
  const fits = exact.send([["GET", "a"]], 5_000);
  exactSocket.feed("$11\r\n12345678901");
  assert.equal(await outcome(fits), "pending");
  exactSocket.feed("\r\n");
  assert.deepEqual(await fits, [text("12345678901")]);
});

Deno.test("resp pipe: a reply with no batch in flight closes the connection", () => {
  const [pipe, socket] = pipeOver();
  const reasons: string[] = [];
  pipe.onClose = (reason) => reasons.push(reason);
  socket.feed("+OK\r\n");
  assert.equal(pipe.closed, true);
  assert.deepEqual(reasons, ["a reply arrived with no command in flight"]);
  assert.equal(socket.destroyed, true);
});

Deno.test("resp pipe: over TCP, a server that answers one batch and hangs up fails the next", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    const buffer = new Uint8Array(1024);
    let received = "";
    // Both commands were written before any reply (the test sends them back to back).
    while (!received.includes("second")) {
      const count = await conn.read(buffer);
      if (count === null) break;
      received += new TextDecoder().decode(buffer.subarray(0, count));
    }
    await conn.write(encoder.encode("+first\r\n"));
    conn.close();
    return received;
  })();
  try {
    const pipe = await RespPipe.open(
      { host: "127.0.0.1", port: listener.addr.port },
      2_000,
      OPTIONS,
    );
    const first = pipe.send([["ECHO", "first"]], 5_000);
    const second = pipe.send([["ECHO", "second"]], 5_000);
    assert.deepEqual(await first, [{ type: "simple", value: "first" }]);
    const error = await settle(second);
    assert.ok(error instanceof RespPipeError && error.sent);
    assert.equal(error.message, "connection closed by the server; the outcome is unknown");
    assert.equal(pipe.closed, true);
    assert.match(await served, /ECHO[\s\S]*first[\s\S]*ECHO[\s\S]*second/);
  } finally {
    listener.close();
  }
});
