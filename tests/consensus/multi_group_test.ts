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

Deno.test("24 groups on 3 nodes elect, commit, share frames, go quiet, wake and fail over", async () => {
  const root = await Deno.makeTempDir();
  const logger = new Logger({ level: "error", format: "text", sink: () => {} });
  const nodes = new Map<string, TestNode>();
  /** Nodes whose frames are dropped (as if their process died). */
  const down = new Set<string>();
  /** In-memory transport: frames go through the real codec and arrive in a later task. */
  const deliver = (from: string, to: string, frame: PeerMessage) => {
    if (down.has(from) || down.has(to)) return true;
    const bytes = encodeFrame(frame);
    setTimeout(() => {
      const message = decodeFrame(bytes);
      nodes.get(to)!.groups.receiveFrame(from, message);
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
    const busyBefore = [...nodes.values()].map((node) => [
      node.outbox.framesSent,
      node.outbox.messagesSent,
    ]);
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
    // Busy: every group heartbeats each tick, yet frames carry many messages each.
    let frames = 0;
    let messages = 0;
    for (const [i, node] of [...nodes.values()].entries()) {
      frames += node.outbox.framesSent - busyBefore[i]![0]!;
      messages += node.outbox.messagesSent - busyBefore[i]![1]!;
    }
    assert.ok(
      messages >= 3 * frames,
      `expected coalescing (1 message per frame without it): ${messages} messages in ${frames} frames`,
    );
    // Idle: every group goes quiet (leaves the tick set) and sends nothing at all.
    await eventually(
      "every group on every node goes quiet",
      () => [...nodes.values()].every((node) => node.groups.activeCount === 0),
      10_000,
    );
    const sent = () => [...nodes.values()].reduce((sum, node) => sum + node.outbox.messagesSent, 0);
    const idleBefore = sent();
    await new Promise((resolve) => setTimeout(resolve, 30 * TICK_MS));
    assert.equal(sent() - idleBefore, 0, "quiet groups sent messages while idle");
    // A proposal wakes its group: it commits everywhere, and the others stay quiet.
    const leader = leaderOf(0)!;
    await leader.hosts[0]!.propose(new TextEncoder().encode("wake-0"));
    await eventually(
      "the woken group applied its value everywhere",
      () => [...nodes.values()].every((node) => node.machines[0]!.applied.includes("wake-0")),
      10_000,
    );
    for (const node of nodes.values()) {
      assert.ok(node.groups.activeCount <= 1, `${node.id}: ${node.groups.activeCount} active`);
    }
    // The node leading most groups goes down: its quiet followers campaign at once.
    const victim = [...nodes.values()].sort((a, b) =>
      b.hosts.filter((h) => h.leading).length - a.hosts.filter((h) => h.leading).length
    )[0]!;
    const led = victim.hosts.flatMap((h, i) => h.leading ? [i] : []);
    assert.ok(led.length > 0);
    down.add(victim.id);
    for (const node of nodes.values()) {
      if (node !== victim) node.groups.peerDisconnected(victim.id);
    }
    await eventually(
      "every group the lost node led elects a survivor",
      () =>
        led.every((i) =>
          [...nodes.values()].some((node) => node !== victim && node.hosts[i]!.leading)
        ),
      5_000,
    );
  } finally {
    for (const node of nodes.values()) {
      node.groups.stop();
      await node.log.close();
    }
    await Deno.remove(root, { recursive: true });
  }
});
