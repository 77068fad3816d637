import assert from "node:assert/strict";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  stopTestCluster,
  stopTestNode,
  type TestNode,
} from "../helpers/node_harness.ts";
import { call, waitForLeader } from "../helpers/resp_call.ts";
import { slotGroupsAt } from "../helpers/slot_groups.ts";

const SLOTS = 16;

/**
 * Leader of each slot once settled: every slot's leader hosts it with three voters, all of them
 * hosting it, and the leaders are the placement's preferred ones (no transfer pending); null
 * before.
 */
async function settledLeaders(nodes: TestNode[]): Promise<Map<number, string> | null> {
  const views = await Promise.all(nodes.map((node) => slotGroupsAt(node.clientPort)));
  const leaders = new Map<number, string>();
  for (let slot = 0; slot < SLOTS; slot++) {
    const index = views.findIndex((view, i) => view.get(slot)?.leaderId === nodes[i]!.id);
    if (index < 0) return null;
    const members = views[index]!.get(slot)!.members;
    if (members.length !== 3) return null;
    for (const member of members) {
      const at = nodes.findIndex((node) => node.id === member);
      if (at < 0 || views[at]!.get(slot)?.leaderId !== nodes[index]!.id) return null;
    }
    leaders.set(slot, nodes[index]!.id);
  }
  for (const node of nodes) {
    const info = await call(node.clientPort, "INFO", "slots");
    const preferred = Number(new RegExp(`slots_preferred_${node.id}:(\\d+)`).exec(info)?.[1]);
    const led = [...leaders.values()].filter((id) => id === node.id).length;
    if (led !== preferred) return null;
  }
  return leaders;
}

/** A key whose slot is `slot` (asked of the cluster, up to a bound). */
async function keyOfSlot(node: TestNode, slot: number): Promise<string> {
  for (let i = 0; i < 10_000; i++) {
    if (Number(await call(node.clientPort, "CLUSTER", "KEYSLOT", `key:${i}`)) === slot) {
      return `key:${i}`;
    }
  }
  throw new Error(`no key found for slot ${slot}`);
}

Deno.test("slots: leaders are spread; a node that does not host a slot reaches it while the slot's preferred leader is down", async () => {
  const plan = await planTestCluster(4);
  const nodes = await startTestCluster(plan, ["--slots", String(SLOTS)]);
  try {
    await waitForLeader(nodes);
    let leaders: Map<number, string> | null = null;
    await eventually(
      "slot groups settle on their preferred leaders",
      async () => {
        leaders = await settledLeaders(nodes);
        return leaders !== null;
      },
      60_000,
      250,
    );
    // Spread: 16 slots on 4 nodes, each leads 4 (counts differ by at most one).
    const counts = plan.ids.map((id) =>
      [...leaders!.values()].filter((each) => each === id).length
    );
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `leaders per node: ${counts}`);

    // A slot n4 does not host; its leader is then another node.
    const outsider = nodes[3]!;
    const hosted = await slotGroupsAt(outsider.clientPort);
    const slot = [...leaders!.keys()].find((each) => !hosted.has(each));
    assert.ok(slot !== undefined, "with 3 replicas on 4 nodes n4 misses some slots");
    const key = await keyOfSlot(outsider, slot);
    assert.equal(await call(outsider.clientPort, "SET", key, "before"), "OK");
    const victim = nodes.find((node) => node.id === leaders!.get(slot))!;
    await stopTestNode(victim, "SIGKILL");

    // The two other replicas elect a leader; n4 still names the victim first (the placement's
    // preferred leader) and must find the new one among the slot's other members.
    let reply = "";
    await eventually(
      `SET ${key} through ${outsider.id} succeeds`,
      async () => {
        reply = await call(outsider.clientPort, "SET", key, "after");
        return reply === "OK";
      },
      20_000,
      200,
    );
    assert.equal(await call(outsider.clientPort, "GET", key), "after");
  } finally {
    await stopTestCluster(nodes, plan);
  }
});
