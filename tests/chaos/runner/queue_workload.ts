/**
 * The queue workload of a chaos run (issue 12): K clients started round-robin on the nodes, each
 * now a producer, now a consumer, on one queue. Producers push payloads never pushed before
 * (`p<process>.<n>`), half of them with a `KEY` from a few keys; consumers `QUEUE.POP` a few
 * messages with a short visibility and, per message, ack it, nack it, let its visibility lapse,
 * or touch it and then ack it. After the run, `drainQueue` takes and acks everything left in the
 * queue and its `:dead` queue and reads both with QUEUE.STATS, so the checker can account for
 * every acknowledged push. Every call is bounded and recorded; error replies are classified by
 * code (`TRYAGAIN`, `NOQUORUM`, `LIMIT`: did not happen), anything else is unknown.
 */
import { SeededRandom } from "../../../src/raft/mod.ts";
import type { HistoryRecorder, JsonValue } from "../history.ts";
import { deadQueueOf } from "../queue_check.ts";
import { delay } from "./harness.ts";
import { WORKLOAD_DEFAULTS, WorkloadClient, type WorkloadSummary } from "./workload.ts";

/** Defaults of the queue workload. */
export const QUEUE_WORKLOAD_DEFAULTS = {
  queue: "chaosq",
  keyCount: 4,
  pushShare: 0.5,
  keyedShare: 0.5,
  popCountMax: 4,
  visibilityMs: 1_500,
} as const;

/** Bounds of the drain after the run. */
export const QUEUE_DRAIN = {
  /** COUNT of a drain POP. */
  popCount: 32,
  /** Visibility of a drain POP: longer than the drain, so nothing comes back during it. */
  visibilityMs: 120_000,
  /** The drain ends once both queues were empty for this long (lapsed messages come back). */
  quietMs: QUEUE_WORKLOAD_DEFAULTS.visibilityMs * 2 + 1_000,
  /** Longest drain, ms, unless the caller gives one (a long run leaves a longer backlog). */
  timeoutMs: 30_000,
  /** Longest drain a caller may ask for, ms. */
  timeoutMsMax: 600_000,
  /**
   * Clients that ack a POP's messages in parallel (a process has one call in flight). A key has one
   * message in flight at a time, so with few keys a POP returns about one message per key and the
   * acks, not the POPs, bound the drain.
   */
  ackLaneCount: 4,
  /** Attempts at each final QUEUE.STATS. */
  statsAttemptsMax: 5,
} as const;

/** Options of `drainQueue`. */
export interface DrainOptions {
  /** Client-side bound on one call, ms (default 3000). */
  readonly callTimeoutMs?: number;
  /** Empty for this long ends the drain, ms (default QUEUE_DRAIN.quietMs). */
  readonly quietMs?: number;
  /** Longest drain, ms (default QUEUE_DRAIN.timeoutMs, at most QUEUE_DRAIN.timeoutMsMax). */
  readonly timeoutMs?: number;
}

/** What a consumer does with one delivered message. */
export type MessageAction = "ack" | "nack" | "lapse" | "touch-ack";

/** Options of `runQueueWorkload`. */
export interface QueueWorkloadOptions {
  /** Client ports of the nodes; client p starts on node p mod N. */
  readonly ports: readonly number[];
  /** Seeds every client's choices. */
  readonly seed: number;
  /** Clients, one history process each (default 10). */
  readonly clientCount?: number;
  /** Keys `k0..` of keyed pushes (default 4). */
  readonly keyCount?: number;
  /** The queue (default `chaosq`). */
  readonly queue?: string;
  /** Client-side bound on one call, ms (default 3000). */
  readonly callTimeoutMs?: number;
  /** Longest pause between operations of a client, ms (default 30). */
  readonly thinkMsMax?: number;
  /** Bound on operations of the whole workload (default 400,000). */
  readonly operationCountMax?: number;
  /** Share of operations that are pushes, the rest POPs (default 0.5). */
  readonly pushShare?: number;
  /** Visibility of the workload's POPs and TOUCHes, ms (default 1500). */
  readonly visibilityMs?: number;
}

/** Draws what to do with a delivered message: ack 55%, nack 15%, lapse 10%, touch then ack 20%. */
export function drawAction(draw: number): MessageAction {
  if (draw < 0.55) return "ack";
  if (draw < 0.7) return "nack";
  if (draw < 0.8) return "lapse";
  return "touch-ack";
}

/** The ids of a POP reply's `[id, payload, count]` messages (the checker judges the shape). */
function messageIds(reply: JsonValue): string[] {
  if (!Array.isArray(reply)) return [];
  return reply.flatMap((m) => (Array.isArray(m) && typeof m[0] === "string" ? [m[0]] : []));
}

