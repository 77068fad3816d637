import { pingNode, spawnDsync } from "./node_process.ts";

/** Settings of a local cluster on one machine. */
export interface LocalClusterOptions {
  nodeCount: number;
  host: string;
  /** Client port of the first node; node i listens on basePort + i - 1. */
  basePort: number;
  /** Peer port of the first node. */
  peerBasePort: number;
  dataDir: string;
  /** Extra arguments passed to every node (log level/format...). */
  nodeArgs: string[];
  /** Where each output line goes, already prefixed with the node id. */
  print: (line: string) => void;
  /** Longest wait for a node to answer PING after it was started. */
  startTimeoutMs: number;
  /** Deno flags per node when run from source (index = node index), e.g. `--cpu-prof`. */
  denoFlagsOf?: (nodeIndex: number) => string[];
}

/** One started node. */
export interface LocalNode {
  id: string;
  clientAddress: string;
  peerAddress: string;
  dataDir: string;
  pid: number;
  process: Deno.ChildProcess;
  /** Last stderr lines, kept to explain a failed start. */
  recentLines: string[];
}

const RECENT_LINES_MAX = 20;
const PING_INTERVAL_MS = 100;

/** Node descriptions for a cluster of `nodeCount` nodes. */
export function planCluster(options: LocalClusterOptions) {
  return Array.from({ length: options.nodeCount }, (_, i) => ({
    id: `n${i + 1}`,
    clientPort: options.basePort + i,
    peerPort: options.peerBasePort + i,
    dataDir: `${options.dataDir}/n${i + 1}`,
  }));
}

/** Starts every node and waits until each answers PING; on failure stops them all and throws. */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalNode[]> {
  const plan = planCluster(options);
  const peers = plan.map((node) => `${node.id}=${options.host}:${node.peerPort}`).join(",");
  const nodes: LocalNode[] = plan.map((node, nodeIndex) =>
    spawnNode(options, node.id, options.denoFlagsOf?.(nodeIndex) ?? [], [
      "node",
      "--id",
      node.id,
      "--client",
      `${options.host}:${node.clientPort}`,
      "--peer",
      `${options.host}:${node.peerPort}`,
      "--peers",
      peers,
      "--data",
      node.dataDir,
      ...options.nodeArgs,
    ], node)
  );
  try {
    await Promise.all(nodes.map((node, i) => waitReady(node, plan[i]!.clientPort, options)));
  } catch (error) {
    await stopLocalCluster(nodes);
    throw error;
  }
  return nodes;
}

function spawnNode(
  options: LocalClusterOptions,
  id: string,
  denoFlags: string[],
  args: string[],
  plan: { clientPort: number; peerPort: number; dataDir: string },
): LocalNode {
  const recentLines: string[] = [];
  const process = spawnDsync(args, (line) => {
    recentLines.push(line);
    if (recentLines.length > RECENT_LINES_MAX) recentLines.shift();
    options.print(`[${id}] ${line}`);
  }, denoFlags);
  return {
    id,
    clientAddress: `${options.host}:${plan.clientPort}`,
    peerAddress: `${options.host}:${plan.peerPort}`,
    dataDir: plan.dataDir,
    pid: process.pid,
    process,
    recentLines,
  };
}

async function waitReady(node: LocalNode, port: number, options: LocalClusterOptions) {
  let exited = false;
  void node.process.status.then(() => exited = true);
  const deadline = performance.now() + options.startTimeoutMs;
  while (performance.now() < deadline) {
    if (exited) {
      const status = await node.process.status;
      throw new Error(
        `node ${node.id} exited during start (code ${status.code}): ` +
          (node.recentLines.slice(-3).join(" | ") || "no output"),
      );
    }
    if (await pingNode(options.host, port, 500)) return;
    await new Promise((resolve) => setTimeout(resolve, PING_INTERVAL_MS));
  }
  throw new Error(
    `node ${node.id} did not answer PING on port ${port} within ${options.startTimeoutMs} ms`,
  );
}

/** Sends SIGTERM to every node (by PID, through its handle), then SIGKILL after 5 s. */
export async function stopLocalCluster(nodes: LocalNode[]): Promise<void> {
  await Promise.all(nodes.map(async (node) => {
    try {
      node.process.kill("SIGTERM");
    } catch {
      return; // already exited
    }
    const timer = setTimeout(() => {
      try {
        node.process.kill("SIGKILL");
      } catch {
        // exited meanwhile
      }
    }, 5_000);
    await node.process.status;
    clearTimeout(timer);
  }));
}
