import {
  encodeCommand,
  RespReplyDecoder,
  RespRequestDecoder,
  RespWriter,
} from "../protocol/resp/mod.ts";

/** Commands or replies per benchmark iteration. */
const BATCH_COUNT = 1000;
/** Bytes handed to the decoder per simulated socket read. */
const READ_BYTES = 16 * 1024;

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const pingInput = concat(Array.from({ length: BATCH_COUNT }, () => encodeCommand(["PING"])));
const value64 = new Uint8Array(64).fill(120);
const setInput = concat(
  Array.from(
    { length: BATCH_COUNT },
    (_, i) => encodeCommand(["SET", `key:${String(i).padStart(3, "0")}`, value64]),
  ),
);
const bulkArrayReply = (() => {
  const writer = new RespWriter();
  writer.arrayHeader(BATCH_COUNT);
  for (let i = 0; i < BATCH_COUNT; i++) writer.bulk(value64);
  return writer.bytes().slice();
})();

/** Feeds `input` in READ_BYTES reads through writable()/commit(), draining after each. */
function decodeAll(decoder: RespRequestDecoder, input: Uint8Array): number {
  let commandCount = 0;
  for (let offset = 0; offset < input.length; offset += READ_BYTES) {
    const chunk = input.subarray(offset, offset + READ_BYTES);
    decoder.writable(chunk.length).set(chunk);
    decoder.commit(chunk.length);
    for (let args = decoder.next(); args !== undefined; args = decoder.next()) commandCount++;
  }
  if (commandCount !== BATCH_COUNT) throw new Error(`decoded ${commandCount} commands`);
  return commandCount;
}

const pingDecoder = new RespRequestDecoder();
Deno.bench({
  name: `decode ${BATCH_COUNT} pipelined PING (${pingInput.length} bytes)`,
  group: "request decode",
  fn() {
    decodeAll(pingDecoder, pingInput);
  },
});

const setDecoder = new RespRequestDecoder();
Deno.bench({
  name: `decode ${BATCH_COUNT} SET key:NNN <64 bytes> (${setInput.length} bytes)`,
  group: "request decode",
  fn() {
    decodeAll(setDecoder, setInput);
  },
});

const pongWriter = new RespWriter();
Deno.bench({
  name: `encode ${BATCH_COUNT} +PONG (${BATCH_COUNT * 7} bytes)`,
  group: "reply encode",
  fn() {
    pongWriter.reset();
    for (let i = 0; i < BATCH_COUNT; i++) pongWriter.simple("PONG");
  },
});

const bulkWriter = new RespWriter();
Deno.bench({
  name: `encode ${BATCH_COUNT} 64-byte bulks (${BATCH_COUNT * 71} bytes)`,
  group: "reply encode",
  fn() {
    bulkWriter.reset();
    for (let i = 0; i < BATCH_COUNT; i++) bulkWriter.bulk(value64);
  },
});

const integerWriter = new RespWriter();
Deno.bench({
  name: `encode ${BATCH_COUNT} integers 0..99999`,
  group: "reply encode",
  fn() {
    integerWriter.reset();
    for (let i = 0; i < BATCH_COUNT; i++) integerWriter.integer(i * 100);
  },
});

Deno.bench({
  name: `decode reply: array of ${BATCH_COUNT} 64-byte bulks (${bulkArrayReply.length} bytes)`,
  group: "reply decode",
  fn(b) {
    const decoder = new RespReplyDecoder();
    b.start();
    decoder.push(bulkArrayReply);
    const value = decoder.next();
    b.end();
    if (value?.type !== "array") throw new Error("expected an array reply");
  },
});