/** Runs the workload until `shouldStop()` or the operation bound; records into `recorder`. */
export async function runQueueWorkload(
  recorder: HistoryRecorder,
  options: QueueWorkloadOptions,
  shouldStop: () => boolean,
): Promise<WorkloadSummary> {
  const o = { ...WORKLOAD_DEFAULTS, ...QUEUE_WORKLOAD_DEFAULTS, ...options };
  let operationCount = 0;
  let capped = false;
  const stop = () => {
    if (operationCount >= o.operationCountMax) capped = true;
    return capped || shouldStop();
  };
  const call = async (client: WorkloadClient, args: string[]): Promise<JsonValue | null> => {
    if (!await client.connect()) return null;
    operationCount++;
    const [name, ...rest] = args;
    return await recorder.run(client.process, name!, rest, () => client.call(args))
      .catch(() => null);
  };
  const clients = Array.from(
    { length: o.clientCount },
    (_, p) => new WorkloadClient(p, `c${p}`, o.ports, o.callTimeoutMs),
  );
  await Promise.all(clients.map(async (client) => {
    const random = new SeededRandom((o.seed * 1_000_003 + client.process) >>> 0);
    let pushed = 0;
    try {
      while (!stop()) {
        await delay(random.int(o.thinkMsMax + 1));
        if (random.next() < o.pushShare) {
          const payload = `p${client.process}.${pushed++}`;
          const key = random.next() < o.keyedShare ? ["KEY", `k${random.int(o.keyCount)}`] : [];
          await call(client, ["QUEUE.PUSH", o.queue, payload, ...key]);
          continue;
        }
        const count = 1 + random.int(o.popCountMax);
        const reply = await call(client, [
          ...["QUEUE.POP", o.queue, "VISIBILITY", String(o.visibilityMs)],
          ...["COUNT", String(count)],
        ]);
        for (const id of reply === null ? [] : messageIds(reply)) {
          if (stop()) break;
          const action = drawAction(random.next());
          if (action === "nack") await call(client, ["QUEUE.NACK", o.queue, id]);
          if (action === "touch-ack") {
            await call(client, ["QUEUE.TOUCH", o.queue, id, String(o.visibilityMs)]);
          }
          if (action === "ack" || action === "touch-ack") {
            await call(client, ["QUEUE.ACK", o.queue, id]);
          }
        }
      }
    } finally {
      client.close();
    }
  }));
  return { operationCount, operationCountCapped: capped };
}

/**
 * After the heal: pops (COUNT 32, long visibility) and acks everything in `queue` and its `:dead`
 * queue until both stayed empty for QUEUE_DRAIN.quietMs (or the drain's bound), then reads
 * QUEUE.STATS of both. Recorded as processes `process` (POPs, STATS, acks) and the next
 * QUEUE_DRAIN.ackLaneCount - 1 (acks); a call that fails moves its client to the next node.
 */
export async function drainQueue(
  recorder: HistoryRecorder,
  ports: readonly number[],
  process: number,
  queue: string,
  options: DrainOptions = {},
): Promise<void> {
  const callTimeoutMs = options.callTimeoutMs ?? WORKLOAD_DEFAULTS.callTimeoutMs;
  const quietMs = options.quietMs ?? QUEUE_DRAIN.quietMs;
  const timeoutMs = Math.min(options.timeoutMs ?? QUEUE_DRAIN.timeoutMs, QUEUE_DRAIN.timeoutMsMax);
  const lanes = Array.from(
    { length: QUEUE_DRAIN.ackLaneCount },
    (_, lane) => new WorkloadClient(process + lane, "drain", ports, callTimeoutMs),
  );
  const call = async (client: WorkloadClient, args: string[]): Promise<JsonValue | null> => {
    if (!await client.connect()) return null;
    const [name, ...rest] = args;
    return await recorder.run(client.process, name!, rest, () => client.call(args))
      .catch(() => null);
  };
  const popper = lanes[0]!;
  const deadline = performance.now() + timeoutMs;
  let quietSince = performance.now();
  try {
    while (performance.now() < deadline && performance.now() - quietSince < quietMs) {
      let taken = 0;
      for (const name of [queue, deadQueueOf(queue)]) {
        const reply = await call(popper, [
          ...["QUEUE.POP", name, "VISIBILITY", String(QUEUE_DRAIN.visibilityMs)],
          ...["COUNT", String(QUEUE_DRAIN.popCount)],
        ]);
        const ids = reply === null ? [] : messageIds(reply);
        taken += reply === null ? 1 : ids.length; // a failed POP does not count as empty
        await Promise.all(lanes.map(async (lane, index) => {
          for (let i = index; i < ids.length; i += lanes.length) {
            await call(lane, ["QUEUE.ACK", name, ids[i]!]);
          }
        }));
      }
      if (taken > 0) quietSince = performance.now();
      else await delay(200);
    }
    for (const name of [queue, deadQueueOf(queue)]) {
      for (let attempt = 0; attempt < QUEUE_DRAIN.statsAttemptsMax; attempt++) {
        if (await call(popper, ["QUEUE.STATS", name]) !== null) break;
        await delay(100);
      }
    }
  } finally {
    for (const lane of lanes) lane.close();
  }
}
