/**
 * Node log throughput on the real disk, one group: appends of one 100-byte entry from 1, 16 and
 * 256 concurrent appenders (each appender awaits its append before the next one), so group
 * commit decides how many appends one fdatasync covers.
 *
 * - `deno bench --allow-read --allow-write bench/wal_bench.ts`: Deno.bench, 256 appends per
 *   iteration.
 * - `deno run --allow-read --allow-write bench/wal_bench.ts`: a fixed run per concurrency that
 *   prints records/s, syncs/s and appends per sync, plus the recovery time of the log.
 */
import { type GroupLog, NodeLog } from "../src/storage/mod.ts";

/** Size of each entry's data, in bytes. */
const ENTRY_BYTES = 100;
/** Appends per Deno.bench iteration. */
const APPENDS_PER_ITERATION = 256;
/** Concurrency levels measured. */
const CONCURRENCIES = [1, 16, 256] as const;
/** Appends per concurrency level in `deno run` mode. */
const RUN_APPENDS: Record<number, number> = { 1: 3_000, 16: 30_000, 256: 100_000 };

const DATA = new Uint8Array(ENTRY_BYTES).fill(0x61);
const SILENT_LOG = { info() {}, warn() {} };

/** An open node log in a fresh temp dir and the view of its one group. */
interface BenchLog {
  dir: string;
  node: NodeLog;
  wal: GroupLog;
}

/** Options of every bench log. */
const OPTIONS = { clusterId: "bench", nodeId: "n1", log: SILENT_LOG, groupsMax: 1 };
/** The group the bench appends to. */
const GROUP_ID = 1;

async function openBenchLog(): Promise<BenchLog> {
  const dir = await Deno.makeTempDir({ prefix: "dsync_wal_bench_" });
  const node = await NodeLog.open(dir, OPTIONS);
  return { dir, node, wal: node.group(GROUP_ID) };
}

/** `appenders` loops share `total` appends; each awaits its append before the next one. */
async function appendConcurrently(wal: GroupLog, appenders: number, total: number) {
  let remaining = total;
  const loop = async () => {
    while (remaining > 0) {
      remaining -= 1;
      // The index is taken at call time, so concurrent loops still append contiguously.
      await wal.append({ entries: [{ index: wal.lastIndex() + 1, term: 1, data: DATA }] });
    }
  };
  await Promise.all(Array.from({ length: appenders }, loop));
}

async function runReport(): Promise<void> {
  console.log("| appenders | appends | records/s | syncs/s | appends per sync | recovery |");
  console.log("|---:|---:|---:|---:|---:|---:|");
  for (const appenders of CONCURRENCIES) {
    const { dir, node, wal } = await openBenchLog();
    const total = RUN_APPENDS[appenders]!;
    await appendConcurrently(wal, appenders, Math.min(total, 500)); // warm up
    const before = node.stats();
    const started = performance.now();
    await appendConcurrently(wal, appenders, total);
    const seconds = (performance.now() - started) / 1000;
    const syncs = node.stats().syncCount - before.syncCount;
    await node.close();
    const openStarted = performance.now();
    const reopened = await NodeLog.open(dir, OPTIONS);
    const recoveryMs = performance.now() - openStarted;
    const entries = reopened.group(GROUP_ID).lastIndex();
    await reopened.close();
    await Deno.remove(dir, { recursive: true });
    console.log(
      `| ${appenders} | ${total} | ${Math.round(total / seconds)} | ${
        Math.round(syncs / seconds)
      } ` +
        `| ${(total / syncs).toFixed(1)} | ${recoveryMs.toFixed(0)} ms (${entries} entries) |`,
    );
  }
}

if (import.meta.main) {
  await runReport();
} else {
  for (const appenders of CONCURRENCIES) {
    const log = await openBenchLog();
    globalThis.addEventListener("unload", () => {
      Deno.removeSync(log.dir, { recursive: true });
    });
    Deno.bench({
      name: `node log append, ${appenders} concurrent appenders (${APPENDS_PER_ITERATION} appends)`,
      group: "node log append",
      baseline: appenders === 1,
      n: 100,
      warmup: 10,
      async fn() {
        await appendConcurrently(log.wal, appenders, APPENDS_PER_ITERATION);
      },
    });
  }
}
