import assert from "node:assert/strict";
import {
  RespLimitError,
  type RespLimits,
  RespProtocolError,
  RespReplyDecoder,
  type RespValue,
} from "../../../protocol/resp/mod.ts";
import { bytes, decodeReplies } from "./helpers.ts";

function decode(text: string): RespValue[] {
  const outcome = decodeReplies([bytes(text)]);
  assert.equal(outcome.error, undefined);
  assert.equal(outcome.bufferedByteCount, 0);
  return outcome.items;
}

function decodeError(text: string, limits: Partial<RespLimits> = {}): string | undefined {
  return decodeReplies([bytes(text)], limits).error;
}

const simple = (value: string): RespValue => ({ type: "simple", value });
const integer = (value: number): RespValue => ({ type: "integer", value });

Deno.test("reply decoder: RESP2 types", () => {
  assert.deepEqual(decode("+OK\r\n-ERR unknown command 'x'\r\n:-42\r\n:+7\r\n"), [
    simple("OK"),
    { type: "error", value: "ERR unknown command 'x'" },
    integer(-42),
    integer(7),
  ]);
  assert.deepEqual(decode("$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*-1\r\n"), [
    { type: "bulk", value: bytes("hello") },
    { type: "bulk", value: new Uint8Array() },
    { type: "null" },
    { type: "null" },
  ]);
  assert.deepEqual(decode("*2\r\n*1\r\n:1\r\n*0\r\n"), [
    {
      type: "array",
      value: [{ type: "array", value: [integer(1)] }, { type: "array", value: [] }],
    },
  ]);
});

Deno.test("reply decoder: RESP3 types", () => {
  assert.deepEqual(decode("_\r\n#t\r\n#f\r\n(-12345678901234567890\r\n"), [
    { type: "null" },
    { type: "boolean", value: true },
    { type: "boolean", value: false },
    { type: "bignum", value: -12345678901234567890n },
  ]);
  assert.deepEqual(
    decode(",1.5\r\n,inf\r\n,-inf\r\n,nan\r\n,-0\r\n,1e+21\r\n,.5E-3\r\n").map((v) =>
      v.type === "double" ? v.value : undefined
    ),
    [1.5, Infinity, -Infinity, NaN, -0, 1e21, 0.0005],
  );
  assert.deepEqual(decode("=8\r\ntxt:héj\r\n!9\r\nSYNTAX no\r\n"), [
    { type: "verbatim", format: "txt", value: bytes("héj") },
    { type: "blobError", value: "SYNTAX no" },
  ]);
  assert.deepEqual(decode("%1\r\n+k\r\n:1\r\n~2\r\n:1\r\n:2\r\n>2\r\n+message\r\n+hi\r\n"), [
    { type: "map", value: [[simple("k"), integer(1)]] },
    { type: "set", value: [integer(1), integer(2)] },
    { type: "push", value: [simple("message"), simple("hi")] },
  ]);
});

Deno.test("reply decoder: top-level attributes come first, nested ones are dropped", () => {
  assert.deepEqual(decode("|1\r\n+ttl\r\n:3\r\n+OK\r\n"), [
    { type: "attribute", value: [[simple("ttl"), integer(3)]] },
    simple("OK"),
  ]);
  assert.deepEqual(decode("*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n|0\r\n:2\r\n"), [
    { type: "array", value: [integer(1), integer(2)] },
  ]);
});

Deno.test("reply decoder: waits for incomplete values and keeps returned bytes", () => {
  const decoder = new RespReplyDecoder();
  assert.equal(decoder.next(), undefined);
  decoder.push(bytes("*2\r\n$3\r\nfo"));
  assert.equal(decoder.next(), undefined);
  decoder.push(bytes("o\r\n$1\r\n"));
  assert.equal(decoder.next(), undefined);
  decoder.push(bytes("x\r\n+next"));
  const value = decoder.next();
  assert.deepEqual(value, {
    type: "array",
    value: [{ type: "bulk", value: bytes("foo") }, { type: "bulk", value: bytes("x") }],
  });
  decoder.push(bytes("\r\n"));
  assert.deepEqual(decoder.next(), simple("next"));
  decoder.push(new Uint8Array(10_000).fill(43));
  assert.deepEqual(value?.type === "array" ? value.value[0] : undefined, {
    type: "bulk",
    value: bytes("foo"),
  });
});

