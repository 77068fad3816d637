/**
 * A Ready whose only change is the commit index costs no log write of its own (each write is an
 * fdatasync the next entries would queue behind): the commit index rides with the next write of
 * entries, term or vote, and a restart still applies every committed entry.
 */
import assert from "node:assert/strict";
import { type Message, SeededRandom } from "../../src/raft/mod.ts";
import { NodeLog, type RaftLogStore } from "../../src/storage/mod.ts";
import { Logger } from "../../src/log/logger.ts";
import { RaftHost, type ReplicatedStateMachine } from "../../src/consensus/raft_host.ts";
import { SimFileSystem } from "../storage/sim_file_system.ts";
import { eventually } from "../helpers/node_harness.ts";

const TICK_MS = 10;
/** Proposals made one after another, each awaited. */
const PROPOSALS = 20;
const IDS = ["n1", "n2", "n3"];

class CountingMachine implements ReplicatedStateMachine {
  applied = 0;
  apply(): string | null {
    this.applied++;
    return null;
  }
  skip(): void {}
  snapshot(): Uint8Array {
    return Uint8Array.of(this.applied);
  }
  restore(image: Uint8Array): void {
    this.applied = image[0] ?? 0;
  }
}

/** Counts the log writes that carry no entries and no new term or vote (commit index only). */
interface WriteCounts {
  entries: number;
  commitOnly: number;
}

function countingLog(inner: RaftLogStore, counts: WriteCounts): RaftLogStore {
  return new Proxy(inner, {
    get(target, property) {
      if (property === "append") {
        return (batch: Parameters<RaftLogStore["append"]>[0]) => {
          const before = target.hardState();
          const hard = batch.hardState;
          if ((batch.entries?.length ?? 0) > 0) counts.entries++;
          else if (
            hard !== undefined && hard.term === before.term && hard.votedFor === before.votedFor
          ) counts.commitOnly++;
          return target.append(batch);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function openHost(
  id: string,
  wal: RaftLogStore,
  machine: CountingMachine,
  hosts: Map<string, RaftHost>,
  seed: number,
): Promise<RaftHost> {
  const logger = new Logger({ level: "error", format: "text", sink: () => {} });
  return await RaftHost.open({
    nodeId: id,
    groupId: 1,
    bootstrap: { voters: IDS, learners: [] },
    wal,
    machine,
    send: (message: Message) => {
      setTimeout(() => hosts.get(message.to)?.receive(message), 0);
      return true;
    },
    quorumReachable: () => true,
    logger,
    random: new SeededRandom(seed).fn(),
    raft: { electionTimeoutTicks: 10, heartbeatTimeoutTicks: 1, quiesceAfterTicks: 0 },
    snapshotEntriesMax: 1_000,
    requestTimeoutMs: 30_000,
  });
}

Deno.test("commits cost no log write of their own; a restart still applies them", async () => {
  const logger = new Logger({ level: "error", format: "text", sink: () => {} });
  const hosts = new Map<string, RaftHost>();
  const counts = new Map<string, WriteCounts>();
  const logs = new Map<string, NodeLog>();
  for (const [n, id] of IDS.entries()) {
    const fs = new SimFileSystem();
    await fs.mkdir("/data");
    const log = await NodeLog.open("/data/raft", {
      clusterId: "c",
      nodeId: id,
      log: logger,
      fileSystem: fs,
    });
    logs.set(id, log);
    const count = { entries: 0, commitOnly: 0 };
    counts.set(id, count);
    hosts.set(
      id,
      await openHost(id, countingLog(log.group(1), count), new CountingMachine(), hosts, 7 + n),
    );
  }
  const ticker = setInterval(() => {
    for (const host of hosts.values()) host.tick();
  }, TICK_MS);
  try {
    await eventually("a leader", () => [...hosts.values()].some((h) => h.leading), 5_000, 5);
    const [leaderId, leader] = [...hosts].find(([, host]) => host.leading)!;
    await leader.propose(Uint8Array.of(0));
    for (const count of counts.values()) Object.assign(count, { entries: 0, commitOnly: 0 });

    for (let i = 1; i <= PROPOSALS; i++) await leader.propose(Uint8Array.of(i));
    const lastIndex = leader.status().commitIndex;
    for (const [id, count] of counts) {
      // Every proposal committed and moved every node's commit index: the old host wrote each of
      // those moves on its own (at least PROPOSALS - 1 commit-only writes per node).
      assert.equal(count.commitOnly, 0, `${id} wrote commit-only hard states: ${count.commitOnly}`);
      assert.ok(count.entries >= PROPOSALS, `${id} wrote ${count.entries} entry batches`);
    }
    // The commit index of entry k rode with entry k + 1: a follower's log holds all but the last.
    const followerId = IDS.find((id) => id !== leaderId)!;
    await eventually(
      "the follower applied everything",
      () => hosts.get(followerId)!.status().appliedIndex === lastIndex,
      5_000,
      5,
    );
    const stored = logs.get(followerId)!.group(1).hardState().commitIndex;
    assert.ok(stored >= lastIndex - 1, `stored commit ${stored}, last ${lastIndex}`);

    // Every node restarts (the unwritten commit index is lost): the group elects a leader again,
    // which commits in its new term, and every node applies every entry it had committed.
    clearInterval(ticker);
    for (const host of hosts.values()) host.close();
    const machines = new Map<string, CountingMachine>();
    for (const [n, id] of IDS.entries()) {
      const machine = new CountingMachine();
      machines.set(id, machine);
      hosts.set(id, await openHost(id, logs.get(id)!.group(1), machine, hosts, 70 + n));
    }
    const restartTicker = setInterval(() => {
      for (const host of hosts.values()) host.tick();
    }, TICK_MS);
    try {
      await eventually(
        "every node applied every committed entry again",
        () => [...machines.values()].every((machine) => machine.applied >= PROPOSALS + 1),
        5_000,
        5,
      );
    } finally {
      clearInterval(restartTicker);
    }
  } finally {
    clearInterval(ticker);
    for (const host of hosts.values()) host.close();
    for (const log of logs.values()) await log.close();
  }
});
