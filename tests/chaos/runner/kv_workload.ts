/**
 * The key-value register workload of a chaos run: K clients, started round-robin on the nodes
 * (any node forwards to the key's slot leader), on a few keys spread over slots: `GET k`,
 * `SET k v` with a value never written before, and now and then `DEL k`. Every call is bounded by
 * the client-side timeout and recorded; error replies are classified by code (`TRYAGAIN`,
 * `NOQUORUM` did not happen), anything else is unknown.
 */
import { keySlot, SLOT_COUNT_DEFAULT } from "../../../src/placement/mod.ts";
import { SeededRandom } from "../../../src/raft/mod.ts";
import type { HistoryRecorder } from "../history.ts";
import { delay } from "./harness.ts";
import { WORKLOAD_DEFAULTS, WorkloadClient, type WorkloadSummary } from "./workload.ts";

/** Defaults of the key-value workload. */
export const KV_WORKLOAD_DEFAULTS = {
  keyCount: 6,
  readShare: 0.5,
  deleteShare: 0.1,
} as const;

/** Options of `runKvWorkload`. */
export interface KvWorkloadOptions {
  /** Client ports of the nodes; client p starts on node p mod N. */
  readonly ports: readonly number[];
  /** Seeds every client's choices. */
  readonly seed: number;
  /** Clients, one history process each (default 10). */
  readonly clientCount?: number;
  /** Keys `k0..` (default 6). */
  readonly keyCount?: number;
  /** Client-side bound on one call, ms (default 3000). */
  readonly callTimeoutMs?: number;
  /** Longest pause between operations of a client, ms (default 30). */
  readonly thinkMsMax?: number;
  /** Bound on operations of the whole workload (default 400,000). */
  readonly operationCountMax?: number;
  /** Put before every value written (values stay unique across runs of one history). */
  readonly valuePrefix?: string;
}

/** A key of the workload. */
export function kvKeyName(keyIndex: number): string {
  return `k${keyIndex}`;
}

/** `k0@slot 12, k1@slot 40, ...` with the default slot count (the runner does not change it). */
export function describeKeySlots(keyCount: number): string {
  const encoder = new TextEncoder();
  return Array.from({ length: keyCount }, (_, i) => kvKeyName(i))
    .map((key) => `${key}@slot ${keySlot(encoder.encode(key), SLOT_COUNT_DEFAULT)}`).join(", ");
}

/** Runs the workload until `shouldStop()` or the operation bound; records into `recorder`. */
export async function runKvWorkload(
  recorder: HistoryRecorder,
  options: KvWorkloadOptions,
  shouldStop: () => boolean,
): Promise<WorkloadSummary> {
  const o = { ...WORKLOAD_DEFAULTS, ...KV_WORKLOAD_DEFAULTS, ...options };
  let operationCount = 0;
  let capped = false;
  const stop = () => {
    if (operationCount >= o.operationCountMax) capped = true;
    return capped || shouldStop();
  };
  const clients = Array.from(
    { length: o.clientCount },
    (_, p) => new WorkloadClient(p, `c${p}`, o.ports, o.callTimeoutMs),
  );
  await Promise.all(clients.map(async (client) => {
    const random = new SeededRandom((o.seed * 1_000_003 + client.process) >>> 0);
    let written = 0;
    try {
      while (!stop()) {
        await delay(random.int(o.thinkMsMax + 1));
        if (!await client.connect()) continue;
        const key = kvKeyName(random.int(o.keyCount));
        const draw = random.next();
        const [op, args] = draw < o.readShare
          ? ["GET", [key]]
          : draw < 1 - o.deleteShare
          ? ["SET", [key, `${o.valuePrefix ?? ""}${client.process}.${written++}`]]
          : ["DEL", [key]];
        operationCount++;
        await recorder.run(client.process, op, args, () => client.call([op, ...args]))
          .catch(() => {});
      }
    } finally {
      client.close();
    }
  }));
  return { operationCount, operationCountCapped: capped };
}
