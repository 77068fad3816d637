/**
 * A redis-server for load tools: on 127.0.0.1 on a free port, persistence in a given directory
 * with `appendfsync always` (every write fsynced before the reply, as dsync does), stopped by PID.
 */
import { pingNode } from "../../src/cluster/node_process.ts";
import { freePort } from "../../src/util/free_ports.ts";

/** A started redis-server. */
export interface RedisServer {
  port: number;
  pid: number;
  process: Deno.ChildProcess;
}

const START_TIMEOUT_MS = 10_000;
const PING_TIMEOUT_MS = 500;
const POLL_INTERVAL_MS = 50;
const STOP_GRACE_MS = 5_000;

/** True when `redis-server --version` runs. */
export async function redisInstalled(): Promise<boolean> {
  try {
    return (await new Deno.Command("redis-server", { args: ["--version"], stdout: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

/** The installed version, e.g. "7.0.15", or "" when it cannot be read. */
export async function redisVersion(): Promise<string> {
  const output = await new Deno.Command("redis-server", { args: ["--version"], stdout: "piped" })
    .output();
  return /v=(\S+)/.exec(new TextDecoder().decode(output.stdout))?.[1] ?? "";
}

/** Starts redis-server with its append-only file in `dataDir`; waits until it answers PING. */
export async function startRedisServer(dataDir: string): Promise<RedisServer> {
  const port = freePort();
  const process = new Deno.Command("redis-server", {
    args: [
      ...["--port", String(port), "--bind", "127.0.0.1", "--save", ""],
      ...["--appendonly", "yes", "--appendfsync", "always", "--dir", dataDir],
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const server = { port, pid: process.pid, process };
  const deadline = performance.now() + START_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if (await pingNode("127.0.0.1", port, PING_TIMEOUT_MS)) return server;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  await stopRedisServer(server);
  throw new Error(`redis-server did not answer PING on port ${port} within ${START_TIMEOUT_MS} ms`);
}

/** SIGTERM by PID (SIGKILL after a grace period); waits for the exit. */
export async function stopRedisServer(server: RedisServer): Promise<void> {
  try {
    server.process.kill("SIGTERM");
  } catch {
    return; // already exited
  }
  const timer = setTimeout(() => {
    try {
      server.process.kill("SIGKILL");
    } catch {
      // exited meanwhile
    }
  }, STOP_GRACE_MS);
  await server.process.status;
  clearTimeout(timer);
}
