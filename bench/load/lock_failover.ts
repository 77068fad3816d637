/**
 * Lock failover of a 3-node cluster of real processes on 127.0.0.1: kill -9 the leader, then
 * measure (a) detection: a survivor's CLUSTER NODES marks the old leader down, (b) election: a
 * survivor reports role leader in a higher term, (c) the first granted LOCK.ACQUIRE through a
 * survivor. A fresh cluster per trial. Usage:
 *   deno task bench:lockfailover [--trials 10] [--json FILE] [--quiet] [-- extra node flags]
 */
import { Command } from "commander";
import Table from "cli-table3";
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import {
  findLeaderPort,
  startBenchCluster,
  stopBenchCluster,
  waitAllQuiet,
} from "./local_cluster_session.ts";
import { parseTrialCount, summary } from "./trials.ts";

/** One trial's times in ms after the SIGKILL. */
interface Trial {
  detectedMs: number;
  electedMs: number;
  grantedMs: number;
}

const POLL_MS = 5;
const TRIAL_TIMEOUT_MS = 20_000;
/** Client-side bound on one call; a stuck call is dropped and retried on a new connection. */
const CALL_TIMEOUT_MS = 300;

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

async function trial(index: number, nodeArgs: string[], quiet: boolean): Promise<Trial> {
  const cluster = await startBenchCluster(3, false, nodeArgs);
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
    if (quiet) await waitAllQuiet(ports);
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

async function main(): Promise<void> {
  const command = new Command()
    .option("--trials <n>", "number of trials", "10")
    .option("--json <file>", "also write the trials as JSON")
    .option("--quiet", "kill the leader only once every Raft group went quiet (idle)")
    .allowExcessArguments()
    .parse(Deno.args, { from: "user" });
  const options = command.opts<{ trials: string; json?: string; quiet?: boolean }>();
  const count = parseTrialCount(options.trials);
  const trials: Trial[] = [];
  for (let i = 0; i < count; i++) {
    const result = await trial(i, command.args, options.quiet === true);
    trials.push(result);
    console.error(
      `trial ${i + 1}/${count}: detected ${result.detectedMs.toFixed(0)} ms, elected ` +
        `${result.electedMs.toFixed(0)} ms, first grant ${result.grantedMs.toFixed(0)} ms`,
    );
  }
  const rows: [string, number[]][] = [
    ["(a) old leader marked down", trials.map((t) => t.detectedMs)],
    ["(b) new leader, higher term", trials.map((t) => t.electedMs)],
    ["(c) first LOCK.ACQUIRE granted", trials.map((t) => t.grantedMs)],
  ];
  const table = new Table({ head: [`after kill -9 (${count} trials)`, "best", "median", "worst"] });
  for (const [name, values] of rows) {
    const s = summary(values);
    table.push([name, ...[s.best, s.median, s.worst].map((v) => `${v.toFixed(0)} ms`)]);
  }
  console.log(table.toString());
  if (options.json !== undefined) {
    const summaries = Object.fromEntries(rows.map(([name, values]) => [name, summary(values)]));
    await Deno.writeTextFile(options.json, JSON.stringify({ trials, summaries }, null, 2));
  }
}

await main();
