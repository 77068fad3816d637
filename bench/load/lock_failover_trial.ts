/**
 * One lock failover trial on a fresh 3-node cluster of real processes on 127.0.0.1: kill -9 the
 * leader of the Raft group that holds the trial's lock, then measure (a) detection: a survivor's
 * CLUSTER NODES marks it down, (b) election: a survivor names a new leader of that group in a
 * higher term, (c) the first granted LOCK.ACQUIRE of that lock through a survivor. Shared by
 * `deno task bench:lockfailover` and the failures section of `deno task report`.
 */
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import { startBenchCluster, stopBenchCluster, waitAllQuiet } from "./local_cluster_session.ts";
import { keySlotOf, parseSlotGroup, slotLeaderOf } from "./slot_group.ts";

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
/** Every trial's lock lives in this hash tag's slot. */
const HASH_TAG = "{failover}";

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
    const lockName = `${HASH_TAG}lock-${index}`;
    const slot = await keySlotOf(ports[0]!, lockName);
    const old = await slotLeaderOf(ports, slot, `${HASH_TAG}warm`, TRIAL_TIMEOUT_MS);
    const leaderIndex = cluster.nodes.findIndex((node) => node.id === old.leaderId);
    if (leaderIndex < 0) throw new Error(`Unknown leader ${old.leaderId} of slot ${slot}`);
    const survivors = ports.filter((_, i) => i !== leaderIndex);
    const downLine = new RegExp(`^${old.leaderId} \\S+ \\S+ \\S+ down`, "m");
    if (options.quiet === true) await waitAllQuiet(ports);
    const t0 = performance.now();
    cluster.nodes[leaderIndex]!.process.kill("SIGKILL");
    const [detectedMs, electedMs, grantedMs] = await Promise.all([
      firstTrue(survivors, t0, "detection", async (c) => {
        return downLine.test(replyText(await c.call(["CLUSTER", "NODES"])));
      }),
      firstTrue(survivors, t0, "new leader", async (c) => {
        const view = parseSlotGroup(replyText(await c.call(["CLUSTER", "GROUPS"])), slot);
        return view !== null && view.leaderId !== null && view.leaderId !== old.leaderId &&
          view.term > old.term;
      }),
      firstTrue(survivors, t0, "granted acquire", async (c) => {
        const reply = await c.call(["LOCK.ACQUIRE", lockName, "bench", "TTL", "60000"]);
        return reply.type === "integer";
      }),
    ]);
    return { detectedMs, electedMs, grantedMs };
  } finally {
    await stopBenchCluster(cluster);
  }
}
