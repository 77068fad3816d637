import assert from "node:assert/strict";
import fc from "fast-check";
import {
  parseMessageId,
  parseQueueCommand,
  partitionOfKey,
  partitionsOf,
  placementKey,
  placementName,
  type QueueArgumentLimits,
} from "../../src/queues/mod.ts";

const LIMITS: QueueArgumentLimits = { payloadBytesMax: 10, partitions: 8, waitMaxMs: 60_000 };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function parse(line: string): unknown {
  return parseQueueCommand(line.split(" ").map((word) => encoder.encode(word)), LIMITS);
}

function lineOf(line: string): string {
  const result = parse(line) as { kind?: string; line?: string };
  assert.equal(result.kind, "argumentError", `${line} parsed`);
  return result.line!;
}

Deno.test("queue arguments: every refusal has its exact line", () => {
  const cases: [string, string][] = [
    ["QUEUE.PUSH q", "ERR wrong number of arguments for 'queue.push' command"],
    ["queue.ack q", "ERR wrong number of arguments for 'queue.ack' command"],
    ["QUEUE.ACK q 0-1 x", "ERR wrong number of arguments for 'queue.ack' command"],
    ["QUEUE.TOUCH q 0-1", "ERR wrong number of arguments for 'queue.touch' command"],
    ["QUEUE.LEN", "ERR wrong number of arguments for 'queue.len' command"],
    ["QUEUE.STATS q x", "ERR wrong number of arguments for 'queue.stats' command"],
    ["QUEUE.FLY q", "ERR unknown queue command 'queue.fly'"],
    ["QUEUE.PUSH q p KEY", "ERR syntax error"],
    ["QUEUE.PUSH q p COLOR red", "ERR syntax error"],
    ["QUEUE.PUSH q p DELAY 1.5", "ERR value is not an integer or out of range"],
    ["QUEUE.PUSH q p DELAY 01", "ERR value is not an integer or out of range"],
    ["QUEUE.PUSH q p DELAY -1", "ERR DELAY must be between 0 and 1099511627776"],
    ["QUEUE.PUSH q p TTL 0", "ERR TTL must be between 1 and 1099511627776"],
    ["QUEUE.PUSH q p PRIORITY urgent", "ERR PRIORITY must be high or normal"],
    ["QUEUE.PUSH q 12345678901", "LIMIT payload length 11 exceeds maximum of 10 bytes"],
    ["QUEUE.PUSH q p DEDUP ", "ERR dedup id must not be empty"],
    ["QUEUE.PUSH  p", "ERR queue name must not be empty"],
    ["QUEUE.POP q COUNT 0", "ERR COUNT must be between 1 and 1000"],
    ["QUEUE.POP q COUNT 1001", "ERR COUNT must be between 1 and 1000"],
    ["QUEUE.POP q WAIT 60001", "ERR WAIT must be between 0 and 60000"],
    ["QUEUE.POP q VISIBILITY 0", "ERR VISIBILITY must be between 1 and 1099511627776"],
    ["QUEUE.POP q VISIBILITY x", "ERR value is not an integer or out of range"],
    ["QUEUE.POP q WAIT", "ERR syntax error"],
    ["QUEUE.NACK q 0-1 DELAY", "ERR syntax error"],
    ["QUEUE.NACK q 0-1 LATER 5", "ERR syntax error"],
    ["QUEUE.TOUCH q 0-1 0", "ERR ms must be between 1 and 1099511627776"],
    ["QUEUE.CONFIG q MAXDELIVER 0", "ERR MAXDELIVER must be between 1 and 1000"],
    ["QUEUE.CONFIG q VISIBILITY", "ERR syntax error"],
  ];
  for (const [line, expected] of cases) assert.equal(lineOf(line), expected, line);
  const long = encoder.encode("x".repeat(257));
  const result = parseQueueCommand([encoder.encode("QUEUE.LEN"), long], LIMITS);
  assert.deepEqual(result, {
    kind: "argumentError",
    line: "LIMIT queue name length 257 exceeds maximum of 256 bytes",
  });
  const key = parseQueueCommand(
    ["QUEUE.PUSH", "q", "p", "KEY"].map((w) => encoder.encode(w)).concat([new Uint8Array(513)]),
    LIMITS,
  );
  assert.deepEqual(key, {
    kind: "argumentError",
    line: "LIMIT key length 513 exceeds maximum of 512 bytes",
  });
});

