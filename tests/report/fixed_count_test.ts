import assert from "node:assert/strict";
import { RespRequestDecoder } from "../../protocol/resp/mod.ts";
import { isTryAgain, runFixedCount } from "../../bench/load/fixed_count.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A RESP server on 127.0.0.1 that answers `-TRYAGAIN ...` to the first `tryAgainCount` commands
 * and `+OK` to the rest, recording every command's key. Closed by the returned function.
 */
function fakeServer(tryAgainCount: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const keys: string[] = [];
  let answered = 0;
  const serve = async () => {
    for await (const conn of listener) {
      (async () => {
        const requests = new RespRequestDecoder();
        const buffer = new Uint8Array(4096);
        try {
          for (;;) {
            const count = await conn.read(buffer);
            if (count === null) return;
            requests.push(buffer.subarray(0, count));
            let reply = "";
            for (let args = requests.next(); args !== undefined; args = requests.next()) {
              keys.push(decoder.decode(args[1]));
              reply += answered++ < tryAgainCount
                ? "-TRYAGAIN leadership changed before the commit\r\n"
                : "+OK\r\n";
            }
            await conn.write(encoder.encode(reply));
          }
        } catch {
          // client closed
        } finally {
          conn.close();
        }
      })();
    }
  };
  const serving = serve().catch(() => {});
  const port = (listener.addr as Deno.NetAddr).port;
  return {
    port,
    keys,
    close: async () => {
      listener.close();
      await serving;
    },
  };
}

function options(port: number) {
  return {
    ports: [port],
    connectionCount: 2,
    batchSize: 4,
    count: 20,
    timeoutMs: 5_000,
    batchTimeoutMs: 5_000,
    command: (i: number) => ["SET", `k${i}`, "v"],
    accept: (reply: { type: string }) => reply.type === "simple",
  };
}

Deno.test("runFixedCount sends a -TRYAGAIN command again and completes every index", async () => {
  const server = fakeServer(3);
  try {
    const result = await runFixedCount({ ...options(server.port), resend: isTryAgain });
    assert.equal(result.completed, 20);
    assert.equal(result.resendCount, 3);
    assert.equal(result.timedOut, false);
    assert.equal(server.keys.length, 23);
    assert.deepEqual(
      [...new Set(server.keys)].sort(),
      Array.from({ length: 20 }, (_, i) => `k${i}`).sort(),
    );
  } finally {
    await server.close();
  }
});

Deno.test("runFixedCount without resend fails on the first -TRYAGAIN", async () => {
  const server = fakeServer(1);
  try {
    await assert.rejects(runFixedCount(options(server.port)), /SET answered -TRYAGAIN/);
  } finally {
    await server.close();
  }
});
