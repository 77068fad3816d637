/**
 * The `--groups` mode of `bench:commit`: P proposers spread round-robin over G Raft groups of a
 * 3-node cluster of real processes (fsync on), each proposer looping `DEBUG PROPOSE x GROUP g`
 * on the node that leads its group. G = 1 is the meta group; G > 1 are benchmark-only groups
 * (`--debug-groups G`), all writing through each node's one log. Reports commits/s, p50/p99 and
 * fdatasyncs per second per node (from `INFO persistence`).
 */
import * as hdr from "hdr-histogram-js";
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import { startBenchCluster, stopBenchCluster } from "./local_cluster_session.ts";
import { DEBUG_GROUP_ID_BASE } from "../../src/node/debug_groups.ts";
import { callNode } from "../../src/node/join.ts";

/** Longest wait for every group to elect a leader known to every node. */
const LEADERS_TIMEOUT_MS = 120_000;
/** Bound on one CLUSTER/INFO call of the tool. */
const CALL_TIMEOUT_MS = 10_000;

/** One `--groups` level. */
export interface GroupLevelResult {
  groups: number;
  proposers: number;
  commits: number;
  errors: number;
  commitsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** fdatasyncs per second of each node, in node order. */
  syncsPerSecond: number[];
}

async function text(port: number, args: string[]): Promise<string> {
  return replyText(await callNode({ host: "127.0.0.1", port }, args, CALL_TIMEOUT_MS));
}

/** Group id -> client port of its leader, once every wanted group has one. */
async function groupLeaders(ports: number[], groupIds: number[]): Promise<Map<number, number>> {
  const deadline = performance.now() + LEADERS_TIMEOUT_MS;
  const portOf = new Map<string, number>();
  for (const port of ports) {
    const info = await text(port, ["CLUSTER", "INFO"]);
    portOf.set(/node_id:(\S+)/.exec(info)![1]!, port);
  }
  while (performance.now() < deadline) {
    const leaders = new Map<number, number>();
    for (const port of ports) {
      for (const line of (await text(port, ["CLUSTER", "GROUPS"])).split("\n")) {
        const [id, , , , leader] = line.split(" ");
        const leaderPort = portOf.get(leader ?? "");
        if (id !== undefined && leaderPort !== undefined) leaders.set(Number(id), leaderPort);
      }
    }
    if (groupIds.every((id) => leaders.has(id))) return leaders;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`not every one of ${groupIds.length} groups elected a leader in time`);
}

async function syncCounts(ports: number[]): Promise<number[]> {
  return await Promise.all(ports.map(async (port) => {
    const info = await text(port, ["INFO", "persistence"]);
    return Number(/wal_sync_count:(\d+)/.exec(info)?.[1] ?? NaN);
  }));
}

/** Runs one level on a fresh cluster hosting `groups` groups. */
export async function runGroupLevel(
  groups: number,
  proposers: number,
  seconds: number,
): Promise<GroupLevelResult> {
  const debugGroups = groups > 1 ? groups : 0;
  const cluster = await startBenchCluster(3, false, ["--debug-groups", String(debugGroups)]);
  try {
    const ports = cluster.nodes.map((_, i) => cluster.basePort + i);
    const groupIds = groups > 1
      ? Array.from({ length: groups }, (_, i) => DEBUG_GROUP_ID_BASE + i)
      : [0];
    const leaders = await groupLeaders(ports, groupIds);
    const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000 });
    const syncsBefore = await syncCounts(ports);
    let commits = 0;
    let errors = 0;
    const started = performance.now();
    const endAt = started + seconds * 1_000;
    await Promise.all(Array.from({ length: proposers }, async (_, p) => {
      const groupId = groupIds[p % groupIds.length]!;
      let connection = await RespConnection.open("127.0.0.1", leaders.get(groupId)!);
      while (performance.now() < endAt) {
        const sent = performance.now();
        const reply = replyText(
          await connection.call(["DEBUG", "PROPOSE", "x", "GROUP", String(groupId)]),
        );
        if (reply === "OK") {
          commits++;
          histogram.recordValue(Math.max(1, Math.round((performance.now() - sent) * 1_000)));
          continue;
        }
        errors++;
        if (errors > 10_000) throw new Error(`too many errors, last: ${reply}`);
        // Leadership moved: find the group's leader again.
        connection.close();
        const moved = await groupLeaders(ports, [groupId]);
        connection = await RespConnection.open("127.0.0.1", moved.get(groupId)!);
      }
      connection.close();
    }));
    const elapsedS = (performance.now() - started) / 1_000;
    const syncsAfter = await syncCounts(ports);
    return {
      groups,
      proposers,
      commits,
      errors,
      commitsPerSecond: commits / elapsedS,
      p50Ms: histogram.getValueAtPercentile(50) / 1_000,
      p99Ms: histogram.getValueAtPercentile(99) / 1_000,
      syncsPerSecond: syncsAfter.map((after, i) => (after - syncsBefore[i]!) / elapsedS),
    };
  } finally {
    await stopBenchCluster(cluster);
  }
}
