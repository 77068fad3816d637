/**
 * Lock failover of a 3-node cluster of real processes on 127.0.0.1 (`lock_failover_trial.ts`):
 * kill -9 the leader, then detection, election and the first granted LOCK.ACQUIRE through a
 * survivor. A fresh cluster per trial. The failures section of
 * `deno task report` runs the same trials. Usage:
 *   deno task bench:lockfailover [--trials 10] [--json FILE] [--quiet] [-- extra node flags]
 */
import { Command } from "commander";
import Table from "cli-table3";
import { type LockFailoverTrial, lockFailoverTrial } from "./lock_failover_trial.ts";
import { parseTrialCount, summary } from "./trials.ts";

async function main(): Promise<void> {
  const command = new Command()
    .option("--trials <n>", "number of trials", "10")
    .option("--json <file>", "also write the trials as JSON")
    .option("--quiet", "kill the leader only once every Raft group went quiet (idle)")
    .allowExcessArguments()
    .parse(Deno.args, { from: "user" });
  const options = command.opts<{ trials: string; json?: string; quiet?: boolean }>();
  const count = parseTrialCount(options.trials);
  const trials: LockFailoverTrial[] = [];
  for (let i = 0; i < count; i++) {
    const result = await lockFailoverTrial(i, {
      nodeArgs: command.args,
      quiet: options.quiet === true,
    });
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
