import assert from "node:assert/strict";
import {
  DEFAULT_RESP_LIMITS,
  encodeCommand,
  RespLimitError,
  RespProtocolError,
  RespRequestDecoder,
} from "../../../protocol/resp/mod.ts";
import { bytes, decodeRequests, latin1 } from "./helpers.ts";

function decodeOne(text: string): string[] | undefined {
  const decoder = new RespRequestDecoder();
  decoder.push(bytes(text));
  return decoder.next()?.map(latin1);
}

function assertThrows(
  input: string | Uint8Array,
  errorClass: typeof RespProtocolError | typeof RespLimitError,
  message: string,
  limits = {},
): void {
  const decoder = new RespRequestDecoder(limits);
  decoder.push(typeof input === "string" ? bytes(input) : input);
  assert.throws(() => {
    for (let i = 0; i < 100 && decoder.next() !== undefined; i++);
  }, (error: unknown) => {
    assert.ok(error instanceof errorClass, `expected ${errorClass.name}, got ${error}`);
    assert.equal((error as Error).message, message);
    return true;
  });
}

Deno.test("request decoder: defaults match the documented limits", () => {
  assert.deepEqual({ ...DEFAULT_RESP_LIMITS }, {
    bulkBytesMax: 1048576,
    argumentCountMax: 1024,
    inlineBytesMax: 65536,
    depthMax: 32,
    aggregateCountMax: 1048576,
  });
  assert.throws(() => new RespRequestDecoder({ bulkBytesMax: 0 }), RangeError);
});

Deno.test("request decoder: decodes a multibulk command", () => {
  assert.deepEqual(decodeOne("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"), ["SET", "k", ""]);
  assert.deepEqual(decodeOne("*1\r\n$4\r\nPING\r\n"), ["PING"]);
});

Deno.test("request decoder: arguments are binary safe", () => {
  const value = Uint8Array.from({ length: 256 }, (_, i) => i);
  const decoder = new RespRequestDecoder();
  decoder.push(encodeCommand(["SET", "k", value]));
  const command = decoder.next();
  assert.ok(command !== undefined);
  assert.deepEqual(Array.from(command[2] ?? []), Array.from(value));
});

Deno.test("request decoder: waits for incomplete commands", () => {
  const decoder = new RespRequestDecoder();
  assert.equal(decoder.next(), undefined);
  decoder.push(bytes("*2\r\n$3\r\nGET\r\n$3\r\nke"));
  assert.equal(decoder.next(), undefined);
  assert.equal(decoder.bufferedByteCount, 19);
  decoder.push(bytes("y\r"));
  assert.equal(decoder.next(), undefined);
  decoder.push(bytes("\n"));
  assert.deepEqual(decoder.next()?.map(latin1), ["GET", "key"]);
  assert.equal(decoder.bufferedByteCount, 0);
  assert.equal(decoder.next(), undefined);
});

Deno.test("request decoder: pipelined commands decode in order", () => {
  const commandCount = 500;
  const parts: Uint8Array[] = [];
  for (let i = 0; i < commandCount; i++) {
    parts.push(i % 3 === 0 ? bytes(`INCR n:${i}\r\n`) : encodeCommand(["SET", `k:${i}`, `v${i}`]));
  }
  const outcome = decodeRequests([new Uint8Array(parts.flatMap((part) => [...part]))]);
  assert.equal(outcome.items.length, commandCount);
  outcome.items.forEach((command, i) => {
    assert.deepEqual(command, i % 3 === 0 ? ["INCR", `n:${i}`] : ["SET", `k:${i}`, `v${i}`]);
  });
  assert.equal(outcome.bufferedByteCount, 0);
});

Deno.test("request decoder: *0 arrays are skipped", () => {
  const outcome = decodeRequests([bytes("*0\r\n*0\r\n*1\r\n$1\r\na\r\n*0\r\n")]);
  assert.deepEqual(outcome, { items: [["a"]], bufferedByteCount: 0 });
});

Deno.test("request decoder: protocol error texts", () => {
  const invalidMultibulk = "Protocol error: invalid multibulk length";
  for (const input of ["*abc\r\n", "*-5\r\n", "*-1\r\n", "*\r\n", "*1\rx", "*1234567890123456"]) {
    assertThrows(input, RespProtocolError, invalidMultibulk);
  }
  const invalidBulk = "Protocol error: invalid bulk length";
  for (const input of ["*1\r\n$abc\r\n", "*1\r\n$-1\r\n", "*1\r\n$\r\n", "*1\r\n$3\r3"]) {
    assertThrows(input, RespProtocolError, invalidBulk);
  }
  assertThrows("*1\r\n+OK\r\n", RespProtocolError, "Protocol error: expected '$', got '+'");
  assertThrows(
    "*2\r\n$1\r\na\r\n:1\r\n",
    RespProtocolError,
    "Protocol error: expected '$', got ':'",
  );
  assertThrows("*1\r\n\r\n", RespProtocolError, "Protocol error: expected '$', got '\\x0d'");
  assertThrows(
    "*1\r\n$1\r\nab\r\n",
    RespProtocolError,
    "Protocol error: expected CRLF after bulk data",
  );
  assertThrows('SET "a\n', RespProtocolError, "Protocol error: unbalanced quotes in request");
});

