import assert from "node:assert/strict";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  startTestNode,
  stopTestCluster,
  stopTestNode,
  type TestNode,
} from "../helpers/node_harness.ts";
import { call, waitForLeader } from "../helpers/resp_call.ts";
import { slotGroupsAt } from "../helpers/slot_groups.ts";
import { freePort } from "../../src/util/free_ports.ts";

const SLOTS = 8;
const ARGS = ["--slots", String(SLOTS)];

/** SET through `node`, retried while the slot's group is between leaders (-TRYAGAIN). */
async function set(node: TestNode, key: string, value: string): Promise<void> {
  let reply = "";
  await eventually(
    `SET ${key}`,
    async () => {
      reply = await call(node.clientPort, "SET", key, value);
      return !reply.startsWith("-TRYAGAIN");
    },
    10_000,
    100,
  );
  assert.equal(reply, "OK");
}

/** GET through `node`, retried while a slot's leadership moves (-TRYAGAIN, as the contract says). */
async function get(node: TestNode, key: string): Promise<string> {
  let reply = "";
  await eventually(
    `GET ${key}`,
    async () => {
      reply = await call(node.clientPort, "GET", key);
      return !reply.startsWith("-TRYAGAIN");
    },
    10_000,
    100,
  );
  return reply;
}

/** INFO fields of `sections` on `node`, as a map. */
async function info(node: TestNode, ...sections: string[]): Promise<Map<string, string>> {
  const fields = new Map<string, string>();
  for (const section of sections) {
    for (const line of (await call(node.clientPort, "INFO", section)).split("\r\n")) {
      const at = line.indexOf(":");
      if (at > 0) fields.set(line.slice(0, at), line.slice(at + 1));
    }
  }
  return fields;
}

/** Every node hosts exactly the slot groups the placement over `ids` lists it in. */
async function hostsExactlyPlaced(nodes: TestNode[], ids: string[]): Promise<boolean> {
  for (const node of nodes) {
    const fields = await info(node, "slots");
    if (fields.get("placement_members") !== [...ids].sort().join(",")) return false;
    if (fields.get("slots_hosted") !== fields.get("slots_placed_here")) return false;
  }
  return true;
}

/** Every slot's leader sees three voters, each of which hosts the group. */
async function groupsSettled(nodes: TestNode[]): Promise<boolean> {
  const views = await Promise.all(nodes.map((node) => slotGroupsAt(node.clientPort)));
  for (let slot = 0; slot < SLOTS; slot++) {
    const led = views.map((view, i) => ({ view: view.get(slot), id: nodes[i]!.id }))
      .find(({ view, id }) => view?.leaderId === id);
    if (led === undefined || led.view!.members.length !== 3) return false;
    for (const member of led.view!.members) {
      const index = nodes.findIndex((node) => node.id === member);
      if (index < 0 || !views[index]!.has(slot)) return false;
    }
  }
  return true;
}

Deno.test("slots: a node a join moves slots away from stops those groups and deletes their state", async () => {
  const plan = await planTestCluster(3);
  plan.ids.push("n4");
  plan.clientPorts.set("n4", freePort());
  plan.peerPorts.set("n4", freePort());
  const nodes = await Promise.all(plan.ids.slice(0, 3).map((id) => startTestNode(plan, id, ARGS)));
  try {
    await waitForLeader(nodes);
    await eventually("slot groups settle", () => groupsSettled(nodes), 30_000, 200);
    for (let i = 0; i < 16; i++) {
      await set(nodes[i % 3]!, `k${i}`, `v${i}`);
    }
    nodes.push(
      await startTestNode(plan, "n4", ARGS, { join: `127.0.0.1:${nodes[0]!.clientPort}` }),
    );
    const ids = plan.ids;
    await eventually(
      "every node hosts exactly its placed slots",
      async () => await hostsExactlyPlaced(nodes, ids) && await groupsSettled(nodes),
      60_000,
      250,
    );
    let dropped = 0;
    for (const node of nodes.slice(0, 3)) {
      const fields = await info(node, "slots", "persistence");
      dropped += Number(fields.get("slot_groups_dropped"));
      // The node log holds the meta group and the hosted slot groups, nothing of the left ones.
      await eventually(`${node.id}'s log forgot the groups it left`, async () => {
        const now = await info(node, "slots", "persistence");
        return Number(now.get("wal_group_count")) === Number(now.get("slots_hosted")) + 1;
      }, 10_000);
    }
    assert.ok(dropped > 0, "the join moved some replicas off the first three nodes");
    for (let i = 0; i < 16; i++) {
      assert.equal(await get(nodes[(i + 1) % 4]!, `k${i}`), `v${i}`);
    }
  } finally {
    await stopTestCluster(nodes, plan);
  }
});

Deno.test("slots: a wiped node added back starts its slot groups empty and is re-added by their leaders", async () => {
  const plan = await planTestCluster(3);
  const nodes = await startTestCluster(plan, ARGS);
  try {
    await waitForLeader(nodes);
    await eventually("slot groups settle", () => groupsSettled(nodes), 30_000, 200);
    for (const node of nodes) {
      const fields = await info(node, "slots", "cluster");
      assert.equal(
        fields.get("slot_groups_started_founder"),
        String(SLOTS),
        "3 nodes: all replicate every slot",
      );
    }
    for (let i = 0; i < 16; i++) {
      await set(nodes[i % 3]!, `k${i}`, `v${i}`);
    }
    // Wipe n3, remove it, add it back with its empty disk (the procedure of docs/storage.md).
    const victim = nodes[2]!;
    await eventually(
      "n3's incarnation is recorded",
      async () =>
        /registered_members:3\r\n/.test(await call(nodes[0]!.clientPort, "INFO", "cluster")),
      15_000,
    );
    await stopTestNode(victim, "SIGKILL");
    await Deno.remove(victim.dataDir, { recursive: true });
    await waitForLeader(nodes.slice(0, 2));
    await eventually(
      "CLUSTER REMOVE n3 accepted",
      async () => {
        try {
          return await call(nodes[0]!.clientPort, "CLUSTER", "REMOVE", victim.id) === "OK";
        } catch {
          return false;
        }
      },
      20_000,
      200,
    );
    nodes[2] = await startTestNode(plan, victim.id, ARGS, {
      join: `127.0.0.1:${nodes[0]!.clientPort}`,
    });
    const wiped = nodes[2];
    await eventually(
      "n3 hosts every slot again and every group has three voters",
      async () => await hostsExactlyPlaced(nodes, plan.ids) && await groupsSettled(nodes),
      60_000,
      250,
    );
    const fields = await info(wiped, "slots");
    assert.equal(fields.get("slot_groups_started_founder"), "0", "a wiped node founds no group");
    assert.equal(fields.get("slot_groups_started_empty"), String(SLOTS));
    for (let i = 0; i < 16; i++) {
      assert.equal(await get(wiped, `k${i}`), `v${i}`);
    }
  } finally {
    await stopTestCluster(nodes, plan);
  }
});
