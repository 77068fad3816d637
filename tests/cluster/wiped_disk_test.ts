import assert from "node:assert/strict";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  startTestNode,
  stopTestCluster,
  stopTestNode,
} from "../helpers/node_harness.ts";
import { call, clusterInfo, waitForLeader } from "../helpers/resp_call.ts";

Deno.test("a node whose data directory was wiped is refused until removed and added back", async () => {
  const plan = await planTestCluster(3);
  const nodes = await startTestCluster(plan);
  try {
    for (const node of nodes) {
      await eventually(`${node.id} sees every incarnation recorded`, async () => {
        const info = await call(node.clientPort, "INFO", "cluster");
        return /registered_members:3\r\n/.test(info);
      }, 15_000);
    }
    const victim = nodes[2]!;
    await stopTestNode(victim, "SIGKILL");
    await Deno.remove(victim.dataDir, { recursive: true });
    nodes[2] = await startTestNode(plan, victim.id);
    const wiped = nodes[2];

    // The others refuse it: it never learns a leader and stays down in their view.
    await eventually(
      "a peer logs why it refuses the wiped node",
      () =>
        nodes.slice(0, 2).some((node) =>
          node.lines.some((line) => /data directory was replaced/.test(line))
        ),
      10_000,
    );
    const wipedInfo = await clusterInfo(wiped.clientPort);
    assert.notEqual(wipedInfo.get("role"), "leader");
    const view = await call(nodes[0]!.clientPort, "CLUSTER", "NODES");
    assert.match(view, new RegExp(`^${victim.id} \\S+ \\S+ \\S+ down`, "m"));

    // The operator's procedure: remove it, then add it back with its fresh disk. If the victim
    // led, the two others must have elected one of them first.
    await waitForLeader(nodes.slice(0, 2));
    assert.equal(await call(nodes[0]!.clientPort, "CLUSTER", "REMOVE", victim.id), "OK");
    await stopTestNode(wiped, "SIGKILL");
    await Deno.remove(wiped.dataDir, { recursive: true });
    nodes[2] = await startTestNode(plan, victim.id, [], {
      join: `127.0.0.1:${plan.clientPorts.get("n1")}`,
    });
    await eventually("the re-added node is up and registered", async () => {
      const info = await call(nodes[0]!.clientPort, "INFO", "cluster");
      const members = await call(nodes[0]!.clientPort, "CLUSTER", "NODES");
      return /registered_members:3\r\n/.test(info) &&
        new RegExp(`^${victim.id} \\S+ \\S+ (follower|leader) up`, "m").test(members);
    }, 20_000);
  } finally {
    await stopTestCluster(nodes, plan);
  }
});
