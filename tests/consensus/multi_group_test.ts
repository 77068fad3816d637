import assert from "node:assert/strict";
import { decodeFrame, encodeFrame, type PeerMessage } from "../../protocol/peer/mod.ts";
import { SeededRandom } from "../../src/raft/mod.ts";
import { NodeLog } from "../../src/storage/mod.ts";
import { Logger } from "../../src/log/logger.ts";
import { RaftHost, type ReplicatedStateMachine } from "../../src/consensus/raft_host.ts";
import { RaftGroups } from "../../src/consensus/raft_groups.ts";
import { RaftOutbox } from "../../src/consensus/raft_outbox.ts";
import { eventually } from "../helpers/node_harness.ts";

/** Enough groups that even when leadership is spread evenly a frame carries ~8 messages. */
const GROUP_COUNT = 24;
const NODE_IDS = ["n1", "n2", "n3"];
const TICK_MS = 20;

class CountingMachine implements ReplicatedStateMachine {
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

interface TestNode {
  id: string;
  groups: RaftGroups;
  outbox: RaftOutbox;
  hosts: RaftHost[];
  machines: CountingMachine[];
  /** The one node log every group of the node writes through. */
  log: NodeLog;
}

Deno.test("24 groups on 3 nodes elect, commit, and share one frame per peer per turn", async () => {
  const root = await Deno.makeTempDir();
  const logger = new Logger({ level: "error", format: "text", sink: () => {} });
  const nodes = new Map<string, TestNode>();
  /** In-memory transport: frames go through the real codec and arrive in a later task. */
  const deliver = (from: string, to: string, frame: PeerMessage) => {
    const bytes = encodeFrame(frame);
    setTimeout(() => {
      const message = decodeFrame(bytes);
      const target = nodes.get(to)!;
      if (message.type === "raft") target.groups.receive(from, message.groupId, message.payload);
      if (message.type === "raftBatch") {
        for (const item of message.items) target.groups.receive(from, item.groupId, item.payload);
      }
    }, 0);
    return true;
  };
  try {
    for (const [n, id] of NODE_IDS.entries()) {
      const groups = new RaftGroups(id, TICK_MS, logger);
      const outbox = new RaftOutbox((to, frame) => deliver(id, to, frame));
      const log = await NodeLog.open(`${root}/${id}`, { clusterId: "c", nodeId: id, log: logger });
      const node: TestNode = { id, groups, outbox, hosts: [], machines: [], log };
      for (let groupId = 1; groupId <= GROUP_COUNT; groupId++) {
        const wal = log.group(groupId);
        const machine = new CountingMachine();
        const host = await RaftHost.open({
          nodeId: id,
          groupId,
          bootstrap: { voters: NODE_IDS, learners: [] },
          wal,
          machine,
          send: (message) => outbox.enqueue(message),
          quorumReachable: () => true,
          logger,
          random: new SeededRandom(1000 * n + groupId).fn(),
          snapshotEntriesMax: 1_000,
          requestTimeoutMs: 10_000,
        });
        groups.add(groupId, host);
        node.hosts.push(host);
        node.machines.push(machine);
      }
      nodes.set(id, node);
    }
    for (const node of nodes.values()) node.groups.start();
    const leaderOf = (index: number) =>
      [...nodes.values()].find((node) => node.hosts[index]!.status().role === "leader");
    await eventually(
      "every group elects a leader",
      () => [...Array(GROUP_COUNT).keys()].every((i) => leaderOf(i) !== undefined),
      20_000,
    );
    await Promise.all([...Array(GROUP_COUNT).keys()].map(async (i) => {
      await leaderOf(i)!.hosts[i]!.propose(new TextEncoder().encode(`value-${i}`));
    }));
    await eventually(
      "every replica of every group applied its value",
      () =>
        [...nodes.values()].every((node) =>
          node.machines.every((machine, i) => machine.applied.includes(`value-${i}`))
        ),
      10_000,
    );
    // Every group wrote through its node's one log, whose fdatasyncs the groups shared.
    for (const node of nodes.values()) {
      const stats = node.log.stats();
      assert.equal(stats.groupCount, GROUP_COUNT);
      assert.ok(
        stats.syncCount < stats.appendCount,
        `${node.id}: ${stats.syncCount} fdatasyncs for ${stats.appendCount} records`,
      );
    }
    // Idle traffic: every group heartbeats every tick, yet frames carry many messages each.
    const before = [...nodes.values()].map((
      node,
    ) => [node.outbox.framesSent, node.outbox.messagesSent]);
    await new Promise((resolve) => setTimeout(resolve, 30 * TICK_MS));
    let frames = 0;
    let messages = 0;
    for (const [i, node] of [...nodes.values()].entries()) {
      frames += node.outbox.framesSent - before[i]![0]!;
      messages += node.outbox.messagesSent - before[i]![1]!;
    }
    assert.ok(messages > 0, "groups keep heartbeating");
    assert.ok(
      messages >= 3 * frames,
      `expected coalescing (1 message per frame without it): ${messages} messages in ${frames} frames`,
    );
  } finally {
    for (const node of nodes.values()) {
      node.groups.stop();
      await node.log.close();
    }
    await Deno.remove(root, { recursive: true });
  }
});
