/**
 * A leader whose WAL sync takes much longer than an election timeout keeps its leadership: its
 * heartbeats (and its followers' answers) leave while the sync is in flight, not with the next
 * Ready, so a slow disk does not look like a dead leader.
 */
import assert from "node:assert/strict";
import { type Message, SeededRandom } from "../../src/raft/mod.ts";
import { NodeLog, type RaftLogStore } from "../../src/storage/mod.ts";
import { Logger } from "../../src/log/logger.ts";
import { RaftHost, type ReplicatedStateMachine } from "../../src/consensus/raft_host.ts";
import { SimFileSystem } from "../storage/sim_file_system.ts";
import { eventually } from "../helpers/node_harness.ts";

const TICK_MS = 10;
const ELECTION_TICKS = 10;
/** How long the leader's sync is held: ten election timeouts. */
const SLOW_SYNC_MS = 10 * ELECTION_TICKS * TICK_MS;

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

/** A group log whose appends, while `slow` is set, resolve only once it is cleared. */
function gatedLog(inner: RaftLogStore): { wal: RaftLogStore; gate: { slow: boolean } } {
  const gate = { slow: false };
  const waiting: Array<() => void> = [];
  const wal = new Proxy(inner, {
    get(target, property) {
      if (property === "append") {
        return async (...args: Parameters<RaftLogStore["append"]>) => {
          await target.append(...args);
          if (gate.slow) await new Promise<void>((resolve) => waiting.push(resolve));
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const release = setInterval(() => {
    if (!gate.slow) { for (const resolve of waiting.splice(0)) resolve(); }
  }, TICK_MS);
  Deno.unrefTimer(release);
  return { wal, gate };
}

Deno.test("a leader whose log sync takes ten election timeouts keeps its term and leadership", async () => {
  const logger = new Logger({ level: "error", format: "text", sink: () => {} });
  const ids = ["n1", "n2", "n3"];
  const hosts = new Map<string, RaftHost>();
  const gates = new Map<string, { slow: boolean }>();
  const logs: NodeLog[] = [];
  const send = (message: Message) => {
    setTimeout(() => hosts.get(message.to)?.receive(message), 0);
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
    });
    logs.push(log);
    const { wal, gate } = gatedLog(log.group(1));
    gates.set(id, gate);
    hosts.set(
      id,
      await RaftHost.open({
        nodeId: id,
        groupId: 1,
        bootstrap: { voters: ids, learners: [] },
        wal,
        machine: new CountingMachine(),
        send,
        quorumReachable: () => true,
        logger,
        random: new SeededRandom(5 + n).fn(),
        raft: {
          electionTimeoutTicks: ELECTION_TICKS,
          heartbeatTimeoutTicks: 1,
          quiesceAfterTicks: 0,
        },
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
    const leaderId = [...hosts].find(([, host]) => host.leading)![0];
    const leader = hosts.get(leaderId)!;
    await leader.propose(Uint8Array.of(1));
    const term = leader.status().term;

    gates.get(leaderId)!.slow = true;
    const proposal = leader.propose(Uint8Array.of(2));
    await new Promise((resolve) => setTimeout(resolve, SLOW_SYNC_MS));
    const terms = [...hosts.values()].map((host) => host.status().term);
    const leaders = [...hosts.values()].map((host) => host.status().leaderId);
    gates.get(leaderId)!.slow = false;
    await proposal;

    assert.deepEqual(terms, [term, term, term], "no election while the leader's sync was slow");
    assert.deepEqual(leaders, [leaderId, leaderId, leaderId]);
    assert.ok(leader.leading);
  } finally {
    clearInterval(ticker);
    for (const host of hosts.values()) host.close();
    for (const log of logs) await log.close();
  }
});
