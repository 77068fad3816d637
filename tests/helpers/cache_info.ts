import assert from "node:assert/strict";
import type { Redis } from "ioredis";

/** CACHE.STATS as a map. */
export async function cacheStats(redis: Redis): Promise<Map<string, number>> {
  const flat = await redis.call("CACHE.STATS") as Array<string | number>;
  const stats = new Map<string, number>();
  for (let i = 0; i < flat.length; i += 2) stats.set(String(flat[i]), Number(flat[i + 1]));
  return stats;
}

/** One numeric field of INFO cache (asserts that it is there). */
export async function cacheInfoField(redis: Redis, name: string): Promise<number> {
  const match = new RegExp(`^${name}:(\\d+)`, "m").exec(await redis.info("cache"));
  assert.ok(match !== null, `INFO cache has ${name}`);
  return Number(match[1]);
}
