/**
 * The queue workload of `bench/load/queue_bench.ts`, independent of the system under test: P
 * producers each push and await the acknowledgement, for a bounded time; then C consumers each
 * take a batch and ack every message of it, until everything pushed was taken (or a bound). The
 * latency of every push, and of every batch (take + acks), goes into an HDR histogram.
 */
import cliProgress from "cli-progress";
import * as hdr from "hdr-histogram-js";

/** One client of a queue system (dsync or NATS JetStream). */
export interface QueueBenchClient {
  /** Pushes one message; resolves once the system acknowledged it as stored. */
  push(payload: Uint8Array): Promise<void>;
  /** Takes up to `count` messages and acks each (acks awaited); resolves to how many: 0 = none. */
  popAck(count: number): Promise<number>;
  /** Releases the client's resources. */
  close(): Promise<void>;
}

/** Opens client number `clientIndex` (0-based; decides the node it talks to). */
export type OpenQueueClient = (clientIndex: number) => Promise<QueueBenchClient>;

/** Thrown by a client whose system does not serve the queue commands: the level cannot run. */
export class CommandsNotServedError extends Error {
  /** `message` says which command was refused and how. */
  constructor(message: string) {
    super(message);
    this.name = "CommandsNotServedError";
  }
}

/** Settings of one push level. */
export interface PushLevelOptions {
  /** Name of the system under test, for the progress bar. */
  target: string;
  /** Concurrent producers. */
  producerCount: number;
  /** No push starts after this many seconds. */
  seconds: number;
  /** Bytes of every payload. */
  payloadBytes: number;
  /** Errors tolerated; one more ends the level early (`aborted`). */
  errorCountMax: number;
  /** Draw a cli-progress bar on stderr. */
  progress: boolean;
}

/** Settings of one consume level. */
export interface ConsumeLevelOptions {
  /** Name of the system under test, for the progress bar. */
  target: string;
  /** Concurrent consumers. */
  consumerCount: number;
  /** Messages asked for per take (`COUNT`). */
  batchCount: number;
  /** Messages to take in all (what the push levels stored). */
  messageCount: number;
  /** The level ends after this many seconds even if messages are left. */
  secondsMax: number;
  /** A consumer stops after this many empty takes in a row. */
  emptyTakesMax: number;
  /** Errors tolerated; one more ends the level early (`aborted`). */
  errorCountMax: number;
  /** Draw a cli-progress bar on stderr. */
  progress: boolean;
}

/** Outcome of one level, push or consume. */
export interface QueueLevelResult {
  /** Messages pushed and acknowledged, or taken and acked. */
  messages: number;
  /** Calls measured: pushes, or takes that returned messages. */
  calls: number;
  errors: number;
  /** The first error's message, if any. */
  firstError: string | null;
  /** True when the level ended early because errors exceeded the bound. */
  aborted: boolean;
  /** Wall time of the level in seconds. */
  seconds: number;
  messagesPerSecond: number;
  /** Latency of one call (a push; a take and its acks), ms. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const PROGRESS_INTERVAL_MS = 250;
/** Largest latency the histogram tracks: 120 s in microseconds. */
const LATENCY_US_MAX = 120_000_000;

interface Tally {
  messages: number;
  calls: number;
  errors: number;
  firstError: string | null;
  aborted: boolean;
  notServed: CommandsNotServedError | null;
}

function newHistogram(): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: LATENCY_US_MAX,
    numberOfSignificantValueDigits: 3,
  });
}

function record(histogram: hdr.Histogram, sentMs: number): void {
  histogram.recordValue(Math.max(1, Math.round((performance.now() - sentMs) * 1000)));
}

/** Counts an error; a CommandsNotServedError ends the level at once (thrown by `finish`). */
function countError(tally: Tally, error: unknown, errorCountMax: number): void {
  if (error instanceof CommandsNotServedError) {
    tally.notServed ??= error;
    tally.aborted = true;
    return;
  }
  tally.errors++;
  tally.firstError ??= error instanceof Error ? error.message : String(error);
  if (tally.errors > errorCountMax) tally.aborted = true;
}

/** A payload of `bytes` bytes, the same for every push (content does not matter to either side). */
export function benchPayload(bytes: number): Uint8Array {
  return new Uint8Array(bytes).fill(0x61);
}

