/**
 * Memory per held lock and restart time of one real node on 127.0.0.1: fills it with N held
 * locks over pipelined connections, reads the node's RSS from /proc/<pid>/status, then stops it
 * (SIGTERM), starts it again on the same data and measures the time to the first granted
 * LOCK.ACQUIRE of a new lock and the RSS after restart. Usage:
 *   deno task bench:lockmem [--locks 100000,999999] [--json FILE] [-- extra node flags]
 * A count includes the probe lock taken before the fill; at most 999,999, because the restart
 * probe takes one more lock and the table holds at most 1,000,000 (its default locksMax).
 */
import { Command } from "commander";
import Table from "cli-table3";
import { RespConnection } from "../../src/client/resp_connection.ts";
import {
  type LocalClusterOptions,
  type LocalNode,
  startLocalCluster,
  stopLocalCluster,
} from "../../src/cluster/local_cluster.ts";
import { freePortRange } from "../../src/util/free_ports.ts";
import { fillLocks } from "./lock_fill.ts";
import { rssBytes } from "./process_memory.ts";

/** Figures of one run with `lockCount` held locks. */
interface MemoryRun {
  lockCount: number;
  fillMs: number;
  /** Acquires that timed out during the fill and were sent again. */
  fillRetryCount: number;
  rssEmptyBytes: number;
  rssFullBytes: number;
  /** RSS after a further IDLE_MS without requests (V8 gives back memory when idle). */
  rssIdleBytes: number;
  bytesPerLock: number;
  restartGrantMs: number;
  rssRestartBytes: number;
}

const FILL_TIMEOUT_MS = 900_000;
const RESTART_TIMEOUT_MS = 300_000;
const CONNECTION_COUNT = 8;
const BATCH_SIZE = 500;
const OWNER_COUNT = 10_000;
/** Long enough that no lease runs out during a run. */
const TTL_MS = 3_600_000;
/** RSS is read after this settling pause (lets the node finish applying and snapshotting). */
const SETTLE_MS = 3_000;
/** And again after this much more idle time. */
const IDLE_MS = 20_000;
const POLL_MS = 10;
/** The lock table's default locksMax: the restart probe needs one free place. */
const TABLE_LOCKS_MAX = 1_000_000;

/** Polls LOCK.ACQUIRE of a new lock until it is granted; ms since `t0`. */
async function firstGrantMs(port: number, name: string, t0: number): Promise<number> {
  while (performance.now() - t0 < RESTART_TIMEOUT_MS) {
    let connection: RespConnection | null = null;
    try {
      connection = await RespConnection.open("127.0.0.1", port);
      for (;;) {
        const reply = await connection.call(["LOCK.ACQUIRE", name, "bench", "TTL", "60000"]);
        if (reply.type === "integer") return performance.now() - t0;
        if (performance.now() - t0 > RESTART_TIMEOUT_MS) break;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } catch {
      // not listening yet
    } finally {
      connection?.close();
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`no granted LOCK.ACQUIRE within ${RESTART_TIMEOUT_MS} ms of the restart`);
}

async function run(lockCount: number, nodeArgs: string[]): Promise<MemoryRun> {
  const dataDir = await Deno.makeTempDir({ prefix: "dsync-lockmem-" });
  const basePort = freePortRange(1, [0, 100]);
  const options: LocalClusterOptions = {
    nodeCount: 1,
    host: "127.0.0.1",
    basePort,
    peerBasePort: basePort + 100,
    dataDir,
    nodeArgs: ["--log-level", "warn", ...nodeArgs],
    print: (line) => console.error(line),
    startTimeoutMs: 20_000,
  };
  let nodes: LocalNode[] = [];
  try {
    nodes = await startLocalCluster(options);
    await firstGrantMs(basePort, "probe-before", performance.now());
    const rssEmptyBytes = await rssBytes(nodes[0]!.pid);
    // The probe above holds one lock; the fill adds the rest of `lockCount`.
    const fillCount = lockCount - 1;
    let printedAt = 0;
    const fill = await fillLocks({
      port: basePort,
      lockCount: fillCount,
      connectionCount: CONNECTION_COUNT,
      batchSize: BATCH_SIZE,
      ttlMs: TTL_MS,
      timeoutMs: FILL_TIMEOUT_MS,
      prefix: "lock-",
      ownerCount: OWNER_COUNT,
      onProgress: (granted) => {
        if (granted - printedAt < fillCount / 10 && granted < fillCount) return;
        printedAt = granted;
        console.error(`  ${granted + 1}/${lockCount} held`);
      },
    });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const rssFullBytes = await rssBytes(nodes[0]!.pid);
    console.error(
      `  filled in ${(fill.elapsedMs / 1000).toFixed(1)} s (${fill.retryCount} retries), RSS ` +
        `${mib(rssFullBytes)}, ${((rssFullBytes - rssEmptyBytes) / lockCount).toFixed(0)} B/lock`,
    );
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const rssIdleBytes = await rssBytes(nodes[0]!.pid);
    console.error(`  RSS after ${IDLE_MS / 1000} s idle: ${mib(rssIdleBytes)}`);
    await stopLocalCluster(nodes);
    nodes = [];
    const t0 = performance.now();
    const starting = startLocalCluster({ ...options, startTimeoutMs: RESTART_TIMEOUT_MS });
    const restartGrantMs = await firstGrantMs(basePort, "probe-after-restart", t0);
    nodes = await starting;
    const rssRestartBytes = await rssBytes(nodes[0]!.pid);
    return {
      lockCount,
      fillMs: fill.elapsedMs,
      fillRetryCount: fill.retryCount,
      rssEmptyBytes,
      rssFullBytes,
      rssIdleBytes,
      bytesPerLock: (rssFullBytes - rssEmptyBytes) / lockCount,
      restartGrantMs,
      rssRestartBytes,
    };
  } finally {
    await stopLocalCluster(nodes);
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

async function main(): Promise<void> {
  const command = new Command()
    .option("--locks <list>", "held lock counts, comma separated", "100000,999999")
    .option("--json <file>", "also write the runs as JSON")
    .allowExcessArguments()
    .parse(Deno.args, { from: "user" });
  const options = command.opts<{ locks: string; json?: string }>();
  const counts = options.locks.split(",").map(Number);
  const countMax = TABLE_LOCKS_MAX - 1;
  if (counts.some((count) => !Number.isSafeInteger(count) || count < 2 || count > countMax)) {
    throw new RangeError(`--locks must list counts in 2..${countMax}, not ${options.locks}`);
  }
  const runs: MemoryRun[] = [];
  for (const lockCount of counts) {
    console.error(`filling ${lockCount} locks`);
    const result = await run(lockCount, command.args);
    console.error(`  restart to first grant ${result.restartGrantMs.toFixed(0)} ms`);
    runs.push(result);
  }
  const table = new Table({
    head: [
      "held locks",
      "fill",
      "RSS empty",
      "RSS full",
      "B/lock",
      "RSS idle",
      "restart→grant",
      "RSS after",
    ],
  });
  for (const r of runs) {
    table.push([
      r.lockCount,
      `${(r.fillMs / 1000).toFixed(1)} s`,
      mib(r.rssEmptyBytes),
      mib(r.rssFullBytes),
      r.bytesPerLock.toFixed(0),
      mib(r.rssIdleBytes),
      `${r.restartGrantMs.toFixed(0)} ms`,
      mib(r.rssRestartBytes),
    ]);
  }
  console.log(table.toString());
  if (options.json !== undefined) {
    await Deno.writeTextFile(options.json, JSON.stringify(runs, null, 2) + "\n");
  }
}

if (import.meta.main) await main();