Deno.test("queue arguments: defaults, options in any case and order, the last repeat wins", () => {
  assert.deepEqual(
    plain(parse("queue.push q hi dedup d1 priority HIGH key k ttl 5 delay 7 ttl 9")),
    {
      command: "push",
      queue: "q",
      payload: "hi",
      key: "k",
      delayMs: 7,
      ttlMs: 9,
      priority: "high",
      dedupId: "d1",
    },
  );
  assert.deepEqual(plain(parse("QUEUE.POP q")), {
    command: "pop",
    queue: "q",
    visibilityMs: null,
    waitMs: 0,
    count: 1,
  });
  assert.deepEqual(plain(parse("QUEUE.NACK q 3-17 DELAY 50")), {
    command: "nack",
    queue: "q",
    id: { partition: 3, sequence: 17 },
    delayMs: 50,
  });
  assert.deepEqual(plain(parse("QUEUE.CONFIG q")), {
    command: "config",
    queue: "q",
    maxDeliver: null,
    visibilityMs: null,
  });
  // An id that no push can have made is no error: it names no message (the reply is :0).
  for (const id of ["8-1", "0-0", "01-1", "a-1", "0-", "-1", "0-99999999999999999"]) {
    assert.deepEqual(plain(parse(`QUEUE.ACK q ${id}`)), { command: "ack", queue: "q", id: null });
  }
});

Deno.test("queue arguments: any argument bytes give a request or an error line, never a throw", () => {
  const names = [
    "QUEUE.PUSH",
    "QUEUE.POP",
    "QUEUE.ACK",
    "QUEUE.NACK",
    "QUEUE.TOUCH",
    "QUEUE.LEN",
    "QUEUE.STATS",
    "QUEUE.CONFIG",
  ];
  const words = [
    "KEY",
    "DELAY",
    "TTL",
    "PRIORITY",
    "DEDUP",
    "VISIBILITY",
    "WAIT",
    "COUNT",
    "MAXDELIVER",
    "high",
    "5",
    "-1",
    "0-1",
    "",
  ];
  const argArb = fc.oneof(
    fc.constantFrom(...words).map((w) => encoder.encode(w)),
    fc.uint8Array({ maxLength: 30 }),
  );
  fc.assert(
    fc.property(fc.constantFrom(...names), fc.array(argArb, { maxLength: 9 }), (name, args) => {
      const result = parseQueueCommand([encoder.encode(name), ...args], LIMITS);
      if ("kind" in result) {
        assert.match(result.line, /^(ERR|LIMIT) /);
        return;
      }
      if (result.command === "push") {
        assert.ok(result.payload.length <= LIMITS.payloadBytesMax);
        assert.ok(result.delayMs >= 0 && (result.ttlMs === null || result.ttlMs >= 1));
      }
      if (result.command === "pop") assert.ok(result.count >= 1 && result.waitMs <= 60_000);
      const partitions = partitionsOf(result, LIMITS.partitions, 5);
      assert.ok(partitions.every((p) => p >= 0 && p < LIMITS.partitions));
    }),
    { numRuns: 3_000 },
  );
});

Deno.test("queue routing: ids, placement of dead queues with their queue, key partitions", () => {
  assert.deepEqual(parseMessageId(encoder.encode("7-123"), 8), { partition: 7, sequence: 123 });
  assert.equal(parseMessageId(encoder.encode("7-123"), 7), null);
  assert.equal(decoder.decode(placementName(encoder.encode("q:dead:dead"))), "q");
  assert.equal(decoder.decode(placementName(encoder.encode(":dead"))), ":dead");
  assert.deepEqual(placementKey(encoder.encode("q:dead"), 3), placementKey(encoder.encode("q"), 3));
  assert.notDeepEqual(placementKey(encoder.encode("q"), 3), placementKey(encoder.encode("q"), 4));
  // FNV-1a 32 of "a" is 0xe40c292c; pinned: a change would split every key's messages.
  assert.equal(partitionOfKey(encoder.encode("a"), 2 ** 32 - 1), 0xe40c292c % (2 ** 32 - 1));
  assert.equal(partitionOfKey(encoder.encode("a"), 8), 0xe40c292c % 8);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 1, max: 1024 }), (key, n) => {
      const p = partitionOfKey(key, n);
      assert.ok(Number.isInteger(p) && p >= 0 && p < n);
    }),
  );
});

function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_, v) => (v instanceof Uint8Array ? decoder.decode(v) : v)),
  );
}
