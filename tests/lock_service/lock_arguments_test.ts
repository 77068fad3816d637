import assert from "node:assert/strict";
import {
  parseAcquire,
  parseCancelWait,
  parseInfoName,
  parseRefresh,
  parseRelease,
} from "../../src/lock_service/lock_arguments.ts";

const limits = { ttlMinMs: 100, ttlMaxMs: 60_000, waitMaxMs: 10_000 };
const args = (...parts: string[]) => parts.map((part) => new TextEncoder().encode(part));

Deno.test("LOCK.ACQUIRE defaults: EXCLUSIVE, TTL 30000, WAIT 0", () => {
  assert.deepEqual(parseAcquire(args("LOCK.ACQUIRE", "a", "me"), limits), {
    name: "a",
    owner: "me",
    mode: "exclusive",
    ttlMs: 30_000,
    waitMs: 0,
  });
});

Deno.test("LOCK.ACQUIRE options in any order, case-insensitive", () => {
  const parsed = parseAcquire(
    args("LOCK.ACQUIRE", "a", "me", "wait", "500", "SHARED", "TTL", "200"),
    limits,
  );
  assert.deepEqual(parsed, {
    name: "a",
    owner: "me",
    mode: "shared",
    ttlMs: 200,
    waitMs: 500,
  });
});

Deno.test("LOCK.ACQUIRE rejects bad input with clear errors", () => {
  const cases: Array<[string[], string]> = [
    [["LOCK.ACQUIRE", "a", "me", "TTL", "50"], "ERR TTL must be between 100 and 60000 ms"],
    [["LOCK.ACQUIRE", "a", "me", "TTL", "99999999"], "ERR TTL must be between 100 and 60000 ms"],
    [["LOCK.ACQUIRE", "a", "me", "TTL", "-5"], "ERR value is not an integer or out of range"],
    [["LOCK.ACQUIRE", "a", "me", "TTL"], "ERR value is not an integer or out of range"],
    [["LOCK.ACQUIRE", "a", "me", "WAIT", "x"], "ERR value is not an integer or out of range"],
    [["LOCK.ACQUIRE", "a", "me", "WAIT", "20000"], "ERR WAIT must be at most 10000 ms"],
    [["LOCK.ACQUIRE", "a", "me", "FOREVER"], "ERR syntax error near 'FOREVER'"],
    [["LOCK.ACQUIRE", "", "me"], "ERR lock name and owner must not be empty"],
    [["LOCK.ACQUIRE", "a", "me", "WAITERID", "7"], "ERR syntax error near 'WAITERID'"],
  ];
  for (const [input, error] of cases) {
    assert.equal(parseAcquire(args(...input), limits), error);
  }
});

Deno.test("LOCK.RELEASE and LOCK.REFRESH take an optional TOKEN", () => {
  assert.deepEqual(parseRelease(args("LOCK.RELEASE", "a", "me")), {
    name: "a",
    owner: "me",
    token: null,
  });
  assert.deepEqual(parseRelease(args("LOCK.RELEASE", "a", "me", "token", "12")), {
    name: "a",
    owner: "me",
    token: 12,
  });
  assert.equal(
    parseRelease(args("LOCK.RELEASE", "a", "me", "TOKEN")),
    "ERR syntax error: expected TOKEN <fencing-token>",
  );
  assert.equal(
    parseRelease(args("LOCK.RELEASE", "a", "me", "TOKEN", "x")),
    "ERR value is not an integer or out of range",
  );
  assert.deepEqual(parseRefresh(args("LOCK.REFRESH", "a", "me", "500", "TOKEN", "3"), limits), {
    name: "a",
    owner: "me",
    ttlMs: 500,
    token: 3,
  });
  assert.equal(
    parseRefresh(args("LOCK.REFRESH", "a", "me", "5"), limits),
    "ERR TTL must be between 100 and 60000 ms",
  );
});

Deno.test("names and owners past 256 bytes are -LIMIT naming the argument, in every command", () => {
  const long = "n".repeat(2000);
  const atLimit = "n".repeat(256);
  const line = (what: string, length: number) =>
    `LIMIT lock ${what} length ${length} exceeds maximum of 256 bytes`;
  assert.equal(parseAcquire(args("LOCK.ACQUIRE", "x", long), limits), line("owner", 2000));
  assert.equal(parseAcquire(args("LOCK.ACQUIRE", long, "me"), limits), line("name", 2000));
  assert.equal(parseRelease(args("LOCK.RELEASE", long, "me")), line("name", 2000));
  assert.equal(parseRefresh(args("LOCK.REFRESH", "x", long, "500"), limits), line("owner", 2000));
  assert.equal(parseInfoName(args("LOCK.INFO", "n".repeat(257))), line("name", 257));
  assert.equal(parseCancelWait(args("LOCK.CANCELWAIT", "x", long, "1")), line("owner", 2000));
  assert.equal(
    typeof parseAcquire(args("LOCK.ACQUIRE", atLimit, atLimit), limits),
    "object",
  );
  assert.deepEqual(parseInfoName(args("LOCK.INFO", atLimit)), { name: atLimit });
  // 100 invalid bytes decode to 100 U+FFFD (300 UTF-8 bytes): what the op codec would see.
  const invalid = new Uint8Array(100).fill(0xff);
  assert.equal(parseRelease([...args("LOCK.RELEASE"), invalid, ...args("me")]), line("name", 300));
});

Deno.test("TOKEN 0 and a bad waiter id are -ERR, not an encoder failure", () => {
  assert.equal(
    parseRelease(args("LOCK.RELEASE", "a", "me", "TOKEN", "0")),
    "ERR TOKEN must be between 1 and 9007199254740991",
  );
  assert.equal(
    parseRefresh(args("LOCK.REFRESH", "a", "me", "500", "TOKEN", "9007199254740992"), limits),
    "ERR value is not an integer or out of range",
  );
  assert.equal(
    parseCancelWait(args("LOCK.CANCELWAIT", "a", "me", "-1")),
    "ERR value is not an integer or out of range",
  );
});

Deno.test("lock arguments: ASCII and non-ASCII text, integers as ASCII digits only", () => {
  const raw = (...parts: Array<string | Uint8Array>) =>
    parts.map((part) => typeof part === "string" ? new TextEncoder().encode(part) : part);
  const release = (name: string | Uint8Array, token: string | Uint8Array) =>
    parseRelease(raw("LOCK.RELEASE", name, "ownér", "TOKEN", token));
  assert.deepEqual(release("plain", "0042"), { name: "plain", owner: "ownér", token: 42 });
  assert.deepEqual(release("naïve ✓", "9007199254740991"), {
    name: "naïve ✓",
    owner: "ownér",
    token: 9007199254740991,
  });
  // Invalid UTF-8 reads as U+FFFD, as TextDecoder does.
  assert.deepEqual(release(new Uint8Array([0x61, 0xff]), "1"), {
    name: "a\uFFFD",
    owner: "ownér",
    token: 1,
  });
  for (
    const bad of ["+1", "-1", "1.5", " 1", "1e3", "٣", "9007199254740992", "12345678901234567"]
  ) {
    assert.equal(release("a", bad), "ERR value is not an integer or out of range", bad);
  }
  // 85 three-byte characters (255 bytes) fit a 256-byte name; 86 (258 bytes) do not.
  assert.equal(typeof release("✓".repeat(85), "1"), "object");
  assert.match(String(release("✓".repeat(86), "1")), /^LIMIT lock name length 258/);
});
