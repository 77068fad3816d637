/**
 * A committed entry that is durable on the leader is applied, and its proposal answered, while the
 * leader's sync of entries proposed after it still runs: a reply does not wait for the next
 * batch's fsync.
 */
import assert from "node:assert/strict";
import { type Message, SeededRandom } from "../../src/raft/mod.ts";
import { NodeLog, type RaftLogStore } from "../../src/storage/mod.ts";
import { Logger } from "../../src/log/logger.ts";
import { RaftHost, type ReplicatedStateMachine } from "../../src/consensus/raft_host.ts";
import { SimFileSystem } from "../storage/sim_file_system.ts";
import { eventually } from "../helpers/node_harness.ts";

const TICK_MS = 10;
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
  restore(): void {}
}

/** A log whose appends holding an entry at an index in `held` wait until it is released. */
function holdingLog(inner: RaftLogStore) {
  const held = new Map<number, () => void>();
  const gates = new Map<number, Promise<void>>();
  const hold = (index: number) => {
    const { promise, resolve } = Promise.withResolvers<void>();
    gates.set(index, promise);
    held.set(index, resolve);
  };
  const release = (index: number) => held.get(index)?.();
  const wal = new Proxy(inner, {
    get(target, property) {
      if (property === "append") {
        return async (batch: Parameters<RaftLogStore["append"]>[0]) => {
          await target.append(batch);
          for (const entry of batch.entries ?? []) await gates.get(entry.index);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { wal, hold, release };
}

Deno.test("a durable committed entry is answered while the next entries still sync", async () => {
  const logger = new Logger({ level: "error", format: "text", sink: () => {} });
  const hosts = new Map<string, RaftHost>();
  const gates = new Map<string, ReturnType<typeof holdingLog>>();
  const logs: NodeLog[] = [];
  for (const [n, id] of IDS.entries()) {
    const fs = new SimFileSystem();
    await fs.mkdir("/data");
    const log = await NodeLog.open("/data/raft", {
      clusterId: "c",
      nodeId: id,
      log: logger,
      fileSystem: fs,
    });
    logs.push(log);
    const gate = holdingLog(log.group(1));
    gates.set(id, gate);
    hosts.set(
      id,
      await RaftHost.open({
        nodeId: id,
        groupId: 1,
        bootstrap: { voters: IDS, learners: [] },
        wal: gate.wal,
        machine: new CountingMachine(),
        send: (message: Message) => {
          setTimeout(() => hosts.get(message.to)?.receive(message), 0);
          return true;
        },
        quorumReachable: () => true,
        logger,
        random: new SeededRandom(11 + n).fn(),
        raft: { electionTimeoutTicks: 50, heartbeatTimeoutTicks: 1, quiesceAfterTicks: 0 },
        snapshotEntriesMax: 1_000,
        requestTimeoutMs: 30_000,
      }),
    );
  }
  const ticker = setInterval(() => {
    for (const host of hosts.values()) host.tick();
  }, TICK_MS);
  try {
    await eventually("a leader", () => [...hosts.values()].some((h) => h.leading), 5_000, 5);
    const [leaderId, leader] = [...hosts].find(([, host]) => host.leading)!;
    await leader.propose(Uint8Array.of(0));
    const gate = gates.get(leaderId)!;
    const a = leader.status().lastIndex + 1;
    // The leader's write of A waits; both followers store A, so A commits without the leader.
    gate.hold(a);
    gate.hold(a + 1);
    let answeredA = false;
    const proposalA = leader.propose(Uint8Array.of(1)).then(() => answeredA = true);
    proposalA.catch(() => {}); // awaited below; a failed assertion closes the hosts first
    await eventually(
      "A committed by the followers",
      () => leader.status().commitIndex >= a,
      5_000,
      5,
    );
    // B is proposed while A's write waits, then A's write ends: the next Ready writes B (held)
    // and carries A as committed.
    let answeredB = false;
    const proposalB = leader.propose(Uint8Array.of(2)).then(() => answeredB = true);
    proposalB.catch(() => {});
    gate.release(a);
    await eventually("A answered while B's write is held", () => answeredA, 5_000, 5);
    assert.equal(answeredB, false, "B cannot be answered before the leader's write of B ends");
    gate.release(a + 1);
    await Promise.all([proposalA, proposalB]);
    assert.ok(answeredB);
  } finally {
    clearInterval(ticker);
    for (const host of hosts.values()) host.close();
    for (const log of logs) await log.close();
  }
});
