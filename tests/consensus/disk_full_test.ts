/**
 * RaftHost over node logs on simulated disks of limited size: a node whose disk fills refuses
 * proposals at once with NOSPACE, still serves linearizable reads, hands leadership to a node
 * that can write, and takes writes again by itself once space is freed.
 */
import assert from "node:assert/strict";
import { SeededRandom } from "../../src/raft/mod.ts";
import { NodeLog } from "../../src/storage/mod.ts";
import { Logger } from "../../src/log/logger.ts";
import { RaftHost, type ReplicatedStateMachine } from "../../src/consensus/raft_host.ts";
import { ClusterError } from "../../src/consensus/cluster_error.ts";
import type { Message } from "../../src/raft/mod.ts";
import { SimFileSystem } from "../storage/sim_file_system.ts";
import { eventually } from "../helpers/node_harness.ts";

const TICK_MS = 10;
const PROBE_MS = 20;

class ListMachine implements ReplicatedStateMachine {
  applied: string[] = [];
  apply(_index: number, data: Uint8Array): string | null {
    this.applied.push(new TextDecoder().decode(data));
    return null;
  }
  skip(): void {}
  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.applied));
  }
  restore(image: Uint8Array): void {
    this.applied = image.length === 0 ? [] : JSON.parse(new TextDecoder().decode(image));
  }
}

interface SimNode {
  id: string;
  fs: SimFileSystem;
  log: NodeLog;
  host: RaftHost;
  machine: ListMachine;
}

/** `ids` as hosts of one group, each on its own simulated disk, wired in memory. */
async function startGroup(ids: string[]): Promise<{ nodes: Map<string, SimNode>; stop(): void }> {
  const logger = new Logger({ level: "error", format: "text", sink: () => {} });
  const nodes = new Map<string, SimNode>();
  const send = (message: Message) => {
    setTimeout(() => nodes.get(message.to)?.host.receive(message), 0);
    return true;
  };
  for (const [n, id] of ids.entries()) {
    const fs = new SimFileSystem();
    await fs.mkdir("/data");
    const log = await NodeLog.open("/data/raft", {
      clusterId: "c",
      nodeId: id,
      log: logger,
      fileSystem: fs,
      diskReserveBytes: 64 * 1024,
      diskProbeIntervalMs: PROBE_MS,
    });
    const machine = new ListMachine();
    const host = await RaftHost.open({
      nodeId: id,
      groupId: 1,
      bootstrap: { voters: ids, learners: [] },
      wal: log.group(1),
      machine,
      send,
      quorumReachable: () => true,
      diskFull: () => log.diskFull,
      logger,
      random: new SeededRandom(17 + n).fn(),
      raft: { electionTimeoutTicks: 10, heartbeatTimeoutTicks: 1, quiesceAfterTicks: 0 },
      snapshotEntriesMax: 1_000,
      requestTimeoutMs: 5_000,
    });
    nodes.set(id, { id, fs, log, host, machine });
  }
  const ticker = setInterval(() => {
    for (const node of nodes.values()) node.host.tick();
  }, TICK_MS);
  return {
    nodes,
    stop() {
      clearInterval(ticker);
      for (const node of nodes.values()) {
        node.host.close();
        void node.log.close();
      }
    },
  };
}

function leaderOf(nodes: Map<string, SimNode>): SimNode | undefined {
  return [...nodes.values()].find((node) => node.host.leading);
}

/** The error code of a rejected proposal, or "ok". */
async function outcome(host: RaftHost, text: string): Promise<string> {
  try {
    await host.propose(new TextEncoder().encode(text));
    return "ok";
  } catch (error) {
    return error instanceof ClusterError ? error.code : String(error);
  }
}

/** Proposes until one is refused (at most `attemptsMax`); returns the outcomes. */
async function proposeUntilRefused(host: RaftHost, attemptsMax: number): Promise<string[]> {
  const outcomes: string[] = [];
  for (let i = 0; i < attemptsMax; i++) {
    outcomes.push(await outcome(host, `full-${i}-${"x".repeat(3000)}`));
    if (outcomes.at(-1) !== "ok") break;
  }
  return outcomes;
}

Deno.test("disk full, one node: NOSPACE at once, reads served, writes resume once space is freed", async () => {
  const group = await startGroup(["n1"]);
  try {
    const node = group.nodes.get("n1")!;
    await eventually("n1 leads", () => node.host.leading, 2000);
    assert.equal(await outcome(node.host, "a"), "ok");
    node.fs.setCapacity(node.fs.usedBytes());
    // The write that finds the disk full completes from the reserve; the next is refused.
    // Writes that still fit in allocated pages, and the one that finds the disk full (it
    // completes from the reserve's room), succeed; every later one is refused.
    const outcomes = await proposeUntilRefused(node.host, 5);
    assert.equal(outcomes.at(-1), "NOSPACE", `outcomes ${outcomes}`);
    assert.ok(node.log.diskFull);
    const started = performance.now();
    assert.equal(await outcome(node.host, "refused"), "NOSPACE");
    assert.ok(performance.now() - started < 100, "refused without waiting");
    await node.host.readBarrier();
    assert.ok(node.host.leading, "a sole voter keeps leading");
    assert.ok(node.host.noSpaceRefusals >= 2);
    node.fs.setCapacity(Infinity);
    await eventually("the disk is no longer full", () => !node.log.diskFull, 2000);
    assert.equal(await outcome(node.host, "b"), "ok");
    assert.deepEqual(node.machine.applied.filter((v) => !v.startsWith("full-")), ["a", "b"]);
  } finally {
    group.stop();
  }
});

Deno.test("disk full, three nodes: leadership moves off the full node and writes go on", async () => {
  const group = await startGroup(["n1", "n2", "n3"]);
  try {
    await eventually("a leader", () => leaderOf(group.nodes) !== undefined, 3000);
    const full = leaderOf(group.nodes)!;
    assert.equal(await outcome(full.host, "a"), "ok");
    full.fs.setCapacity(full.fs.usedBytes());
    const outcomes = await proposeUntilRefused(full.host, 5);
    assert.ok(["NOSPACE", "TRYAGAIN"].includes(outcomes.at(-1)!), `outcomes ${outcomes}`);
    await eventually(
      "another node leads",
      () => leaderOf(group.nodes) !== undefined && leaderOf(group.nodes) !== full,
      3000,
    );
    const leader = leaderOf(group.nodes)!;
    assert.equal(await outcome(leader.host, "b"), "ok");
    assert.ok(full.log.diskFull, "still full");
    assert.ok(!full.host.leading);
    // As a follower it is not asked to write: the node forwards writes to the leader.
    assert.equal(await outcome(full.host, "on-follower"), "TRYAGAIN");
    // Reads are served by the leader (the node forwards them there).
    await leader.host.readBarrier();
    full.fs.setCapacity(Infinity);
    await eventually("the full node has room again", () => !full.log.diskFull, 2000);
    await eventually(
      "the full node catches up",
      () => full.machine.applied.includes("b"),
      3000,
    );
    assert.equal(await outcome(leader.host, "c"), "ok");
  } finally {
    group.stop();
  }
});
