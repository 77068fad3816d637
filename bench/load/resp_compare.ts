/**
 * Runs redis-benchmark against redis-server, the minimal Deno RESP ceiling server
 * (../shared/bench/resp_ceiling.ts) and a dsync node, all started here on 127.0.0.1, in one run,
 * and prints requests/s and the ratios. Usage:
 *   deno task bench:resp [--requests N] [--tests ping_inline,ping_mbulk] [--json FILE]
 */
import { Command } from "commander";
import Table from "cli-table3";
import { dsyncInvocation, pingNode } from "../../src/cluster/node_process.ts";
import { freePort } from "../../src/util/free_ports.ts";

interface Target {
  name: string;
  port: number;
  process: Deno.ChildProcess;
}

interface Row {
  target: string;
  test: string;
  pipeline: number;
  requestsPerSecond: number;
  p50Ms: number;
}

function spawn(command: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(command, { args, stdin: "null", stdout: "null", stderr: "piped" })
    .spawn();
}

async function waitPing(target: Target): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await pingNode("127.0.0.1", target.port, 500)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${target.name} did not answer PING on ${target.port}`);
}

async function startTargets(dataDir: string): Promise<Target[]> {
  const targets: Target[] = [];
  const redisPort = freePort();
  targets.push({
    name: "redis-server",
    port: redisPort,
    process: spawn("redis-server", [
      ...["--port", String(redisPort), "--bind", "127.0.0.1", "--save", ""],
      ...["--appendonly", "no", "--dir", dataDir],
    ]),
  });
  const ceilingPath = new URL("../../../shared/bench/resp_ceiling.ts", import.meta.url);
  const ceilingPort = freePort();
  targets.push({
    name: "deno ceiling",
    port: ceilingPort,
    process: spawn(Deno.execPath(), [
      "run",
      "--allow-net=127.0.0.1",
      decodeURIComponent(ceilingPath.pathname),
      String(ceilingPort),
    ]),
  });
  const nodePort = freePort();
  const peerPort = freePort();
  const invocation = dsyncInvocation([
    ...["node", "--id", "b1", "--client", `127.0.0.1:${nodePort}`],
    ...["--peer", `127.0.0.1:${peerPort}`, "--peers", `b1=127.0.0.1:${peerPort}`],
    ...["--data", `${dataDir}/dsync`, "--log-level", "warn"],
  ]);
  targets.push({
    name: "dsync node",
    port: nodePort,
    process: spawn(invocation.command, invocation.args),
  });
  for (const target of targets) await waitPing(target);
  return targets;
}

async function benchmark(port: number, test: string, pipeline: number, requests: number) {
  const output = await new Deno.Command("redis-benchmark", {
    args: [
      ...["-h", "127.0.0.1", "-p", String(port), "-t", test, "-c", "50"],
      ...["-P", String(pipeline), "-n", String(requests), "--csv", "-q"],
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  // CSV: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",...
  const line = text.trim().split("\n").find((row) => !row.startsWith('"test"'));
  const fields = line?.split(",").map((field) => Number(field.replaceAll('"', ""))) ?? [];
  return { requestsPerSecond: fields[1] ?? 0, p50Ms: fields[4] ?? 0 };
}

async function main(): Promise<void> {
  const options = new Command()
    .option("--requests <n>", "requests per run", "200000")
    .option("--tests <list>", "redis-benchmark tests", "ping_inline,ping_mbulk")
    .option("--pipelines <list>", "pipeline depths", "1,16")
    .option("--json <file>", "also write the rows as JSON")
    .parse(Deno.args, { from: "user" })
    .opts();
  const dataDir = await Deno.makeTempDir({ prefix: "dsync-bench-" });
  const targets = await startTargets(dataDir);
  const rows: Row[] = [];
  try {
    for (const test of String(options.tests).split(",")) {
      for (const pipeline of String(options.pipelines).split(",").map(Number)) {
        for (const target of targets) {
          const result = await benchmark(target.port, test, pipeline, Number(options.requests));
          rows.push({ target: target.name, test, pipeline, ...result });
          console.error(`${target.name} ${test} -P ${pipeline}: ${result.requestsPerSecond} req/s`);
        }
      }
    }
  } finally {
    for (const target of targets) {
      try {
        target.process.kill("SIGTERM");
      } catch {
        // exited
      }
      await target.process.status;
    }
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
  printTable(rows);
  if (options.json !== undefined) {
    await Deno.writeTextFile(options.json, JSON.stringify(rows, null, 2));
  }
}

function printTable(rows: Row[]): void {
  const table = new Table({
    head: ["test", "-P", "redis-server", "deno ceiling", "dsync", "dsync/redis", "dsync/ceiling"],
  });
  const keys = [...new Set(rows.map((row) => `${row.test}|${row.pipeline}`))];
  for (const key of keys) {
    const [test, pipeline] = key.split("|");
    const of = (name: string) =>
      rows.find((row) => row.target === name && `${row.test}|${row.pipeline}` === key)
        ?.requestsPerSecond ?? 0;
    const redis = of("redis-server");
    const ceiling = of("deno ceiling");
    const dsync = of("dsync node");
    table.push([
      test!,
      pipeline!,
      redis.toFixed(0),
      ceiling.toFixed(0),
      dsync.toFixed(0),
      (dsync / redis).toFixed(2),
      (dsync / ceiling).toFixed(2),
    ]);
  }
  console.log(table.toString());
}

await main();
