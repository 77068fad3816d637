import assert from "node:assert/strict";
import {
  encodeCommand,
  encodeValue,
  RespLimitError,
  type RespValue,
  RespWriter,
} from "../../../protocol/resp/mod.ts";
import { bytes, latin1 } from "./helpers.ts";

function written(write: (writer: RespWriter) => void): string {
  const writer = new RespWriter(8);
  write(writer);
  return new TextDecoder().decode(writer.bytes());
}

Deno.test("writer: simple strings and errors, with CR/LF replaced", () => {
  assert.equal(written((w) => w.simple("OK")), "+OK\r\n");
  assert.equal(written((w) => w.simple("PONG")), "+PONG\r\n");
  assert.equal(written((w) => w.simple("QUEUED")), "+QUEUED\r\n");
  assert.equal(written((w) => w.simple("a\r\nb")), "+a  b\r\n");
  assert.equal(written((w) => w.simple("")), "+\r\n");
  assert.equal(written((w) => w.error("ERR unknown command 'x'")), "-ERR unknown command 'x'\r\n");
  assert.equal(written((w) => w.error("ERR bad\nline ünïcode")), "-ERR bad line ünïcode\r\n");
});

Deno.test("writer: integers, cached and computed", () => {
  const cases: Array<[number, string]> = [
    [0, ":0\r\n"],
    [7, ":7\r\n"],
    [1023, ":1023\r\n"],
    [1024, ":1024\r\n"],
    [-1, ":-1\r\n"],
    [10, ":10\r\n"],
    [-1000000, ":-1000000\r\n"],
    [Number.MAX_SAFE_INTEGER, ":9007199254740991\r\n"],
    [Number.MIN_SAFE_INTEGER, ":-9007199254740991\r\n"],
  ];
  for (const [n, text] of cases) assert.equal(written((w) => w.integer(n)), text);
  assert.throws(() => written((w) => w.integer(1.5)), /safe integer/);
});

Deno.test("writer: bulk strings", () => {
  assert.equal(written((w) => w.bulk("hello")), "$5\r\nhello\r\n");
  assert.equal(written((w) => w.bulk("")), "$0\r\n\r\n");
  assert.equal(written((w) => w.bulk("héllo")), "$6\r\nhéllo\r\n");
  assert.equal(written((w) => w.bulk(bytes("a\r\nb"))), "$4\r\na\r\nb\r\n");
  const long = "x".repeat(1000);
  assert.equal(written((w) => w.bulk(long)), `$1000\r\n${long}\r\n`);
  const longUnicode = "é".repeat(300);
  assert.equal(written((w) => w.bulk(longUnicode)), `$600\r\n${longUnicode}\r\n`);
  assert.equal(
    written((w) => w.bulk(new Uint8Array(100).fill(97))),
    `$100\r\n${"a".repeat(100)}\r\n`,
  );
});

Deno.test("writer: nulls, headers and booleans per version", () => {
  assert.equal(written((w) => w.nullBulk(2)), "$-1\r\n");
  assert.equal(written((w) => w.nullBulk(3)), "_\r\n");
  assert.equal(written((w) => w.nullArray(2)), "*-1\r\n");
  assert.equal(written((w) => w.nullArray(3)), "_\r\n");
  assert.equal(written((w) => w.arrayHeader(3)), "*3\r\n");
  assert.equal(written((w) => w.mapHeader(2, 3)), "%2\r\n");
  assert.equal(written((w) => w.mapHeader(2, 2)), "*4\r\n");
  assert.equal(written((w) => w.setHeader(2, 3)), "~2\r\n");
  assert.equal(written((w) => w.setHeader(2, 2)), "*2\r\n");
  assert.equal(written((w) => w.pushHeader(3, 3)), ">3\r\n");
  assert.equal(written((w) => w.pushHeader(3, 2)), "*3\r\n");
  assert.equal(written((w) => w.boolean(true, 3)), "#t\r\n");
  assert.equal(written((w) => w.boolean(false, 3)), "#f\r\n");
  assert.equal(written((w) => w.boolean(true, 2)), ":1\r\n");
  assert.equal(written((w) => w.boolean(false, 2)), ":0\r\n");
  assert.throws(() => written((w) => w.arrayHeader(-1)), /invalid/);
});

