/**
 * The cache section's mixed workload: clients spread over a cluster's nodes each loop on one
 * command at a time, a GET with probability `readShare` and otherwise a SET, on keys picked with
 * a Zipf-like skew from a seeded generator. Latency of every command goes into an HDR histogram.
 */
import * as hdr from "hdr-histogram-js";
import type { RespValue } from "../../../../protocol/resp/mod.ts";
import { SeededRandom } from "../../../../src/raft/random.ts";
import { RespPipeline } from "../../../load/resp_pipeline.ts";
import { SkewedKeyPicker } from "./skewed_keys.ts";

/** Settings of one mixed run. */
export interface MixedLoadOptions {
  /** Client ports of the nodes; client i talks to ports[i % length]. */
  ports: number[];
  clientCount: number;
  seconds: number;
  keyCount: number;
  /** Zipf exponent of the key picker. */
  exponent: number;
  /** Share of GETs, in [0, 1]. */
  readShare: number;
  valueBytes: number;
  seed: number;
  keyPrefix: string;
  requestTimeoutMs: number;
  /** Error replies tolerated; one more ends the run early. */
  errorCountMax: number;
}

/** Outcome of one mixed run. */
export interface MixedLoadResult {
  /** Commands answered without an error reply. */
  operations: number;
  reads: number;
  writes: number;
  errors: number;
  firstError: string | null;
  seconds: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Largest latency the histogram tracks: 120 s in microseconds. */
const LATENCY_US_MAX = 120_000_000;
/** SETs per pipelined batch while filling. */
const FILL_BATCH_COUNT = 100;
/** Connections filling at once. */
const FILL_CONNECTION_COUNT = 6;
const FILL_RETRY_PAUSE_MS = 200;

/** The name of key rank `rank`. */
export function mixedKey(prefix: string, rank: number): string {
  return `${prefix}${String(rank).padStart(8, "0")}`;
}

function isError(reply: RespValue): boolean {
  return reply.type === "error" || reply.type === "blobError";
}

/** What a fill left undone: keys still refused at its deadline, and the last refusal. */
export interface FillOutcome {
  unfilledCount: number;
  lastRefusal: string | null;
}

/**
 * SETs keys `keyName(0 .. keyCount-1)` once (pipelined, spread over the ports), retrying refused
 * ones until `timeoutMs`; says how many were still refused then.
 */
export async function fillKeys(
  ports: number[],
  keyName: (rank: number) => string,
  keyCount: number,
  valueBytes: number,
  timeoutMs: number,
): Promise<FillOutcome> {
  const deadline = performance.now() + timeoutMs;
  const value = "v".repeat(valueBytes);
  let pending = Array.from({ length: keyCount }, (_, rank) => rank);
  let lastRefusal: string | null = null;
  while (pending.length > 0) {
    if (performance.now() > deadline) return { unfilledCount: pending.length, lastRefusal };
    const refused: number[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: FILL_CONNECTION_COUNT }, async (_, i) => {
      const pipeline = await RespPipeline.open(ports[i % ports.length]!);
      try {
        while (next < pending.length) {
          const batch = pending.slice(next, next + FILL_BATCH_COUNT);
          next += batch.length;
          const replies = await pipeline.calls(
            batch.map((rank) => ["SET", keyName(rank), value]),
            timeoutMs,
          );
          replies.forEach((reply, j) => {
            if (!isError(reply)) return;
            refused.push(batch[j]!);
            lastRefusal = JSON.stringify(reply);
          });
        }
      } finally {
        pipeline.close();
      }
    }));
    pending = refused;
    if (pending.length > 0) {
      await new Promise((resolve) => setTimeout(resolve, FILL_RETRY_PAUSE_MS));
    }
  }
  return { unfilledCount: 0, lastRefusal };
}

/** Runs the mixed workload for `seconds`. */
export async function runMixedLoad(options: MixedLoadOptions): Promise<MixedLoadResult> {
  const picker = new SkewedKeyPicker(options.keyCount, options.exponent);
  const value = "w".repeat(options.valueBytes);
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: LATENCY_US_MAX,
    numberOfSignificantValueDigits: 3,
  });
  const tally = { reads: 0, writes: 0, errors: 0, firstError: null as string | null };
  const pipelines = await Promise.all(
    Array.from(
      { length: options.clientCount },
      (_, i) => RespPipeline.open(options.ports[i % options.ports.length]!),
    ),
  );
  const started = performance.now();
  const endAt = started + options.seconds * 1000;
  try {
    await Promise.all(pipelines.map(async (pipeline, i) => {
      const random = new SeededRandom(options.seed + i);
      while (performance.now() < endAt && tally.errors <= options.errorCountMax) {
        const read = random.next() < options.readShare;
        const key = mixedKey(options.keyPrefix, picker.pick(random.next()));
        const sent = performance.now();
        const [reply] = await pipeline.calls(
          [read ? ["GET", key] : ["SET", key, value]],
          options.requestTimeoutMs,
        );
        if (isError(reply!)) {
          tally.errors++;
          tally.firstError ??= JSON.stringify(reply);
          continue;
        }
        histogram.recordValue(Math.max(1, Math.round((performance.now() - sent) * 1000)));
        if (read) tally.reads++;
        else tally.writes++;
      }
    }));
  } finally {
    for (const pipeline of pipelines) pipeline.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const operations = tally.reads + tally.writes;
  const ms = (percentile: number) =>
    operations === 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1000;
  const result = {
    operations,
    ...tally,
    seconds,
    opsPerSecond: operations / seconds,
    p50Ms: ms(50),
    p99Ms: ms(99),
  };
  histogram.destroy();
  return result;
}
