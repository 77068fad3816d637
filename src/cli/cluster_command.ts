import { Command } from "commander";
import Table from "cli-table3";
import {
  type LocalClusterOptions,
  startLocalCluster,
  stopLocalCluster,
} from "../cluster/local_cluster.ts";
import { envOption } from "./env_option.ts";

/** `dsync cluster`: a whole local cluster in the foreground, stopped by Ctrl-C. */
export function clusterCommand(): Command {
  return new Command("cluster")
    .description("Run a local cluster of N nodes as child processes")
    .addOption(envOption("--nodes <n>", "number of nodes").default("3"))
    .addOption(
      envOption("--base-port <port>", "client port of node 1 (peers use +100)").default("7001"),
    )
    .addOption(envOption("--data <dir>", "data directory; node i uses DIR/ni").default("./data"))
    .addOption(envOption("--host <host>", "address to bind").default("127.0.0.1"))
    .addOption(envOption("--log-level <level>", "nodes' log level").default("info"))
    .addOption(envOption("--log-format <format>", "nodes' log format").default("text"))
    .action(async (raw: Record<string, string>) => {
      await runCluster(raw);
    });
}

function positiveInt(value: string | undefined, flag: string, max: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) {
    console.error(`dsync cluster: invalid ${flag} '${value}': expected an integer 1-${max}`);
    Deno.exit(2);
  }
  return parsed;
}

async function runCluster(raw: Record<string, string>): Promise<void> {
  const nodeCount = positiveInt(raw.nodes, "--nodes", 50);
  const basePort = positiveInt(raw.basePort, "--base-port", 65535 - 100 - nodeCount);
  const options: LocalClusterOptions = {
    nodeCount,
    host: raw.host ?? "127.0.0.1",
    basePort,
    peerBasePort: basePort + 100,
    dataDir: raw.data ?? "./data",
    nodeArgs: ["--log-level", raw.logLevel ?? "info", "--log-format", raw.logFormat ?? "text"],
    print: (line) => console.log(line),
    startTimeoutMs: 20_000,
  };
  let nodes;
  try {
    nodes = await startLocalCluster(options);
  } catch (error) {
    console.error(`dsync cluster: ${error instanceof Error ? error.message : String(error)}`);
    console.error("dsync cluster: stopped every node");
    Deno.exit(1);
  }
  const table = new Table({ head: ["id", "client", "peer", "data", "pid"] });
  for (const node of nodes) {
    table.push([node.id, node.clientAddress, node.peerAddress, node.dataDir, String(node.pid)]);
  }
  console.log(table.toString());
  console.log(`Cluster up. Try: redis-cli -p ${basePort} CLUSTER NODES   (Ctrl-C stops all nodes)`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("dsync cluster: stopping all nodes");
    await stopLocalCluster(nodes);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  for (const node of nodes) {
    void node.process.status.then((status) => {
      if (!stopping) {
        console.error(`dsync cluster: node ${node.id} exited with code ${status.code}`);
      }
    });
  }
}