Deno.test("reply decoder: protocol error texts", () => {
  const cases: Array<[string, string]> = [
    ["?x\r\n", "invalid reply type byte 0x3f"],
    ["\r\n", "invalid reply type byte 0x0d"],
    ["*1\r\n\x00\r\n", "invalid reply type byte 0x00"],
    ["*x\r\n", "invalid multibulk length"],
    ["*-2\r\n", "invalid multibulk length"],
    ["%-1\r\n", "invalid multibulk length"],
    ["*?\r\n", "invalid multibulk length"],
    ["$x\r\n", "invalid bulk length"],
    ["$-2\r\n", "invalid bulk length"],
    ["$?\r\n", "invalid bulk length"],
    ["!-1\r\n", "invalid bulk length"],
    ["$1\r\nab\r\n", "expected CRLF after bulk data"],
    ["+a\rb\r\n", "expected LF after CR"],
    [":1.5\r\n", "invalid integer"],
    [":9007199254740992\r\n", "invalid integer"],
    [":\r\n", "invalid integer"],
    ["#x\r\n", "invalid boolean"],
    ["_x\r\n", "invalid null"],
    [",1.2.3\r\n", "invalid double"],
    [",\r\n", "invalid double"],
    ["(12a\r\n", "invalid big number"],
    ["(-\r\n", "invalid big number"],
    ["=3\r\ntxt\r\n", "verbatim string lacks a 3-byte format and ':'"],
  ];
  for (const [input, detail] of cases) {
    assert.equal(
      decodeError(input),
      `RespProtocolError: Protocol error: ${detail}`,
      JSON.stringify(input),
    );
  }
  assert.equal(decode(":9007199254740991\r\n:-9007199254740991\r\n").length, 2);
});

Deno.test("reply decoder: limit error texts", () => {
  assert.equal(
    decodeError("$65\r\n", { bulkBytesMax: 64 }),
    "RespLimitError: bulk string length 65 exceeds maximum of 64 bytes",
  );
  assert.equal(
    decodeError("=70\r\n", { bulkBytesMax: 64 }),
    "RespLimitError: bulk string length 70 exceeds maximum of 64 bytes",
  );
  assert.equal(
    decodeError("*5\r\n", { aggregateCountMax: 4 }),
    "RespLimitError: aggregate of 5 elements exceeds maximum of 4",
  );
  assert.equal(
    decodeError("%5\r\n", { aggregateCountMax: 4 }),
    "RespLimitError: aggregate of 5 elements exceeds maximum of 4",
  );
  assert.equal(decodeError("*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n", { aggregateCountMax: 4 }), undefined);
  assert.equal(
    decodeError("*1\r\n".repeat(3), { depthMax: 2 }),
    "RespLimitError: reply nesting depth exceeds maximum of 2",
  );
  assert.equal(decodeError("*1\r\n*1\r\n*0\r\n", { depthMax: 3 }), undefined);
  assert.equal(
    decodeError("*1\r\n".repeat(33)),
    "RespLimitError: reply nesting depth exceeds maximum of 32",
  );
  assert.equal(
    decodeError("+" + "x".repeat(65), { bulkBytesMax: 64 }),
    "RespLimitError: line exceeds maximum of 64 bytes",
  );
  assert.equal(decodeError("+" + "x".repeat(64) + "\r\n", { bulkBytesMax: 64 }), undefined);
});

Deno.test("reply decoder: a failed decoder rethrows the same error", () => {
  const decoder = new RespReplyDecoder();
  decoder.push(bytes("?\r\n"));
  let first: unknown;
  try {
    decoder.next();
  } catch (error) {
    first = error;
  }
  assert.ok(first instanceof RespProtocolError);
  assert.throws(() => decoder.next(), (error) => error === first);
  assert.ok(new RespLimitError("x").message === "x");
});

Deno.test("reply decoder: a large array arriving in small chunks", () => {
  const elementCount = 2000;
  const parts = [`*${elementCount}\r\n`];
  for (let i = 0; i < elementCount; i++) parts.push(`$6\r\nv${String(i).padStart(5, "0")}\r\n`);
  const input = bytes(parts.join(""));
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < input.length; offset += 1000) {
    chunks.push(input.subarray(offset, offset + 1000));
  }
  const outcome = decodeReplies(chunks);
  assert.equal(outcome.items.length, 1);
  const array = outcome.items[0];
  assert.ok(array?.type === "array");
  assert.equal(array.value.length, elementCount);
  assert.deepEqual(array.value[1999], { type: "bulk", value: bytes("v01999") });
});
