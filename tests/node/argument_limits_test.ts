import assert from "node:assert/strict";
import { encodeCommand, RespReplyDecoder, type RespValue } from "../../protocol/resp/mod.ts";
import {
  eventually,
  planTestCluster,
  startTestNode,
  stopTestCluster,
} from "../helpers/node_harness.ts";
import {
  ARGUMENT_COUNT_MAX,
  type ArgumentCase,
  BULK_BYTES_MAX,
  COMMAND_CASES,
  PASSWORD,
} from "./argument_limit_cases.ts";
import { CONTRACT_ERROR_CODES } from "../../src/commands/replies.ts";

const REPLY_WAIT_MS = 15_000;
const decoder = new TextDecoder();

/** A reply as text: errors `-CODE ...`, strings as they are, integers, aggregates as JSON. */
function text(value: RespValue): string {
  if (value.type === "error" || value.type === "blobError") return `-${value.value}`;
  const plain = toPlain(value);
  return typeof plain === "string" ? plain : JSON.stringify(plain);
}

function toPlain(value: RespValue): unknown {
  switch (value.type) {
    case "simple":
      return value.value;
    case "bulk":
    case "verbatim":
      return decoder.decode(value.value);
    case "integer":
      return String(value.value);
    case "null":
      return null;
    case "array":
    case "set":
    case "push":
      return value.value.map(toPlain);
    case "map":
      return value.value.flatMap(([key, item]) => [toPlain(key), toPlain(item)]);
    default:
      return JSON.stringify(value);
  }
}

/**
 * The bytes of a call. A call with an argument past the bulk limit, or past the argument count,
 * is cut right after the header the node refuses it on: the node has then read every byte sent
 * before it closes, so its reply cannot be lost to a TCP reset.
 */
function requestBytes(args: string[]): Uint8Array {
  if (args.length > ARGUMENT_COUNT_MAX) return new TextEncoder().encode(`*${args.length}\r\n`);
  const oversize = args.findIndex((arg) => arg.length > BULK_BYTES_MAX);
  if (oversize < 0) return encodeCommand(args);
  const head = encodeCommand(args.slice(0, oversize));
  const headerLength = head.indexOf(13) + 2; // drop the `*n` line of the partial encoding
  const bytes = `*${args.length}\r\n${decoder.decode(head.subarray(headerLength))}` +
    `$${args[oversize]!.length}\r\n`;
  return new TextEncoder().encode(bytes);
}

/** Authenticates, sends one call, returns its reply and whether the node closed the connection. */
async function exchange(port: number, args: string[]): Promise<{ reply: string; closed: boolean }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), REPLY_WAIT_MS);
  const replies = new RespReplyDecoder();
  const buffer = new Uint8Array(64 * 1024);
  const next = async (): Promise<RespValue | null> => {
    for (;;) {
      const value = replies.next();
      if (value !== undefined) return value;
      const count = await conn.read(buffer).catch(() => null);
      if (count === null) return null;
      replies.push(buffer.subarray(0, count));
    }
  };
  try {
    await write(conn, encodeCommand(["AUTH", PASSWORD]));
    assert.equal(text((await next())!), "OK");
    await write(conn, requestBytes(args));
    const reply = await next();
    if (reply === null) throw new Error(`no reply to ${preview(args)}`);
    // Still open: a PING is answered. Closed: the write fails or the read sees the end.
    const pinged = await write(conn, encodeCommand(["PING"])).then(next, () => null);
    if (pinged !== null) assert.equal(text(pinged), "PONG");
    return { reply: text(reply), closed: pinged === null };
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed by the timer or the node
    }
  }
}

async function write(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) offset += await conn.write(bytes.subarray(offset));
}

function preview(args: string[]): string {
  const shown = args.slice(0, 6).map((arg) => arg.length > 40 ? `<${arg.length} bytes>` : arg);
  return shown.join(" ") + (args.length > 6 ? ` ... (${args.length} args)` : "");
}

