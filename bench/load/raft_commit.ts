/**
 * Commit throughput and latency of a 3-node cluster of real processes on 127.0.0.1 (fsync on):
 * C proposers each loop on `DEBUG PROPOSE` (one no-op entry committed and applied per call)
 * against the leader. With `--groups`, P proposers spread over G Raft groups instead (see
 * commit_groups.ts), one fresh cluster per level. Usage:
 *   deno task bench:commit [--proposers 1,16,256] [--seconds 10] [--nodes 3] [--json FILE]
 *   deno task bench:commit --groups 1,16,64,256 [--proposers 256] [--seconds 10]
 */
import { Command } from "commander";
import Table from "cli-table3";
import cliProgress from "cli-progress";
import * as hdr from "hdr-histogram-js";
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import { findLeaderPort, startBenchCluster, stopBenchCluster } from "./local_cluster_session.ts";
import { type GroupLevelResult, runGroupLevel } from "./commit_groups.ts";

interface Result {
  proposers: number;
  commits: number;
  errors: number;
  seconds: number;
  commitsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

async function runLevel(port: number, proposers: number, seconds: number): Promise<Result> {
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const connections = await Promise.all(
    Array.from({ length: proposers }, () => RespConnection.open("127.0.0.1", port)),
  );
  const bar = new cliProgress.SingleBar({
    format: `  ${
      String(proposers).padStart(3)
    } proposers |{bar}| {value}/{total} s, {commits} commits`,
  }, cliProgress.Presets.shades_classic);
  let commits = 0;
  let errors = 0;
  const started = performance.now();
  const endAt = started + seconds * 1000;
  bar.start(seconds, 0, { commits: 0 });
  const ticker = setInterval(() => {
    bar.update(Math.min(seconds, Math.floor((performance.now() - started) / 1000)), { commits });
  }, 250);
  const payload = new Uint8Array(64).fill(120);
  await Promise.all(connections.map(async (connection) => {
    while (performance.now() < endAt) {
      const sent = performance.now();
      const reply = replyText(await connection.call(["DEBUG", "PROPOSE", payload]));
      if (reply === "OK") {
        commits++;
        histogram.recordValue(Math.max(1, Math.round((performance.now() - sent) * 1000)));
      } else {
        errors++;
      }
    }
  }));
  clearInterval(ticker);
  bar.update(seconds, { commits });
  bar.stop();
  for (const connection of connections) connection.close();
  const elapsed = (performance.now() - started) / 1000;
  const ms = (percentile: number) => histogram.getValueAtPercentile(percentile) / 1000;
  return {
    proposers,
    commits,
    errors,
    seconds: elapsed,
    commitsPerSecond: commits / elapsed,
    p50Ms: ms(50),
    p95Ms: ms(95),
    p99Ms: ms(99),
    maxMs: histogram.maxValue / 1000,
  };
}

async function main(): Promise<void> {
  const options = new Command()
    .option("--proposers <list>", "concurrent proposers per level", "1,16,256")
    .option("--seconds <n>", "seconds per level", "10")
    .option("--nodes <n>", "cluster size", "3")
    .option("--json <file>", "also write the results as JSON")
    .option("--groups <list>", "Raft groups per level; proposers spread over them")
    .parse(Deno.args, { from: "user" })
    .opts();
  if (options.groups !== undefined) {
    await groupsMode(String(options.groups), options, Number(options.seconds));
    return;
  }
  const levels = String(options.proposers).split(",").map(Number);
  const seconds = Number(options.seconds);
  const cluster = await startBenchCluster(Number(options.nodes));
  const results: Result[] = [];
  try {
    const ports = cluster.nodes.map((_, i) => cluster.basePort + i);
    const leader = await findLeaderPort(ports);
    console.error(`${cluster.nodes.length}-node cluster up, leader on port ${leader}`);
    for (const proposers of levels) results.push(await runLevel(leader, proposers, seconds));
  } finally {
    await stopBenchCluster(cluster);
  }
  const base = results[0]?.commitsPerSecond ?? 1;
  const table = new Table({
    head: [
      "proposers",
      "commits/s",
      "x vs first",
      "p50 ms",
      "p95 ms",
      "p99 ms",
      "max ms",
      "errors",
    ],
  });
  for (const r of results) {
    table.push([
      r.proposers,
      r.commitsPerSecond.toFixed(0),
      (r.commitsPerSecond / base).toFixed(1),
      r.p50Ms.toFixed(2),
      r.p95Ms.toFixed(2),
      r.p99Ms.toFixed(2),
      r.maxMs.toFixed(2),
      r.errors,
    ]);
  }
  console.log(table.toString());
  if (options.json !== undefined) {
    await Deno.writeTextFile(options.json, JSON.stringify(results, null, 2));
  }
}

/** Parses a comma-separated list of integers in 1..max; throws a RangeError naming `what`. */
function integerList(text: string, what: string, max: number): number[] {
  const values = text.split(",").map(Number);
  if (values.some((v) => !Number.isSafeInteger(v) || v < 1 || v > max)) {
    throw new RangeError(`Invalid ${what} '${text}': integers in 1..${max}, comma-separated`);
  }
  return values;
}

async function groupsMode(
  groupsText: string,
  options: { proposers?: unknown; json?: unknown },
  seconds: number,
): Promise<void> {
  const groupCounts = integerList(groupsText, "--groups", 1_000);
  const proposerText = options.proposers === "1,16,256" ? "256" : String(options.proposers);
  const [proposers] = integerList(proposerText, "--proposers (one value with --groups)", 4_096);
  const results: GroupLevelResult[] = [];
  for (const groups of groupCounts) {
    console.error(`${groups} group(s), ${proposers} proposers, ${seconds} s ...`);
    results.push(await runGroupLevel(groups, proposers!, seconds));
  }
  const table = new Table({
    head: [
      "groups",
      "proposers",
      "commits/s",
      "p50 ms",
      "p99 ms",
      "fdatasyncs/s per node",
      "errors",
    ],
  });
  for (const r of results) {
    table.push([
      r.groups,
      r.proposers,
      r.commitsPerSecond.toFixed(0),
      r.p50Ms.toFixed(2),
      r.p99Ms.toFixed(2),
      r.syncsPerSecond.map((v) => v.toFixed(0)).join(" / "),
      r.errors,
    ]);
  }
  console.log(table.toString());
  if (options.json !== undefined) {
    await Deno.writeTextFile(String(options.json), JSON.stringify(results, null, 2));
  }
}

await main();
