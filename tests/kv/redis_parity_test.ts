import assert from "node:assert/strict";
import fc from "fast-check";
import { RespConnection } from "../../src/client/resp_connection.ts";
import { type KvRequest, parseKvCommand } from "../../src/kv/mod.ts";
import { freePort } from "../../src/util/free_ports.ts";
import type { RespValue } from "../../protocol/resp/mod.ts";
import { ERROR_CASES } from "./redis_cases.ts";

/**
 * Differential test: the argument errors and SET option meanings of parseKvCommand against a
 * real redis-server 7 started here on 127.0.0.1 (CI installs it; skipped where it is missing).
 */
const hasRedis = (() => {
  try {
    return new Deno.Command("redis-server", { args: ["--version"], stdout: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
})();

const encoder = new TextEncoder();
const START_TIMEOUT_MS = 5_000;

async function startRedis(dir: string): Promise<{ child: Deno.ChildProcess; port: number }> {
  const port = freePort();
  const child = new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    cwd: dir,
    stdout: "null",
    stderr: "null",
  }).spawn();
  const deadline = performance.now() + START_TIMEOUT_MS;
  while (performance.now() < deadline) {
    try {
      const connection = await RespConnection.open("127.0.0.1", port);
      connection.close();
      return { child, port };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  child.kill("SIGKILL");
  await child.status;
  throw new Error(`redis-server did not listen on ${port} within ${START_TIMEOUT_MS} ms`);
}

function parse(args: string[]) {
  return parseKvCommand(args.map((arg) => encoder.encode(arg)), { valueBytesMax: 1024 });
}

/** Our error line for `args` must be Redis's; a request we accept must not be an error there. */
async function checkSame(connection: RespConnection, args: string[]): Promise<KvRequest | null> {
  const ours = parse(args);
  const reply: RespValue = await connection.call(args);
  if ("kind" in ours) {
    assert.deepEqual(reply, { type: "error", value: ours.line }, args.join(" "));
    return null;
  }
  assert.notEqual(reply.type, "error", `${args.join(" ")}: redis says ${JSON.stringify(reply)}`);
  return ours;
}

const TOKENS = ["NX", "XX", "nx", "xX", "EX", "PX", "ex", "Px", "10", "1", "0", "-1", "abc"];

Deno.test({
  name: "kv arguments: same errors and SET meanings as redis-server",
  ignore: !hasRedis,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kv-redis-" });
    const { child, port } = await startRedis(dir);
    const connection = await RespConnection.open("127.0.0.1", port);
    try {
      for (const [args] of ERROR_CASES) await checkSame(connection, args);
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.constantFrom(...TOKENS), { maxLength: 5 }),
          async (options) => {
            await connection.call(["DEL", "k"]);
            const request = await checkSame(connection, ["SET", "k", "v", ...options]);
            if (request === null || request.command !== "set") return;
            // Redis's own reading of the options: the condition on a missing key, then the TTL.
            const reply = await connection.call(["GET", "k"]);
            assert.equal(
              reply.type === "bulk",
              request.condition !== "ifExists",
              options.join(" "),
            );
            if (request.condition === "ifExists") return;
            const pttl = await connection.call(["PTTL", "k"]);
            assert.equal(pttl.type, "integer");
            const ms = Number((pttl as { value: number | bigint }).value);
            if (request.ttlMs === null) assert.equal(ms, -1, options.join(" "));
            else assert.ok(ms > request.ttlMs - 1_000 && ms <= request.ttlMs, options.join(" "));
          },
        ),
        { numRuns: 300 },
      );
    } finally {
      connection.close();
      child.kill("SIGTERM");
      await child.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
