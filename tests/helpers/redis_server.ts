import { pingNode } from "../../src/cluster/node_process.ts";
import { freePort } from "../../src/util/free_ports.ts";

/** How long a started redis-server may take to answer PING. */
const REDIS_START_TIMEOUT_MS = 5_000;

/** A redis-server child on 127.0.0.1. */
export interface RedisServer {
  port: number;
  child: Deno.ChildProcess;
}

/** True when `redis-server` can be run here (tests that need it are skipped otherwise). */
export const HAS_REDIS_SERVER = (() => {
  try {
    return new Deno.Command("redis-server", { args: ["--version"], stdout: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
})();

/** Starts redis-server on `port` (default: a free one), no persistence, and waits for PING. */
export async function startRedisServer(dir: string, port = freePort()): Promise<RedisServer> {
  const child = new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    cwd: dir,
    stdout: "null",
    stderr: "null",
  }).spawn();
  const deadline = performance.now() + REDIS_START_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if (await pingNode("127.0.0.1", port, 500)) return { port, child };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await stopRedisServer({ port, child });
  throw new Error(
    `redis-server did not answer PING on ${port} within ${REDIS_START_TIMEOUT_MS} ms`,
  );
}

/** Stops the server by its PID (SIGKILL) and waits for it to exit. */
export async function stopRedisServer(server: RedisServer): Promise<void> {
  try {
    server.child.kill("SIGKILL");
  } catch {
    // already exited
  }
  await server.child.status;
}