Deno.test("request decoder: bulk limit is checked when the $N header arrives", () => {
  const limits = { bulkBytesMax: 64 };
  assertThrows(
    "*2\r\n$3\r\nGET\r\n$65\r\n",
    RespLimitError,
    "bulk string length 65 exceeds maximum of 64 bytes",
    limits,
  );
  assertThrows(
    "*1\r\n$1048577\r\n",
    RespLimitError,
    "bulk string length 1048577 exceeds maximum of 1048576 bytes",
  );
  const exact = decodeRequests([encodeCommand(["x".repeat(64)])], "push", limits);
  assert.deepEqual(exact.items, [["x".repeat(64)]]);
});

Deno.test("request decoder: argument count limit is checked when *N arrives", () => {
  assertThrows("*1025\r\n", RespLimitError, "command has 1025 arguments, maximum is 1024");
  assertThrows("*3\r\n", RespLimitError, "command has 3 arguments, maximum is 2", {
    argumentCountMax: 2,
  });
  const exact = decodeRequests([encodeCommand(["a", "b"])], "push", { argumentCountMax: 2 });
  assert.deepEqual(exact.items, [["a", "b"]]);
});

Deno.test("request decoder: a failed decoder rethrows the same error", () => {
  const decoder = new RespRequestDecoder();
  decoder.push(bytes("*x\r\n"));
  let first: unknown;
  try {
    decoder.next();
  } catch (error) {
    first = error;
  }
  assert.ok(first instanceof RespProtocolError);
  decoder.push(bytes("*1\r\n$4\r\nPING\r\n"));
  assert.throws(() => decoder.next(), (error) => error === first);
});

Deno.test("request decoder: writable/commit reads straight into the buffer", () => {
  const decoder = new RespRequestDecoder();
  const region = decoder.writable();
  assert.ok(region.length >= 16 * 1024);
  const input = encodeCommand(["ECHO", "hello"]);
  region.set(input);
  decoder.commit(input.length);
  const command = decoder.next();
  assert.deepEqual(command?.map(latin1), ["ECHO", "hello"]);
  // Zero-copy: the argument is a view into the region the bytes were read into.
  assert.equal(command?.[1]?.buffer, region.buffer);
  assert.ok(decoder.writable(100).length >= 100);
  assert.throws(() => decoder.commit(Number.MAX_SAFE_INTEGER), /exceeds/);
});

Deno.test("request decoder: views stay valid across next() but not across push()", () => {
  const decoder = new RespRequestDecoder();
  const first = encodeCommand(["SET", "first", "value-one"]);
  decoder.push(new Uint8Array([...first, ...encodeCommand(["GET", "second"])]));
  const a = decoder.next();
  const b = decoder.next();
  assert.deepEqual(a?.map(latin1), ["SET", "first", "value-one"]);
  assert.deepEqual(b?.map(latin1), ["GET", "second"]);
  // Rule: views are valid until the next writable()/push(). Here everything was consumed, so the
  // push reuses the buffer from its start and overwrites the bytes `a` pointed at.
  decoder.push(bytes("*1\r\n$4\r\nPI"));
  assert.notEqual(latin1(a?.[0] ?? new Uint8Array()), "SET");
});

Deno.test("request decoder: memory stays bounded while streaming drained input", () => {
  const decoder = new RespRequestDecoder();
  const command = encodeCommand(["SET", "key:000123", "v".repeat(64)]);
  const stream = new Uint8Array(command.length * 50_000);
  for (let i = 0; i < 50_000; i++) stream.set(command, i * command.length);
  let decodedCount = 0;
  for (let offset = 0; offset < stream.length; offset += 16_000) {
    decoder.push(stream.subarray(offset, offset + 16_000));
    for (let args = decoder.next(); args !== undefined; args = decoder.next()) decodedCount++;
    assert.equal(decoder.capacityByteCount, 64 * 1024);
  }
  assert.equal(decodedCount, 50_000);
});

Deno.test("request decoder: a 1 MiB argument grows the buffer, then it shrinks back", () => {
  const decoder = new RespRequestDecoder();
  const value = new Uint8Array(1024 * 1024).fill(120);
  const input = encodeCommand(["SET", "big", value]);
  for (let offset = 0; offset < input.length; offset += 65_536) {
    const chunk = input.subarray(offset, offset + 65_536);
    decoder.writable(chunk.length).set(chunk);
    decoder.commit(chunk.length);
    if (offset + chunk.length < input.length) assert.equal(decoder.next(), undefined);
  }
  assert.equal(decoder.next()?.[2]?.length, value.length);
  assert.ok(decoder.capacityByteCount <= 4 * 1024 * 1024);
  decoder.writable();
  assert.equal(decoder.capacityByteCount, 64 * 1024);
});
