/**
 * The workload of `deno task report --only locks` (and, one operation per cycle, `--only kv`),
 * independent of the service: C clients each loop cycles (acquire+release) on random names from a
 * pool, for a bounded time, recording the latency of every completed cycle in an HDR histogram.
 */
import cliProgress from "cli-progress";
import * as hdr from "hdr-histogram-js";

/** What one cycle ended with: granted and released, or not granted within WAIT. */
export type CycleOutcome = "done" | "not-granted";

/** One client of a lock service (dsync or etcd). */
export interface LockClient {
  /** Acquires `name`, then releases it; throws on an error or a timed-out request. */
  cycle(name: string): Promise<CycleOutcome>;
  /** Releases the client's resources (connection, lease). */
  close(): Promise<void>;
}

/** Opens client number `clientIndex` (0-based; decides its owner and the node it talks to). */
export type OpenClient = (clientIndex: number) => Promise<LockClient>;

/** Settings of one load level. */
export interface LevelOptions {
  /** Name of the system under test, for the progress bar and the results. */
  target: string;
  /** Concurrent clients (C). */
  clientCount: number;
  /** Duration of the level in seconds; no cycle starts after it. */
  seconds: number;
  /** Names are drawn uniformly from `lock-0` .. `lock-(nameCount - 1)`. */
  nameCount: number;
  /** Prefix of every name instead of `lock-` (key-value levels use `key-`). */
  namePrefix?: string;
  /** Errors tolerated in the level; one more ends the level early (`aborted`). */
  errorCountMax: number;
  /** Draw a cli-progress bar on stderr. */
  progress: boolean;
}

/** Outcome of one level. */
export interface LevelResult {
  target: string;
  clients: number;
  /** Completed cycles (acquire granted and release acknowledged). */
  cycles: number;
  /** Acquires that were not granted within WAIT. */
  notGranted: number;
  errors: number;
  /** The first error's message, if any. */
  firstError: string | null;
  /** True when the level ended early because errors exceeded `errorCountMax`. */
  aborted: boolean;
  /** From the first cycle until the last client finished its last cycle, in seconds. */
  seconds: number;
  cyclesPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

const PROGRESS_INTERVAL_MS = 250;
/** Largest latency the histogram tracks: 120 s in microseconds (every request times out sooner). */
const LATENCY_US_MAX = 120_000_000;

interface Tally {
  cycles: number;
  notGranted: number;
  errors: number;
  firstError: string | null;
  aborted: boolean;
}

/** Runs one level: opens every client, loops cycles until the time is up, closes the clients. */
export async function runLevel(open: OpenClient, options: LevelOptions): Promise<LevelResult> {
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: LATENCY_US_MAX,
    numberOfSignificantValueDigits: 3,
  });
  const clients: Array<LockClient | null> = await openAll(open, options.clientCount);
  const tally: Tally = { cycles: 0, notGranted: 0, errors: 0, firstError: null, aborted: false };
  const bar = options.progress ? startBar(options, () => tally.cycles) : null;
  const started = performance.now();
  const endAt = started + options.seconds * 1000;
  try {
    await Promise.all(clients.map(async (client, i) => {
      clients[i] = await loopCycles(client!, i, open, endAt, options, tally, histogram);
    }));
  } finally {
    bar?.stop();
    await Promise.all(clients.map((client) => client?.close()));
  }
  const elapsed = (performance.now() - started) / 1000;
  const ms = (percentile: number) =>
    tally.cycles === 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1000;
  const result: LevelResult = {
    target: options.target,
    clients: options.clientCount,
    ...tally,
    seconds: elapsed,
    cyclesPerSecond: tally.cycles / elapsed,
    p50Ms: ms(50),
    p95Ms: ms(95),
    p99Ms: ms(99),
    maxMs: tally.cycles === 0 ? 0 : histogram.maxValue / 1000,
  };
  histogram.destroy();
  return result;
}

/** Opens `clientCount` clients; if one fails, closes the others and throws its error. */
async function openAll(open: OpenClient, clientCount: number): Promise<LockClient[]> {
  const settled = await Promise.allSettled(Array.from({ length: clientCount }, (_, i) => open(i)));
  const clients: LockClient[] = [];
  let failure: unknown = null;
  for (const outcome of settled) {
    if (outcome.status === "fulfilled") clients.push(outcome.value);
    else failure ??= outcome.reason;
  }
  if (failure === null) return clients;
  await Promise.all(clients.map((client) => client.close()));
  throw failure;
}

/**
 * One client's loop; on an error it reopens its client. Returns the client it ends with, or null
 * when reopening failed (which ends the level: `aborted`).
 */
async function loopCycles(
  first: LockClient,
  clientIndex: number,
  open: OpenClient,
  endAt: number,
  options: LevelOptions,
  tally: Tally,
  histogram: hdr.Histogram,
): Promise<LockClient | null> {
  let client = first;
  while (performance.now() < endAt && !tally.aborted) {
    const name = `${options.namePrefix ?? "lock-"}${Math.floor(Math.random() * options.nameCount)}`;
    const sent = performance.now();
    try {
      const outcome = await client.cycle(name);
      if (outcome === "not-granted") {
        tally.notGranted++;
        continue;
      }
      tally.cycles++;
      histogram.recordValue(Math.max(1, Math.round((performance.now() - sent) * 1000)));
    } catch (error) {
      countError(tally, error, options.errorCountMax);
      await client.close();
      try {
        client = await open(clientIndex);
      } catch (openError) {
        countError(tally, openError, 0);
        return null;
      }
    }
  }
  return client;
}

function countError(tally: Tally, error: unknown, errorCountMax: number): void {
  tally.errors++;
  tally.firstError ??= error instanceof Error ? error.message : String(error);
  if (tally.errors > errorCountMax) tally.aborted = true;
}

function startBar(options: LevelOptions, cycles: () => number): { stop(): void } {
  const label = `${options.target} C=${options.clientCount}`.padEnd(22);
  const bar = new cliProgress.SingleBar({
    format: `  ${label} |{bar}| {value}/{total} s, {cycles} cycles`,
  }, cliProgress.Presets.shades_classic);
  const started = performance.now();
  bar.start(options.seconds, 0, { cycles: 0 });
  const ticker = setInterval(() => {
    const second = Math.min(options.seconds, Math.floor((performance.now() - started) / 1000));
    bar.update(second, { cycles: cycles() });
  }, PROGRESS_INTERVAL_MS);
  return {
    stop() {
      clearInterval(ticker);
      bar.update(options.seconds, { cycles: cycles() });
      bar.stop();
    },
  };
}
