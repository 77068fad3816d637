/**
 * The clusters the locks part of `deno task report` measures, all running at once so that the
 * levels of the different systems can be interleaved (background load then hits them alike). Every
 * process is stopped by PID in `stop()`.
 */
import type { OpenClient } from "./lock_workload.ts";
import {
  type BenchCluster,
  findLeaderPort,
  startBenchCluster,
  stopBenchCluster,
} from "./local_cluster_session.ts";
import {
  type EtcdCluster,
  findEtcdLeaderUrl,
  startEtcdCluster,
  stopEtcdCluster,
} from "./etcd_cluster.ts";

/** A system and size the tool can start. */
export type SystemName = "dsync1" | "dsync3" | "dsync5" | "etcd1" | "etcd3";

/** Every system, in the order they are measured. */
export const SYSTEM_NAMES: readonly SystemName[] = ["dsync1", "dsync3", "dsync5", "etcd1", "etcd3"];

/** The node count of a system name ("dsync5" -> 5). */
export function nodeCountOf(system: SystemName): number {
  return Number(system.slice(-1));
}

/** How clients are spread over a cluster: all on the leader, or round-robin over every node. */
export type Route = "leader" | "spread";

/** One row group of the results: a system, its size and the routing of its clients. */
export interface TargetRow {
  system: "dsync" | "etcd";
  nodeCount: number;
  route: Route;
  /** Short name for progress bars and tables, e.g. "dsync-3 leader". */
  label: string;
}

/** A started system with one routing: `opener()` looks the leader up again for every level. */
export interface Target {
  row: TargetRow;
  /** Process ids of the system's servers (for CPU accounting). */
  pids: number[];
  opener(): Promise<OpenClient>;
}

/** How to open clients on dsync ports or etcd URLs (round-robin by client index). */
export interface Openers {
  dsync(ports: number[]): OpenClient;
  etcd(urls: string[]): OpenClient;
}

/** The started systems; `stop()` ends every process and removes the data directories. */
export interface RunningTargets {
  targets: Target[];
  stop(): Promise<void>;
}

function rowOf(system: TargetRow["system"], nodeCount: number, route: Route): TargetRow {
  return { system, nodeCount, route, label: `${system}-${nodeCount} ${route}` };
}

function dsyncTargets(cluster: BenchCluster, routes: Route[], openers: Openers): Target[] {
  const ports = cluster.nodes.map((_, i) => cluster.basePort + i);
  const used: Route[] = ports.length === 1 ? ["leader"] : routes;
  return used.map((route) => ({
    row: rowOf("dsync", ports.length, route),
    pids: cluster.nodes.map((node) => node.pid),
    opener: async () => openers.dsync(route === "leader" ? [await findLeaderPort(ports)] : ports),
  }));
}

function etcdTargets(cluster: EtcdCluster, routes: Route[], openers: Openers): Target[] {
  const urls = cluster.members.map((member) => member.clientUrl);
  const used: Route[] = urls.length === 1 ? ["leader"] : routes;
  return used.map((route) => ({
    row: rowOf("etcd", urls.length, route),
    pids: cluster.members.map((member) => member.pid),
    opener: async () =>
      openers.etcd(route === "leader" ? [await findEtcdLeaderUrl(cluster)] : urls),
  }));
}

/**
 * Starts every system in `systems` (calling `onStarted` after each), data directories inside
 * `parentDir` (default: the system's temporary directory); if one fails to start, stops those
 * already started.
 */
export async function startTargets(
  systems: SystemName[],
  routes: Route[],
  openers: Openers,
  onStarted: (system: SystemName) => void = () => {},
  parentDir?: string,
): Promise<RunningTargets> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    await Promise.all(stops.map((stopOne) => stopOne()));
  };
  const targets: Target[] = [];
  try {
    for (const system of systems) {
      if (system.startsWith("etcd")) {
        const cluster = await startEtcdCluster(nodeCountOf(system), parentDir);
        stops.push(() => stopEtcdCluster(cluster));
        targets.push(...etcdTargets(cluster, routes, openers));
      } else {
        const cluster = await startBenchCluster(
          nodeCountOf(system),
          false,
          [],
          undefined,
          parentDir,
        );
        stops.push(() => stopBenchCluster(cluster));
        targets.push(...dsyncTargets(cluster, routes, openers));
      }
      onStarted(system);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { targets, stop };
}
