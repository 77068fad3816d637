/** An ioredis client for process tests, and retries of refusals that applied nothing. */
import { Redis } from "ioredis";
import type { TestNode } from "./node_harness.ts";

/** Refusals that applied nothing: the group's leader moved or is being elected. */
export const NOT_APPLIED = /TRYAGAIN|NOQUORUM/;

/** An ioredis client of `node` that never retries by itself. */
export function redisClient(node: TestNode): Redis {
  return new Redis({ port: node.clientPort, host: "127.0.0.1", maxRetriesPerRequest: 0 });
}

/** Retries `run` every 100 ms while it fails with an error matching `retryOn`, up to `timeoutMs`. */
export async function retrying<T>(
  run: () => Promise<T>,
  timeoutMs: number,
  retryOn: RegExp = NOT_APPLIED,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    try {
      return await run();
    } catch (error) {
      if (!retryOn.test(String(error)) || performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
