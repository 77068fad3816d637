/**
 * Many Raft groups per node, in one process: 3 nodes (real RaftHosts on real disks under a temp
 * dir, messages through the real codec in memory), G groups each, 256 proposers spread over the
 * groups proposing to each group's leader. Compares every group writing through the node's one
 * NodeLog ("shared") with one NodeLog per group, each holding only that group ("per-group"):
 * commits/s and fdatasyncs/s per node. The node itself hosts only the meta group today, so this runs the hosts directly.
 *   deno run -A bench/load/raft_groups_commit.ts [--groups 1,16,64,256] [--proposers 256]
 *     [--seconds 5] [--storage shared,per-group]
 */
import { Command } from "commander";
import Table from "cli-table3";
import { decodeFrame, encodeFrame, type PeerMessage } from "../../protocol/peer/mod.ts";
import { RaftGroups } from "../../src/consensus/raft_groups.ts";
import { RaftHost, type ReplicatedStateMachine } from "../../src/consensus/raft_host.ts";
import { RaftOutbox } from "../../src/consensus/raft_outbox.ts";
import { Logger } from "../../src/log/logger.ts";
import { SeededRandom } from "../../src/raft/mod.ts";
import { NodeLog, type RaftLogStore } from "../../src/storage/mod.ts";

const NODE_IDS = ["n1", "n2", "n3"];
const TICK_MS = 20;
const ELECTION_WAIT_MS = 60_000;
const PAYLOAD = new Uint8Array(64).fill(120);

type Storage = "shared" | "per-group";

/** A state machine that only counts (the bench measures the log, not the machine). */
class NullMachine implements ReplicatedStateMachine {
  count = 0;
  apply(): string | null {
    this.count += 1;
    return null;
  }
  skip(): void {}
  snapshot(): Uint8Array {
    return new Uint8Array(8);
  }
  restore(): void {}
}

interface BenchNode {
  groups: RaftGroups;
  hosts: RaftHost[];
  syncCount: () => number;
  close: () => Promise<void>;
}

interface Result {
  storage: Storage;
  groups: number;
  commitsPerSecond: number;
  syncsPerSecondPerNode: number;
  commitsPerSync: number;
}

async function openNode(
  root: string,
  id: string,
  n: number,
  groupCount: number,
  storage: Storage,
  deliver: (from: string, to: string, frame: PeerMessage) => boolean,
  logger: Logger,
): Promise<BenchNode> {
  const groups = new RaftGroups(id, TICK_MS, logger);
  const outbox = new RaftOutbox((to, frame) => deliver(id, to, frame));
  const shared = storage === "shared"
    ? await NodeLog.open(`${root}/${id}`, { clusterId: "bench", nodeId: id, log: logger })
    : null;
  const wals: NodeLog[] = [];
  const hosts: RaftHost[] = [];
  for (let groupId = 1; groupId <= groupCount; groupId++) {
    let store: RaftLogStore;
    if (shared !== null) {
      store = shared.group(groupId);
    } else {
      const wal = await NodeLog.open(`${root}/${id}/g${groupId}`, {
        clusterId: "bench",
        nodeId: id,
        log: logger,
        groupsMax: 1,
      });
      wals.push(wal);
      store = wal.group(groupId);
    }
    const host = await RaftHost.open({
      nodeId: id,
      groupId,
      bootstrap: { voters: NODE_IDS, learners: [] },
      wal: store,
      machine: new NullMachine(),
      send: (message) => outbox.enqueue(message),
      quorumReachable: () => true,
      logger,
      random: new SeededRandom(1000 * n + groupId).fn(),
      snapshotEntriesMax: 100_000,
      requestTimeoutMs: 10_000,
    });
    groups.add(groupId, host);
    hosts.push(host);
  }
  return {
    groups,
    hosts,
    syncCount: () =>
      shared !== null
        ? shared.stats().syncCount
        : wals.reduce((sum, wal) => sum + wal.stats().syncCount, 0),
    close: async () => {
      groups.stop();
      await shared?.close();
      for (const wal of wals) await wal.close();
    },
  };
}

