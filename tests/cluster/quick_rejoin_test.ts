import assert from "node:assert/strict";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  startTestNode,
  stopTestCluster,
  stopTestNode,
  type TestClusterPlan,
  type TestNode,
} from "../helpers/node_harness.ts";
import { call, waitForLeader } from "../helpers/resp_call.ts";
import { allGroupsSettled, slotGroups } from "../helpers/slots_info.ts";

const SLOTS = 16;
const ARGS = ["--slots", String(SLOTS)];
/** Keys written before the wipes (spread over every slot). */
const KEYS = 64;
/** Bound on each wait for every slot group to settle. */
const SETTLE_TIMEOUT_MS = 20_000;

/**
 * The nemesis's wipe, with the re-add racing the slot groups' removals: kill, erase, CLUSTER
 * REMOVE, CLUSTER ADD back at once, then start the node empty with --join.
 */
async function wipeAndRejoin(
  plan: TestClusterPlan,
  nodes: TestNode[],
  index: number,
): Promise<void> {
  const victim = nodes[index]!;
  const via = nodes[(index + 1) % nodes.length]!;
  await stopTestNode(victim, "SIGKILL");
  await Deno.remove(victim.dataDir, { recursive: true });
  await eventually(
    "CLUSTER REMOVE accepted",
    async () => {
      return await call(via.clientPort, "CLUSTER", "REMOVE", victim.id).catch(String) === "OK";
    },
    15_000,
    50,
  );
  const peer = `127.0.0.1:${victim.peerPort}`;
  const client = `127.0.0.1:${victim.clientPort}`;
  await eventually(
    "CLUSTER ADD accepted",
    async () => {
      return await call(via.clientPort, "CLUSTER", "ADD", victim.id, peer, client)
        .catch(String) === "OK";
    },
    15_000,
    50,
  );
  nodes[index] = await startTestNode(plan, victim.id, ARGS, {
    join: client.replace(
      String(victim.clientPort),
      String(via.clientPort),
    ),
  });
}

Deno.test("slots: a wiped node added back before its groups removed it is not settled until it holds their data", async () => {
  const plan = await planTestCluster(3);
  const nodes = await startTestCluster(plan, ARGS);
  try {
    await waitForLeader(nodes);
    await eventually(
      "slot groups settle",
      () => allGroupsSettled(nodes, SLOTS),
      SETTLE_TIMEOUT_MS,
      100,
    );
    for (let i = 0; i < KEYS; i++) {
      assert.equal(await call(nodes[i % 3]!.clientPort, "SET", `k${i}`, `v${i}`), "OK");
    }
    // What each slot group had committed before the wipe, as its other replicas hold it.
    const before = new Map<number, number>();
    for (const node of [nodes[0]!, nodes[2]!]) {
      for (const [slot, group] of await slotGroups(node)) {
        before.set(slot, Math.max(before.get(slot) ?? 0, group.commitIndex));
      }
    }
    const startedMs = performance.now();
    await wipeAndRejoin(plan, nodes, 1);
    await eventually(
      "slot groups settle after n2's wipe",
      () => allGroupsSettled(nodes, SLOTS),
      SETTLE_TIMEOUT_MS,
      100,
    );
    const settledMs = Math.round(performance.now() - startedMs);
    // Settled must mean: n2 is a member of every slot group it replicates, in its own view too
    // (it can vote), and holds what the group had committed before the wipe.
    const rejoined = await slotGroups(nodes[1]!);
    const missing = [...before].filter(([slot, index]) => {
      const group = rejoined.get(slot);
      return group !== undefined && (!group.members.includes("n2") || group.commitIndex < index);
    });
    assert.deepEqual(missing, [], "slot groups (slot, index before) n2 lacks while settled");
    console.log(`n2 wiped and re-added: every slot group settled in ${settledMs} ms`);

    // Hence a second wipe (n1) keeps a majority of every group's data: all groups lead again and
    // every key reads back.
    await wipeAndRejoin(plan, nodes, 0);
    await eventually(
      "slot groups settle after n1's wipe",
      () => allGroupsSettled(nodes, SLOTS),
      SETTLE_TIMEOUT_MS,
      100,
    );
    for (let i = 0; i < KEYS; i++) {
      assert.equal(await call(nodes[(i + 1) % 3]!.clientPort, "GET", `k${i}`), `v${i}`);
    }
  } finally {
    await stopTestCluster(nodes, plan);
  }
});
