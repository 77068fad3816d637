import { freePortRange } from "../../src/util/free_ports.ts";
import {
  type LocalNode,
  startLocalCluster,
  stopLocalCluster,
} from "../../src/cluster/local_cluster.ts";
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";

/** A local cluster of real node processes for a load tool, in a temporary directory. */
export interface BenchCluster {
  nodes: LocalNode[];
  basePort: number;
  dataDir: string;
}

/**
 * Starts `nodeCount` nodes on 127.0.0.1 with their output discarded (unless `verbose`); the data
 * directory is a new one under `dirParent` (the system's temporary directory by default).
 */
export async function startBenchCluster(
  nodeCount: number,
  verbose = false,
  nodeArgs: string[] = [],
  denoFlagsOf?: (nodeIndex: number) => string[],
  dirParent?: string,
): Promise<BenchCluster> {
  const dataDir = await Deno.makeTempDir({
    prefix: "dsync-bench-",
    ...(dirParent === undefined ? {} : { dir: dirParent }),
  });
  const basePort = freePortRange(nodeCount, [0, 100]);
  const nodes = await startLocalCluster({
    nodeCount,
    host: "127.0.0.1",
    basePort,
    peerBasePort: basePort + 100,
    dataDir,
    nodeArgs: ["--log-level", "warn", ...nodeArgs],
    print: verbose ? (line) => console.error(line) : () => {},
    startTimeoutMs: 20_000,
    ...(denoFlagsOf === undefined ? {} : { denoFlagsOf }),
  });
  return { nodes, basePort, dataDir };
}

/** Stops every node (by PID) and removes the data directory. */
export async function stopBenchCluster(cluster: BenchCluster): Promise<void> {
  await stopLocalCluster(cluster.nodes);
  await Deno.remove(cluster.dataDir, { recursive: true }).catch(() => {});
}

/** The client port of the current leader, polling until one is elected (bounded). */
export async function findLeaderPort(ports: number[], timeoutMs = 15_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    for (const port of ports) {
      try {
        const connection = await RespConnection.open("127.0.0.1", port);
        const info = replyText(await connection.call(["CLUSTER", "INFO"]));
        connection.close();
        if (/role:leader/.test(info)) return port;
      } catch {
        // node down or starting
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no leader within ${timeoutMs} ms`);
}

/** Waits until no node ticks any Raft group (every group went quiet); throws after `timeoutMs`. */
export async function waitAllQuiet(ports: number[], timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    let active = 0;
    for (const port of ports) {
      const connection = await RespConnection.open("127.0.0.1", port);
      try {
        const info = replyText(await connection.call(["INFO", "raft"]));
        active += Number(/raft_groups_active:(\d+)/.exec(info)?.[1] ?? NaN);
      } finally {
        connection.close();
      }
    }
    if (active === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Raft groups still active after ${timeoutMs} ms`);
}
