import assert from "node:assert/strict";
import { encodeCommand, RespReplyDecoder } from "../../protocol/resp/mod.ts";
import {
  eventually,
  planTestCluster,
  startTestNode,
  stopTestCluster,
} from "../helpers/node_harness.ts";
import { clusterInfo } from "../helpers/resp_call.ts";
import { PENDING_REPLIES_MAX } from "../../src/server/client_connection.ts";

const LOCK_COUNT = PENDING_REPLIES_MAX + 200;
const WAIT_MS = 30_000;
/** Far below WAIT_MS: replies that only come once the waits time out fail the test. */
const ANSWERED_WITHIN_MS = 15_000;

/** Writes every command on one connection, reads `commands.length` replies or gives up. */
async function pipeline(port: number, commands: string[][]): Promise<string[]> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), ANSWERED_WITHIN_MS);
  const replies: string[] = [];
  try {
    const reading = (async () => {
      const decoder = new RespReplyDecoder();
      const buffer = new Uint8Array(64 * 1024);
      while (replies.length < commands.length) {
        const count = await conn.read(buffer).catch(() => null);
        if (count === null) return;
        decoder.push(buffer.subarray(0, count));
        for (let value = decoder.next(); value !== undefined; value = decoder.next()) {
          replies.push(value.type === "null" ? "null" : `${value.type}:${String(value.value)}`);
        }
      }
    })();
    for (const command of commands) {
      const bytes = encodeCommand(command);
      for (let offset = 0; offset < bytes.length;) {
        offset += await conn.write(bytes.subarray(offset)).catch(() => bytes.length);
      }
    }
    await reading;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed by the timer
    }
  }
  return replies;
}

Deno.test(
  "a pipeline of more blocking waits than the outstanding-reply bound, then the releases that end them, is answered without waiting for the waits to time out",
  async () => {
    const plan = await planTestCluster(1);
    const node = await startTestNode(plan, "n1", []);
    try {
      await eventually(
        "n1 leads",
        async () => (await clusterInfo(node.clientPort)).get("role") === "leader",
        20_000,
      );
      const names = Array.from({ length: LOCK_COUNT }, (_, i) => `w${i}`);
      const held = await pipeline(
        node.clientPort,
        names.map((name) => ["LOCK.ACQUIRE", name, "holder", "TTL", "60000"]),
      );
      const notHeld = held.filter((reply) => !reply.startsWith("integer:"));
      assert.deepEqual(notHeld, [], `${held.length} replies`);
      // The waits park until the releases behind them in the same pipeline run: a connection
      // that stops reading once PENDING_REPLIES_MAX replies are outstanding never gets there.
      const startedMs = performance.now();
      const replies = await pipeline(node.clientPort, [
        ...names.map((name) => ["LOCK.ACQUIRE", name, "waiter", "WAIT", String(WAIT_MS)]),
        ...names.map((name) => ["LOCK.RELEASE", name, "holder"]),
      ]);
      const elapsedMs = performance.now() - startedMs;
      assert.equal(replies.length, 2 * LOCK_COUNT, `answered ${replies.length} in ${elapsedMs} ms`);
      const grants = replies.slice(0, LOCK_COUNT);
      assert.equal(grants.filter((reply) => reply.startsWith("integer:")).length, LOCK_COUNT);
      assert.deepEqual(new Set(replies.slice(LOCK_COUNT)), new Set(["integer:1"]));
    } finally {
      await stopTestCluster([node], plan);
    }
  },
);
