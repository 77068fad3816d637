/**
 * One lock failover trial on a fresh 3-node cluster of real processes on 127.0.0.1: kill -9 the
 * leader (of the meta group, which holds the locks), then measure (a) detection: a survivor's
 * CLUSTER NODES marks it down, (b) election: a survivor reports itself leader in a higher term,
 * (c) the first granted LOCK.ACQUIRE through a survivor. Shared by `deno task bench:lockfailover`
 * and the failures section of `deno task report`.
 */
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import {
  findLeaderPort,
  startBenchCluster,
  stopBenchCluster,
  waitAllQuiet,
} from "./local_cluster_session.ts";

/** One trial's times in ms after the SIGKILL. */
export interface LockFailoverTrial {
  detectedMs: number;
  electedMs: number;
  grantedMs: number;
}

/** Options of one trial. */
export interface LockFailoverOptions {
  /** Extra flags for every node. */
  nodeArgs?: string[];
  /** Kill only once every Raft group went quiet (idle). */
  quiet?: boolean;
}

const POLL_MS = 5;
/** Longest a trial waits for each measured event. */
export const TRIAL_TIMEOUT_MS = 20_000;
/**
 * Client-side bound on one call; a stuck call is dropped and retried on a new connection. Wide
 * enough that a busy machine does not turn slow replies into a stream of reconnections.
 */
const CALL_TIMEOUT_MS = 1_000;

/** Polls `probe` on every port until one returns true; ms since t0. */
async function firstTrue(
  ports: readonly number[],
  t0: number,
  what: string,
  probe: (connection: RespConnection) => Promise<boolean>,
): Promise<number> {
  let doneMs = -1;
  await Promise.all(ports.map(async (port) => {
    let connection: RespConnection | null = null;
    while (doneMs < 0 && performance.now() - t0 < TRIAL_TIMEOUT_MS) {
      try {
        connection ??= await RespConnection.open("127.0.0.1", port);
        const open = connection;
        const timer = setTimeout(() => open.close(), CALL_TIMEOUT_MS);
        const hit = await probe(open).finally(() => clearTimeout(timer));
        if (hit && doneMs < 0) doneMs = performance.now() - t0;
      } catch {
        connection?.close();
        connection = null;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    connection?.close();
  }));
  if (doneMs < 0) throw new Error(`no ${what} within ${TRIAL_TIMEOUT_MS} ms`);
  return doneMs;
}

/** Runs trial number `index` (names its lock) on a cluster it starts and stops. */
export async function lockFailoverTrial(
  index: number,
  options: LockFailoverOptions = {},
): Promise<LockFailoverTrial> {
  const cluster = await startBenchCluster(3, false, options.nodeArgs ?? []);
  try {
    const ports = cluster.nodes.map((_, i) => cluster.basePort + i);
    const leaderPort = await findLeaderPort(ports);
    const probe = await RespConnection.open("127.0.0.1", leaderPort);
    const info = replyText(await probe.call(["CLUSTER", "INFO"]));
    probe.close();
    const oldTerm = Number(/term:(\d+)/.exec(info)?.[1] ?? NaN);
    const leaderId = /node_id:(\S+)/.exec(info)?.[1];
    if (leaderId === undefined || !Number.isSafeInteger(oldTerm)) {
      throw new Error(`CLUSTER INFO lacks node_id or term:\n${info}`);
    }
    const leader = cluster.nodes[ports.indexOf(leaderPort)]!;
    const survivors = ports.filter((port) => port !== leaderPort);
    const downLine = new RegExp(`^${leaderId} \\S+ \\S+ \\S+ down`, "m");
    if (options.quiet === true) await waitAllQuiet(ports);
    const t0 = performance.now();
    leader.process.kill("SIGKILL");
    const [detectedMs, electedMs, grantedMs] = await Promise.all([
      firstTrue(survivors, t0, "detection", async (c) => {
        return downLine.test(replyText(await c.call(["CLUSTER", "NODES"])));
      }),
      firstTrue(survivors, t0, "new leader", async (c) => {
        const text = replyText(await c.call(["CLUSTER", "INFO"]));
        return /role:leader/.test(text) && Number(/term:(\d+)/.exec(text)?.[1] ?? 0) > oldTerm;
      }),
      firstTrue(survivors, t0, "granted acquire", async (c) => {
        const reply = await c.call(["LOCK.ACQUIRE", `failover-${index}`, "bench", "TTL", "60000"]);
        return reply.type === "integer";
      }),
    ]);
    return { detectedMs, electedMs, grantedMs };
  } finally {
    await stopBenchCluster(cluster);
  }
}
