/**
 * A lease held by the client (src/client/mod.ts) across a kill -9 of the node it talks to, which
 * also leads: a fresh 3-node cluster per trial, a 3 s lease, the leader killed once the lease has
 * been refreshed twice. Measures the longest time between two confirmed refreshes across the kill
 * (the client gives the lease up at 95% of the TTL without one) and whether the lease was kept.
 * Usage: deno task bench:clientfailover [--trials 5]
 */
import { Command } from "commander";
import Table from "cli-table3";
import { DsyncClient } from "../../src/client/mod.ts";
import { findLeaderPort, startBenchCluster, stopBenchCluster } from "./local_cluster_session.ts";
import { parseTrialCount, summary } from "./trials.ts";

const TTL_MS = 3_000;
const POLL_MS = 5;
/** Each trial watches the lease this long after the kill. */
const WATCH_MS = 2 * TTL_MS;

interface Trial {
  /** Longest gap between consecutive confirmed refreshes around the kill. */
  gapMs: number;
  /** From the kill to the first refresh confirmed through a survivor. */
  firstRefreshMs: number;
  kept: boolean;
}

async function trial(index: number): Promise<Trial> {
  const cluster = await startBenchCluster(3);
  try {
    const ports = cluster.nodes.map((_, i) => cluster.basePort + i);
    const leaderPort = await findLeaderPort(ports);
    const order = [leaderPort, ...ports.filter((port) => port !== leaderPort)];
    const client = new DsyncClient({ endpoints: order.map((port) => `127.0.0.1:${port}`) });
    try {
      const handle = await client.lock(`failover-${index}`, { ttlMs: TTL_MS });
      if (handle === null) throw new Error("the free lock was not granted");
      const confirmations: number[] = [];
      let seen = handle.refreshCount;
      const watch = (untilMs: number) => {
        return new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            if (handle.refreshCount !== seen) {
              seen = handle.refreshCount;
              confirmations.push(performance.now());
            }
            if (performance.now() >= untilMs || !handle.held) {
              clearInterval(timer);
              resolve();
            }
          }, POLL_MS);
        });
      };
      while (handle.refreshCount < 2) await watch(performance.now() + 100);
      const killedAt = performance.now();
      cluster.nodes[ports.indexOf(leaderPort)]!.process.kill("SIGKILL");
      await watch(killedAt + WATCH_MS);
      const before = confirmations.filter((at) => at < killedAt).at(-1) ?? killedAt;
      const after = confirmations.filter((at) => at >= killedAt);
      const gaps = [before, ...after].slice(1).map((at, i) => at - [before, ...after][i]!);
      const kept = handle.held;
      await handle.release().catch(() => false);
      return {
        gapMs: Math.max(0, ...gaps),
        firstRefreshMs: after.length === 0 ? NaN : after[0]! - killedAt,
        kept,
      };
    } finally {
      client.close();
    }
  } finally {
    await stopBenchCluster(cluster);
  }
}

async function main(): Promise<void> {
  const options = new Command().option("--trials <n>", "number of trials", "5")
    .parse(Deno.args, { from: "user" }).opts<{ trials: string }>();
  const count = parseTrialCount(options.trials);
  const trials: Trial[] = [];
  for (let i = 0; i < count; i++) {
    const result = await trial(i);
    trials.push(result);
    console.error(
      `trial ${i + 1}/${count}: longest refresh gap ${result.gapMs.toFixed(0)} ms, first refresh ` +
        `after the kill ${result.firstRefreshMs.toFixed(0)} ms, lease kept: ${result.kept}`,
    );
  }
  const table = new Table({
    head: [`${TTL_MS} ms lease (${count} trials)`, "best", "median", "worst"],
  });
  for (
    const [name, values] of [
      ["longest gap between confirmed refreshes", trials.map((t) => t.gapMs)],
      ["kill -9 to first refresh via a survivor", trials.map((t) => t.firstRefreshMs)],
    ] as const
  ) {
    const s = summary(values);
    table.push([name, ...[s.best, s.median, s.worst].map((v) => `${v.toFixed(0)} ms`)]);
  }
  console.log(table.toString());
  console.log(`leases kept: ${trials.filter((t) => t.kept).length} of ${count}`);
}

await main();