/** Runs one push level: every producer pushes and awaits, until the time is up. */
export async function runPushLevel(
  open: OpenQueueClient,
  options: PushLevelOptions,
): Promise<QueueLevelResult> {
  const payload = benchPayload(options.payloadBytes);
  const clients = await openAll(open, options.producerCount);
  const tally = newTally();
  const histogram = newHistogram();
  const label = `${options.target} push P=${options.producerCount}`;
  const bar = options.progress ? startBar(label, options.seconds, "s", () => tally.messages) : null;
  const started = performance.now();
  const endAt = started + options.seconds * 1000;
  try {
    await Promise.all(clients.map(async (client) => {
      while (performance.now() < endAt && !tally.aborted) {
        const sent = performance.now();
        try {
          await client.push(payload);
          tally.messages++;
          tally.calls++;
          record(histogram, sent);
        } catch (error) {
          countError(tally, error, options.errorCountMax);
        }
      }
    }));
  } finally {
    bar?.stop();
    await Promise.all(clients.map((client) => client.close()));
  }
  return finish(tally, histogram, started);
}

/** Runs one consume level: every consumer takes batches and acks them until all are taken. */
export async function runConsumeLevel(
  open: OpenQueueClient,
  options: ConsumeLevelOptions,
): Promise<QueueLevelResult> {
  const clients = await openAll(open, options.consumerCount);
  const tally = newTally();
  const histogram = newHistogram();
  const label = `${options.target} pop+ack C=${options.consumerCount}`;
  const bar = options.progress
    ? startBar(label, options.messageCount, "msgs", () => tally.messages)
    : null;
  const started = performance.now();
  const endAt = started + options.secondsMax * 1000;
  try {
    await Promise.all(clients.map(async (client) => {
      let emptyTakes = 0;
      while (
        tally.messages < options.messageCount && emptyTakes < options.emptyTakesMax &&
        performance.now() < endAt && !tally.aborted
      ) {
        const sent = performance.now();
        try {
          const taken = await client.popAck(options.batchCount);
          if (taken === 0) {
            emptyTakes++;
            continue;
          }
          emptyTakes = 0;
          tally.messages += taken;
          tally.calls++;
          record(histogram, sent);
        } catch (error) {
          countError(tally, error, options.errorCountMax);
        }
      }
    }));
  } finally {
    bar?.stop();
    await Promise.all(clients.map((client) => client.close()));
  }
  return finish(tally, histogram, started);
}

function newTally(): Tally {
  return { messages: 0, calls: 0, errors: 0, firstError: null, aborted: false, notServed: null };
}

function finish(tally: Tally, histogram: hdr.Histogram, startedMs: number): QueueLevelResult {
  if (tally.notServed !== null) {
    histogram.destroy();
    throw tally.notServed;
  }
  const { notServed: _, ...counts } = tally;
  const seconds = (performance.now() - startedMs) / 1000;
  const ms = (percentile: number) =>
    tally.calls === 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1000;
  const result: QueueLevelResult = {
    ...counts,
    seconds,
    messagesPerSecond: tally.messages / seconds,
    p50Ms: ms(50),
    p99Ms: ms(99),
    maxMs: tally.calls === 0 ? 0 : histogram.maxValue / 1000,
  };
  histogram.destroy();
  return result;
}

/** Opens `count` clients; if one fails, closes the others and throws its error. */
async function openAll(open: OpenQueueClient, count: number): Promise<QueueBenchClient[]> {
  const settled = await Promise.allSettled(Array.from({ length: count }, (_, i) => open(i)));
  const clients: QueueBenchClient[] = [];
  let failure: unknown = null;
  for (const outcome of settled) {
    if (outcome.status === "fulfilled") clients.push(outcome.value);
    else failure ??= outcome.reason;
  }
  if (failure === null) return clients;
  await Promise.all(clients.map((client) => client.close()));
  throw failure;
}

function startBar(
  label: string,
  total: number,
  unit: "s" | "msgs",
  messages: () => number,
): { stop(): void } {
  const bar = new cliProgress.SingleBar({
    format: `  ${label.padEnd(30)} |{bar}| {value}/{total} ${unit}, {messages} msgs`,
  }, cliProgress.Presets.shades_classic);
  const started = performance.now();
  bar.start(total, 0, { messages: 0 });
  const current = () =>
    unit === "s"
      ? Math.min(total, Math.floor((performance.now() - started) / 1000))
      : Math.min(total, messages());
  const ticker = setInterval(
    () => bar.update(current(), { messages: messages() }),
    PROGRESS_INTERVAL_MS,
  );
  return {
    stop() {
      clearInterval(ticker);
      bar.update(current(), { messages: messages() });
      bar.stop();
    },
  };
}
