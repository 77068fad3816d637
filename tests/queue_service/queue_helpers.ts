/** Helpers of the queue process tests: clients, retries, replies as plain values. */
import type { Redis } from "ioredis";
import { redisClient, retrying as retryingOn } from "../helpers/redis_retry.ts";
import { eventually } from "../helpers/node_harness.ts";
import { parseClusterGroups } from "../../src/client/cluster_groups.ts";

/** An ioredis client of `node` that never retries by itself. */
export const queueClient = redisClient;

/** Errors a client retries: an election, a moved leader, a node gone, an unknown outcome. */
export const RETRYABLE = /TRYAGAIN|NOQUORUM|TIMEOUT|Connection is closed|ECONNREFUSED|ECONNRESET/;

/** Retries `run` while it fails with a RETRYABLE error, for `timeoutMs` at most. */
export function retrying<T>(run: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  return retryingOn(run, timeoutMs, RETRYABLE);
}

/** One popped message. */
export interface Popped {
  id: string;
  payload: string;
  deliveries: number;
}

/** QUEUE.POP through `redis` with `options`, as plain values. */
export async function pop(redis: Redis, queue: string, ...options: string[]): Promise<Popped[]> {
  const reply = await redis.call("QUEUE.POP", queue, ...options) as [string, string, number][];
  return reply.map(([id, payload, deliveries]) => ({ id, payload, deliveries }));
}

/** QUEUE.STATS counters by name. */
export type QueueStatsReply = Record<
  "ready" | "inflight" | "delayed" | "dead" | "pushed" | "acked" | "redelivered" | "dropped",
  number
>;

/** QUEUE.STATS as an object. */
export async function stats(redis: Redis, queue: string): Promise<QueueStatsReply> {
  const flat = await redis.call("QUEUE.STATS", queue) as (string | number)[];
  const result = {} as QueueStatsReply;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    result[String(flat[i]) as keyof QueueStatsReply] = Number(flat[i + 1]);
  }
  return result;
}

/** A field of `INFO queues` of `redis` as a number. */
export async function queueInfo(redis: Redis, field: string): Promise<number> {
  const text = await redis.info("queues");
  const match = new RegExp(`^${field}:(\\d+)`, "m").exec(text);
  if (match === null) throw new Error(`INFO queues has no ${field}`);
  return Number(match[1]);
}

/** Waits until every slot group of `slotCount` has a leader that `redis` knows. */
export async function slotLeadersKnown(redis: Redis, slotCount: number): Promise<void> {
  await eventually(`${slotCount} slot groups with a leader`, async () => {
    const groups = parseClusterGroups(await redis.call("CLUSTER", "GROUPS") as string);
    const led = groups.filter((group) => group.purpose === "slot" && group.leaderId !== null);
    return led.length === slotCount;
  }, 20_000);
}

/** The leader of the slot group holding partition `partition` of `queue`. */
export async function partitionLeader(
  redis: Redis,
  queue: string,
  partition: number,
): Promise<string> {
  const slot = await redis.call("CLUSTER", "KEYSLOT", `${queue}#${partition}`) as number;
  const groups = parseClusterGroups(await redis.call("CLUSTER", "GROUPS") as string);
  const leader = groups.find((group) => group.slot === slot)?.leaderId ?? null;
  if (leader !== null) return leader;
  throw new Error(`slot ${slot} has no known leader`);
}
