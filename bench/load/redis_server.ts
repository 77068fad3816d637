/**
 * One redis-server for load tools on 127.0.0.1, with `appendfsync always` (every write fsync'd
 * before its reply, as dsync does), its files in a given directory, stopped by PID.
 */
import { pingNode } from "../../src/cluster/node_process.ts";
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import { freePort } from "../../src/util/free_ports.ts";

/** A started redis-server. */
export interface RedisServer {
  port: number;
  pid: number;
  process: Deno.ChildProcess;
}

const START_TIMEOUT_MS = 10_000;
const POLL_MS = 50;
const STOP_GRACE_MS = 5_000;

/** The version of the installed redis-server ("7.0.15"), or null when it does not run. */
export async function redisServerVersion(): Promise<string | null> {
  try {
    const output = await new Deno.Command("redis-server", {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!output.success) return null;
    return /v=(\S+)/.exec(new TextDecoder().decode(output.stdout))?.[1] ?? "unknown";
  } catch {
    return null;
  }
}

/** Starts redis-server with its AOF in `dir` and waits (bounded) until it answers PING. */
export async function startRedisServer(dir: string): Promise<RedisServer> {
  const port = freePort();
  const process = new Deno.Command("redis-server", {
    args: [
      ...["--port", String(port), "--bind", "127.0.0.1", "--save", ""],
      ...["--appendonly", "yes", "--appendfsync", "always", "--dir", dir],
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const server = { port, pid: process.pid, process };
  const deadline = performance.now() + START_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if (await pingNode("127.0.0.1", port, 500)) return server;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  await stopRedisServer(server);
  throw new Error(`redis-server did not answer PING on ${port} within ${START_TIMEOUT_MS} ms`);
}

/** `used_memory` of INFO memory, bytes. */
export async function redisUsedMemoryBytes(port: number): Promise<number> {
  const connection = await RespConnection.open("127.0.0.1", port);
  try {
    const text = replyText(await connection.call(["INFO", "memory"]));
    const bytes = Number(/used_memory:(\d+)/.exec(text)?.[1] ?? NaN);
    if (!Number.isFinite(bytes)) throw new Error("INFO memory has no used_memory");
    return bytes;
  } finally {
    connection.close();
  }
}

/** Stops the server by PID (SIGTERM, then SIGKILL after a grace period). */
export async function stopRedisServer(server: RedisServer): Promise<void> {
  try {
    server.process.kill("SIGTERM");
  } catch {
    return; // already gone
  }
  const timer = setTimeout(() => {
    try {
      server.process.kill("SIGKILL");
    } catch {
      // exited meanwhile
    }
  }, STOP_GRACE_MS);
  try {
    await server.process.status;
  } finally {
    clearTimeout(timer);
  }
}
