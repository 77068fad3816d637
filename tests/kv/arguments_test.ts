import assert from "node:assert/strict";
import fc from "fast-check";
import { ERROR_CASES } from "./redis_cases.ts";
import {
  INVALID_EXPIRE_ERROR,
  KV_KEY_BYTES_MAX,
  KV_TTL_MS_MAX,
  parseKvCommand,
  SYNTAX_ERROR,
} from "../../src/kv/mod.ts";

const encoder = new TextEncoder();
const LIMITS = { valueBytesMax: 32 };
const parse = (...parts: (string | Uint8Array)[]) =>
  parseKvCommand(parts.map((p) => (typeof p === "string" ? encoder.encode(p) : p)), LIMITS);
const bytes = (text: string) => encoder.encode(text);
const lineOf = (result: ReturnType<typeof parse>) => ("kind" in result ? result.line : null);

Deno.test("kv arguments: every arity, syntax and number error has Redis's exact line", () => {
  for (const [args, line] of ERROR_CASES) {
    assert.equal(lineOf(parse(...args)), line, args.join(" "));
  }
});

Deno.test("kv arguments: SET options in any order and case, repeats as Redis takes them", () => {
  const set = (ttlMs: number | null, condition: string) => ({
    command: "set",
    key: bytes("k"),
    value: bytes("v"),
    ttlMs,
    condition,
  });
  assert.deepEqual(parse("SET", "k", "v"), set(null, "always"));
  assert.deepEqual(parse("set", "k", "v", "ex", "10", "nx"), set(10_000, "ifMissing"));
  assert.deepEqual(parse("SET", "k", "v", "Xx", "pX", "5"), set(5, "ifExists"));
  assert.deepEqual(parse("SET", "k", "v", "NX", "NX"), set(null, "ifMissing"));
  assert.deepEqual(parse("SET", "k", "v", "EX", "1", "EX", "2"), set(2_000, "always"));
  assert.deepEqual(
    parse("SET", "k", "v", "PX", String(KV_TTL_MS_MAX)),
    set(KV_TTL_MS_MAX, "always"),
  );
});

Deno.test("kv arguments: past our TTL maximum (Redis goes further) is an invalid expire time", () => {
  assert.equal(
    lineOf(parse("SET", "k", "v", "PX", String(KV_TTL_MS_MAX + 1))),
    INVALID_EXPIRE_ERROR,
  );
  const seconds = Math.floor(KV_TTL_MS_MAX / 1000) + 1;
  assert.equal(lineOf(parse("SET", "k", "v", "EX", String(seconds))), INVALID_EXPIRE_ERROR);
  assert.deepEqual(
    (parse("SET", "k", "v", "EX", String(seconds - 1)) as { ttlMs: number }).ttlMs,
    (seconds - 1) * 1000,
  );
});

Deno.test("kv arguments: the multi-key commands keep every key and pair in order", () => {
  assert.deepEqual(parse("DEL", "a", "b", "a"), {
    command: "del",
    keys: [bytes("a"), bytes("b"), bytes("a")],
  });
  assert.deepEqual(parse("exists", "a"), { command: "exists", keys: [bytes("a")] });
  assert.deepEqual(parse("MGET", "b", "a"), { command: "mget", keys: [bytes("b"), bytes("a")] });
  assert.deepEqual(parse("MSET", "a", "1", "b", "2"), {
    command: "mset",
    pairs: [{ key: bytes("a"), value: bytes("1") }, { key: bytes("b"), value: bytes("2") }],
  });
  assert.deepEqual(parse("GET", ""), { command: "get", key: bytes("") });
  assert.deepEqual(parse("PTTL", "x"), { command: "pttl", key: bytes("x") });
});

Deno.test("kv arguments: keys and values one past their limit are -LIMIT, at the limit pass", () => {
  const keyMax = new Uint8Array(KV_KEY_BYTES_MAX);
  const keyOver = new Uint8Array(KV_KEY_BYTES_MAX + 1);
  const valueMax = new Uint8Array(LIMITS.valueBytesMax);
  const valueOver = new Uint8Array(LIMITS.valueBytesMax + 1);
  const keyLine = `LIMIT key length ${KV_KEY_BYTES_MAX + 1} exceeds maximum of 4096 bytes`;
  const valueLine = `LIMIT value length 33 exceeds maximum of 32 bytes`;
  for (const command of ["GET", "PTTL", "DEL", "EXISTS", "MGET"]) {
    assert.equal(lineOf(parse(command, keyMax)), null, command);
    assert.equal(lineOf(parse(command, keyOver)), keyLine, command);
  }
  assert.equal(lineOf(parse("DEL", "a", keyOver)), keyLine);
  assert.equal(lineOf(parse("SET", keyMax, valueMax)), null);
  assert.equal(lineOf(parse("SET", keyOver, "v")), keyLine);
  assert.equal(lineOf(parse("SET", "k", valueOver)), valueLine);
  assert.equal(lineOf(parse("SET", "k", valueOver, "NX", "EX", "1")), valueLine);
  assert.equal(lineOf(parse("MSET", "a", "1", "b", valueOver)), valueLine);
  assert.equal(lineOf(parse("MSET", "a", "1", keyOver, "1")), keyLine);
  // A syntax error is reported before a size.
  assert.equal(lineOf(parse("SET", keyOver, "v", "FOO")), SYNTAX_ERROR);
});

Deno.test("kv arguments: any byte arguments give a request within the limits or an ERR/LIMIT line", () => {
  const names = ["GET", "SET", "DEL", "EXISTS", "MGET", "MSET", "PTTL", "set", "Foo"];
  const token = fc.oneof(
    fc.constantFrom("NX", "XX", "EX", "PX", "1", "-1", "0", "99999999999999999999").map(bytes),
    fc.uint8Array({ maxLength: 40, size: "max" }),
  );
  fc.assert(
    fc.property(fc.constantFrom(...names), fc.array(token, { maxLength: 8 }), (name, rest) => {
      const result = parse(name, ...rest);
      if ("kind" in result) {
        assert.match(result.line, /^(ERR|LIMIT) /);
        return;
      }
      if (result.command === "set") {
        assert.ok(result.value.length <= LIMITS.valueBytesMax);
        assert.ok(result.ttlMs === null || (result.ttlMs >= 1 && result.ttlMs <= KV_TTL_MS_MAX));
      }
    }),
    { numRuns: 3000 },
  );
});