/** Sends a call that must not close the connection; returns its reply. */
async function served(port: number, args: string[]): Promise<string> {
  const { reply, closed } = await exchange(port, args);
  assert.ok(!closed, `${preview(args)} closed the connection`);
  return reply;
}

/** The table of the running node: every command and subcommand name COMMAND reports. */
async function tableNames(port: number): Promise<string[]> {
  const { reply } = await exchange(port, ["COMMAND"]);
  const specs = JSON.parse(reply) as unknown[][];
  return specs.flatMap((spec) => {
    const subs = spec[9] as unknown[][];
    return subs.length === 0 ? [spec[0] as string] : subs.map((sub) => sub[0] as string);
  });
}

async function checkCase(port: number, command: string, c: ArgumentCase): Promise<void> {
  const where = `${command} ${c.argument}`;
  for (const setup of c.setup ?? []) {
    assert.doesNotMatch(await served(port, setup), /^-/, `${where}: setup ${preview(setup)}`);
  }
  const atLimit = await served(port, c.atLimit);
  assert.match(atLimit.slice(0, 200), c.atLimitReply, `${where} at its limit: ${atLimit}`);
  const past = await exchange(port, c.pastLimit);
  assert.equal(past.reply.slice(0, 300), c.pastLimitReply, `${where} past its limit`);
  assert.equal(past.closed, c.closes, `${where}: connection closed after the refusal`);
  const code = past.reply.slice(1, past.reply.indexOf(" "));
  assert.ok(CONTRACT_ERROR_CODES.has(code), `${where}: code ${code} is not in the contract`);
}

Deno.test("every argument of every command: served at its limit, -LIMIT / -ERR past it", async (t) => {
  const plan = await planTestCluster(1);
  const node = await startTestNode(plan, "n1", [
    ...["--max-bulk-bytes", String(BULK_BYTES_MAX), "--requirepass", PASSWORD],
  ]);
  try {
    await eventually("the node leads its one-node cluster", async () => {
      const { reply } = await exchange(node.clientPort, ["CLUSTER", "INFO"]);
      return reply.includes("role:leader");
    }, REPLY_WAIT_MS);
    await t.step("the table has an entry for each command of the node, and no other", async () => {
      const names = await tableNames(node.clientPort);
      const covered = COMMAND_CASES.map((entry) => entry.command);
      assert.deepEqual([...covered].sort(), [...names].sort());
      for (const entry of COMMAND_CASES) {
        assert.ok(
          entry.cases.length > 0 || entry.noArguments !== undefined,
          `${entry.command} has neither argument cases nor a reason for having none`,
        );
      }
    });
    await t.step("ACL categories: every lock, queue and cache command is in its own", async () => {
      const names = await tableNames(node.clientPort);
      const families: Array<[string, (name: string) => boolean]> = [
        ["lock", (name) => name.startsWith("lock.")],
        ["queue", (name) => name.startsWith("queue.") && name !== "queue.share"],
        [
          "cache",
          (name) =>
            ["get", "set", "del", "exists", "mget", "mset", "pttl"].includes(name) ||
            name.startsWith("cache."),
        ],
      ];
      for (const [category, member] of families) {
        const { reply } = await exchange(node.clientPort, ["ACL", "CAT", category]);
        const listed = new Set(JSON.parse(reply) as string[]);
        const expected = names.filter(member);
        assert.ok(expected.length > 0, `no ${category} commands in the table`);
        for (const name of expected) assert.ok(listed.has(name), `${name} is not in @${category}`);
      }
    });
    for (const entry of COMMAND_CASES) {
      if (entry.cases.length === 0) continue;
      await t.step(entry.command, async () => {
        for (const c of entry.cases) await checkCase(node.clientPort, entry.command, c);
      });
    }
  } finally {
    await stopTestCluster([node], plan);
  }
});
