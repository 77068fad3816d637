import assert from "node:assert/strict";
import { decodeReply } from "../../src/node/decode_reply.ts";

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

Deno.test("decodeReply: values decoded earlier stay intact while later replies are decoded", () => {
  const first = decodeReply(bytes("$5\r\nhello\r\n"));
  const second = decodeReply(bytes("$5\r\nworld\r\n"));
  const array = decodeReply(bytes("*2\r\n$1\r\na\r\n$-1\r\n"));
  assert.deepEqual(first, { type: "bulk", value: bytes("hello") });
  assert.deepEqual(second, { type: "bulk", value: bytes("world") });
  assert.equal(array.type, "array");
});

Deno.test("decodeReply: a truncated or malformed reply fails alone; the next one decodes", () => {
  assert.throws(() => decodeReply(bytes("$5\r\nhel")), /truncated reply/);
  assert.deepEqual(decodeReply(bytes("+OK\r\n")), { type: "simple", value: "OK" });
  assert.throws(() => decodeReply(bytes("?bad\r\n")));
  assert.deepEqual(decodeReply(bytes(":7\r\n")), { type: "integer", value: 7 });
  // Trailing bytes after a complete reply are not carried into the next decode.
  assert.deepEqual(decodeReply(bytes(":1\r\n:2\r\n")), { type: "integer", value: 1 });
  assert.deepEqual(decodeReply(bytes(":3\r\n")), { type: "integer", value: 3 });
});

Deno.test("decodeReply: a reply larger than the shared buffer bound decodes", () => {
  const value = "x".repeat(100 * 1024);
  const reply = decodeReply(bytes(`$${value.length}\r\n${value}\r\n`));
  assert.equal(reply.type === "bulk" ? reply.value.length : -1, value.length);
  assert.deepEqual(decodeReply(bytes("+OK\r\n")), { type: "simple", value: "OK" });
});
