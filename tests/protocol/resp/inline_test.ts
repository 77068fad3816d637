import assert from "node:assert/strict";
import { RespLimitError, RespProtocolError } from "../../../protocol/resp/mod.ts";
import { bytes, decodeRequests, fromLatin1 } from "./helpers.ts";

function inline(text: string): string[][] {
  const outcome = decodeRequests([fromLatin1(text)]);
  assert.equal(outcome.error, undefined);
  return outcome.items;
}

function inlineError(text: string, limits = {}): string | undefined {
  return decodeRequests([fromLatin1(text)], "push", limits).error;
}

Deno.test("inline: splits on spaces and tabs, CRLF or LF terminates", () => {
  assert.deepEqual(inline("SET  key\tvalue\r\n"), [["SET", "key", "value"]]);
  assert.deepEqual(inline("PING\nPING\r\n"), [["PING"], ["PING"]]);
  assert.deepEqual(inline("  \t GET k  \t\r\n"), [["GET", "k"]]);
  assert.deepEqual(inline("a\rb\n"), [["a", "b"]]);
});

Deno.test("inline: empty and blank lines are skipped", () => {
  assert.deepEqual(inline("\r\n\n   \r\n\t\nPING\n\n"), [["PING"]]);
  assert.deepEqual(decodeRequests([bytes("\r\n\r\n")]), { items: [], bufferedByteCount: 0 });
});

Deno.test("inline: waits for the end of the line", () => {
  const outcome = decodeRequests([bytes('SET k "a b'), bytes('" tail')]);
  assert.deepEqual(outcome, { items: [], bufferedByteCount: 16 });
  assert.deepEqual(decodeRequests([bytes('SET k "a b'), bytes('" tail\r'), bytes("\n")]).items, [
    ["SET", "k", "a b", "tail"],
  ]);
});

Deno.test("inline: double quotes with escapes", () => {
  assert.deepEqual(inline('SET "my key" "a\\nb\\r\\t\\b\\a\\\\\\"c"\n'), [
    ["SET", "my key", 'a\nb\r\t\b\x07\\"c'],
  ]);
  assert.deepEqual(inline('ECHO "\\x41\\x7a\\xff\\x00" "\\xZZ" "\\q"\n'), [
    ["ECHO", "Az\xff\x00", "xZZ", "q"],
  ]);
  assert.deepEqual(inline('ECHO ""\n'), [["ECHO", ""]]);
  assert.deepEqual(inline('ECHO a"b c"\n'), [["ECHO", "ab c"]]);
});

Deno.test("inline: single quotes keep backslashes except before a quote", () => {
  assert.deepEqual(inline("ECHO 'it\\'s' 'a\\nb' ''\n"), [["ECHO", "it's", "a\\nb", ""]]);
  assert.deepEqual(inline("ECHO 'say \"hi\"'\n"), [["ECHO", 'say "hi"']]);
});

Deno.test("inline: unbalanced quotes are a protocol error", () => {
  const message = "RespProtocolError: Protocol error: unbalanced quotes in request";
  for (
    const line of [
      'SET "abc\n',
      "SET 'abc\n",
      'SET "abc"def\n',
      "SET 'abc'def\n",
      'SET "abc\\"\n',
      'SET "a\\\n',
    ]
  ) {
    assert.equal(inlineError(line), message, JSON.stringify(line));
  }
  assert.ok(new RespProtocolError("x") instanceof Error);
});

Deno.test("inline: line length limit applies with or without the newline", () => {
  const limits = { inlineBytesMax: 16 };
  const message = "RespLimitError: inline command exceeds maximum of 16 bytes";
  assert.equal(inlineError("x".repeat(17), limits), message);
  assert.equal(inlineError("x".repeat(17) + "\n", limits), message);
  assert.equal(inlineError("x".repeat(16), limits), undefined);
  assert.deepEqual(decodeRequests([bytes("x".repeat(16) + "\n")], "push", limits).items, [[
    "x".repeat(16),
  ]]);
  const defaults = decodeRequests([new Uint8Array(65537).fill(65)]);
  assert.equal(defaults.error, "RespLimitError: inline command exceeds maximum of 65536 bytes");
  assert.ok(new RespLimitError("x") instanceof Error);
});

Deno.test("inline: argument count limit", () => {
  assert.equal(
    inlineError("a b c d\n", { argumentCountMax: 3 }),
    "RespLimitError: command has 4 arguments, maximum is 3",
  );
  assert.deepEqual(decodeRequests([bytes("a b c\n")], "push", { argumentCountMax: 3 }).items, [
    ["a", "b", "c"],
  ]);
});

Deno.test("inline: mixes with multibulk commands in one chunk", () => {
  assert.deepEqual(inline("PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nECHO 'yo'\r\n"), [
    ["PING"],
    ["ECHO", "hi"],
    ["ECHO", "yo"],
  ]);
});