async function runLevel(
  storage: Storage,
  groupCount: number,
  proposers: number,
  seconds: number,
): Promise<Result> {
  const root = await Deno.makeTempDir({ prefix: "dsync_groups_bench_" });
  const logger = new Logger({ level: "error", format: "text", sink: () => {} });
  const nodes = new Map<string, BenchNode>();
  const deliver = (from: string, to: string, frame: PeerMessage) => {
    const bytes = encodeFrame(frame);
    setTimeout(() => {
      const message = decodeFrame(bytes);
      nodes.get(to)?.groups.receiveFrame(from, message);
    }, 0);
    return true;
  };
  try {
    for (const [n, id] of NODE_IDS.entries()) {
      nodes.set(id, await openNode(root, id, n, groupCount, storage, deliver, logger));
    }
    for (const node of nodes.values()) node.groups.start();
    const leaderOf = (i: number) =>
      [...nodes.values()].find((node) => node.hosts[i]!.status().role === "leader")?.hosts[i];
    const electedBy = performance.now() + ELECTION_WAIT_MS;
    while ([...Array(groupCount).keys()].some((i) => leaderOf(i) === undefined)) {
      if (performance.now() > electedBy) throw new Error("groups did not elect leaders in time");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const syncsBefore = [...nodes.values()].map((node) => node.syncCount());
    let commits = 0;
    const started = performance.now();
    const endAt = started + seconds * 1000;
    await Promise.all(Array.from({ length: proposers }, async (_, k) => {
      const group = k % groupCount;
      while (performance.now() < endAt) {
        const leader = leaderOf(group);
        try {
          if (leader === undefined) throw new Error("no leader");
          await leader.propose(PAYLOAD);
          commits += 1;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, TICK_MS));
        }
      }
    }));
    const elapsed = (performance.now() - started) / 1000;
    const syncs = [...nodes.values()].reduce(
      (sum, node, i) => sum + node.syncCount() - syncsBefore[i]!,
      0,
    );
    const syncsPerNode = syncs / nodes.size;
    return {
      storage,
      groups: groupCount,
      commitsPerSecond: commits / elapsed,
      syncsPerSecondPerNode: syncsPerNode / elapsed,
      commitsPerSync: syncsPerNode > 0 ? commits / syncsPerNode : 0,
    };
  } finally {
    for (const node of nodes.values()) await node.close();
    await Deno.remove(root, { recursive: true });
  }
}

async function main(): Promise<void> {
  const options = new Command()
    .option("--groups <list>", "Raft groups per node, per level", "1,16,64,256")
    .option("--proposers <n>", "concurrent proposers spread over the groups", "256")
    .option("--seconds <n>", "seconds per level", "5")
    .option(
      "--storage <list>",
      "shared (one NodeLog per node) and/or per-group",
      "shared,per-group",
    )
    .parse(Deno.args, { from: "user" })
    .opts();
  const levels = String(options.groups).split(",").map(Number);
  const storages = String(options.storage).split(",") as Storage[];
  const proposers = Number(options.proposers);
  const seconds = Number(options.seconds);
  for (const value of [...levels, proposers, seconds]) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`bad number ${value}`);
  }
  for (const storage of storages) {
    if (storage !== "shared" && storage !== "per-group") throw new RangeError(`bad ${storage}`);
  }
  const results: Result[] = [];
  for (const groups of levels) {
    for (const storage of storages) {
      console.error(`  ${storage}, ${groups} groups ...`);
      results.push(await runLevel(storage, groups, proposers, seconds));
    }
  }
  const table = new Table({
    head: ["groups", "storage", "commits/s", "fdatasyncs/s per node", "commits per fdatasync"],
  });
  for (const r of results) {
    table.push([
      r.groups,
      r.storage,
      r.commitsPerSecond.toFixed(0),
      r.syncsPerSecondPerNode.toFixed(0),
      r.commitsPerSync.toFixed(1),
    ]);
  }
  console.log(table.toString());
}

await main();
