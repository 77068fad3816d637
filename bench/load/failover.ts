/**
 * Failover time of a 3-node cluster of real processes on 127.0.0.1: kill -9 the leader, then
 * measure (1) when a survivor reports a new leader and (2) when the first write commits
 * (`DEBUG PROPOSE` through any survivor). A fresh cluster per trial. Usage:
 *   deno task bench:failover [--trials 10] [--json FILE] [--quiet] [-- extra node flags]
 */
import { Command } from "commander";
import Table from "cli-table3";
import cliProgress from "cli-progress";
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import {
  findLeaderPort,
  startBenchCluster,
  stopBenchCluster,
  waitAllQuiet,
} from "./local_cluster_session.ts";
import { parseTrialCount, summary } from "./trials.ts";

interface Trial {
  electedMs: number;
  firstCommitMs: number;
}

const POLL_MS = 2;
const TRIAL_TIMEOUT_MS = 20_000;

async function firstLeaderAmong(ports: number[], oldTerm: number, t0: number): Promise<number> {
  const connections = await Promise.all(
    ports.map((port) => RespConnection.open("127.0.0.1", port)),
  );
  try {
    while (performance.now() - t0 < TRIAL_TIMEOUT_MS) {
      for (const connection of connections) {
        const info = replyText(await connection.call(["CLUSTER", "INFO"]));
        const term = Number(/term:(\d+)/.exec(info)?.[1] ?? 0);
        if (/role:leader/.test(info) && term > oldTerm) return performance.now() - t0;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new Error("no new leader within the trial timeout");
  } finally {
    for (const connection of connections) connection.close();
  }
}

async function firstCommitThrough(ports: number[], t0: number): Promise<number> {
  const connections = await Promise.all(
    ports.map((port) => RespConnection.open("127.0.0.1", port)),
  );
  let done = -1;
  try {
    await Promise.all(connections.map(async (connection) => {
      while (done < 0 && performance.now() - t0 < TRIAL_TIMEOUT_MS) {
        const reply = replyText(await connection.call(["DEBUG", "PROPOSE", "failover"]));
        if (reply === "OK") {
          if (done < 0) done = performance.now() - t0;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    }));
  } finally {
    for (const connection of connections) connection.close();
  }
  if (done < 0) throw new Error("no write committed within the trial timeout");
  return done;
}

async function trial(nodeArgs: string[], quiet: boolean): Promise<Trial> {
  const cluster = await startBenchCluster(3, false, nodeArgs);
  try {
    const ports = cluster.nodes.map((_, i) => cluster.basePort + i);
    const leaderPort = await findLeaderPort(ports);
    const probe = await RespConnection.open("127.0.0.1", leaderPort);
    const oldTerm = Number(
      /term:(\d+)/.exec(replyText(await probe.call(["CLUSTER", "INFO"])))?.[1],
    );
    probe.close();
    const leader = cluster.nodes[ports.indexOf(leaderPort)]!;
    const survivors = ports.filter((port) => port !== leaderPort);
    if (quiet) await waitAllQuiet(ports);
    const t0 = performance.now();
    leader.process.kill("SIGKILL");
    const [electedMs, firstCommitMs] = await Promise.all([
      firstLeaderAmong(survivors, oldTerm, t0),
      firstCommitThrough(survivors, t0),
    ]);
    return { electedMs, firstCommitMs };
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
  const options = command.opts();
  const trials: Trial[] = [];
  const count = parseTrialCount(String(options.trials));
  const bar = new cliProgress.SingleBar(
    { format: "  trials |{bar}| {value}/{total}" },
    cliProgress.Presets.shades_classic,
  );
  bar.start(count, 0);
  for (let i = 0; i < count; i++) {
    trials.push(await trial(command.args, options.quiet === true));
    bar.update(i + 1);
  }
  bar.stop();
  const elected = summary(trials.map((t) => t.electedMs));
  const committed = summary(trials.map((t) => t.firstCommitMs));
  const table = new Table({
    head: ["after kill -9 of the leader", "best ms", "median ms", "worst ms"],
  });
  table.push([
    "new leader reported",
    ...[elected.best, elected.median, elected.worst].map((v) => v.toFixed(0)),
  ]);
  table.push([
    "first write committed",
    ...[committed.best, committed.median, committed.worst].map((v) => v.toFixed(0)),
  ]);
  console.log(table.toString());
  if (options.json !== undefined) {
    await Deno.writeTextFile(options.json, JSON.stringify({ trials, elected, committed }, null, 2));
  }
}

await main();