Deno.test("writer: doubles and verbatim strings per version", () => {
  assert.equal(written((w) => w.double(1.5, 3)), ",1.5\r\n");
  assert.equal(written((w) => w.double(Infinity, 3)), ",inf\r\n");
  assert.equal(written((w) => w.double(-Infinity, 3)), ",-inf\r\n");
  assert.equal(written((w) => w.double(NaN, 3)), ",nan\r\n");
  assert.equal(written((w) => w.double(-0, 3)), ",-0\r\n");
  assert.equal(written((w) => w.double(1e21, 3)), ",1e+21\r\n");
  assert.equal(written((w) => w.double(2.25, 2)), "$4\r\n2.25\r\n");
  assert.equal(written((w) => w.double(-Infinity, 2)), "$4\r\n-inf\r\n");
  assert.equal(written((w) => w.verbatim("txt", "hé", 3)), "=7\r\ntxt:hé\r\n");
  assert.equal(written((w) => w.verbatim("mkd", "# hi", 2)), "$4\r\n# hi\r\n");
  assert.throws(() => written((w) => w.verbatim("text", "x", 3)), /3 chars/);
});

Deno.test("writer: value() downgrades RESP3 types for RESP2", () => {
  const k: RespValue = { type: "simple", value: "k" };
  const cases: Array<[RespValue, string, string]> = [
    [{ type: "null" }, "_\r\n", "$-1\r\n"],
    [{ type: "bignum", value: -5n }, "(-5\r\n", "$2\r\n-5\r\n"],
    [{ type: "blobError", value: "ERR x\ny" }, "!7\r\nERR x\ny\r\n", "-ERR x y\r\n"],
    [{ type: "verbatim", format: "txt", value: bytes("ab") }, "=6\r\ntxt:ab\r\n", "$2\r\nab\r\n"],
    [
      { type: "map", value: [[k, { type: "integer", value: 1 }]] },
      "%1\r\n+k\r\n:1\r\n",
      "*2\r\n+k\r\n:1\r\n",
    ],
    [{ type: "set", value: [k] }, "~1\r\n+k\r\n", "*1\r\n+k\r\n"],
    [{ type: "push", value: [k] }, ">1\r\n+k\r\n", "*1\r\n+k\r\n"],
    [{ type: "attribute", value: [[k, k]] }, "|1\r\n+k\r\n+k\r\n", ""],
    [{ type: "array", value: [{ type: "boolean", value: true }] }, "*1\r\n#t\r\n", "*1\r\n:1\r\n"],
  ];
  for (const [value, resp3, resp2] of cases) {
    assert.equal(latin1(encodeValue(value)), latin1(bytes(resp3)));
    assert.equal(latin1(encodeValue(value, 2)), latin1(bytes(resp2)));
  }
});

Deno.test("writer: buffer grows, reset reuses it, bytesMax is an explicit limit", () => {
  const writer = new RespWriter(4);
  for (let i = 0; i < 1000; i++) writer.simple("PONG");
  assert.equal(writer.byteLength, 7000);
  assert.equal(latin1(writer.bytes().subarray(0, 14)), "+PONG\r\n+PONG\r\n");
  writer.reset();
  assert.equal(writer.byteLength, 0);
  writer.raw(bytes("+OK\r\n"));
  assert.equal(latin1(writer.bytes()), "+OK\r\n");
  writer.bulk(new Uint8Array(2 * 1024 * 1024));
  writer.reset();
  writer.simple("OK");
  assert.equal(writer.byteLength, 5);

  const bounded = new RespWriter(16, 64);
  bounded.bulk("x".repeat(30));
  assert.throws(() => bounded.bulk(new Uint8Array(40)), (error: unknown) => {
    assert.ok(error instanceof RespLimitError);
    assert.equal(error.message, "reply of 84 bytes exceeds maximum of 64 bytes");
    return true;
  });
});

Deno.test("writer: encodeCommand writes an array of bulk strings", () => {
  assert.equal(
    latin1(encodeCommand(["SET", "k", new Uint8Array([0, 255])])),
    "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n\x00\xff\r\n",
  );
  assert.equal(latin1(encodeCommand([])), "*0\r\n");
});
