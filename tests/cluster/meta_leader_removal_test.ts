import assert from "node:assert/strict";
import { Redis } from "ioredis";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  stopTestCluster,
  type TestNode,
} from "../helpers/node_harness.ts";
import { waitForLeader } from "../helpers/resp_call.ts";
import { slotsSettled } from "../helpers/slots_settled.ts";
import { parseClusterGroups } from "../../src/client/cluster_groups.ts";

const SLOTS = 16;

/** The meta group's leader as `redis`'s node reports it, or null while none. */
async function metaLeader(redis: Redis): Promise<string | null> {
  const groups = parseClusterGroups(await redis.call("CLUSTER", "GROUPS") as string);
  return groups.find((group) => group.purpose === "meta")?.leaderId ?? null;
}

Deno.test("removing the meta group's leader: it exits, and its slot groups settle on the others", async () => {
  const plan = await planTestCluster(4);
  const nodes: TestNode[] = await startTestCluster(plan, ["--slots", String(SLOTS)]);
  // The removed node's client keeps trying to reconnect once the node exits: errors expected.
  const clients = nodes.map((node) =>
    new Redis({ port: node.clientPort, host: "127.0.0.1", maxRetriesPerRequest: 0 })
      .on("error", () => {})
  );
  try {
    await waitForLeader(nodes);
    await eventually(
      "slot groups settle",
      () => slotsSettled(clients, plan.ids, SLOTS),
      30_000,
      200,
    );
    let leader: string | null = null;
    await eventually(
      "a meta leader",
      async () => (leader = await metaLeader(clients[0]!)) !== null,
      10_000,
    );
    const index = plan.ids.indexOf(leader!);
    const asker = clients[(index + 1) % 4]!;
    const startedMs = performance.now();
    assert.equal(await asker.call("CLUSTER", "REMOVE", leader!), "OK");
    const rest = clients.filter((_, i) => i !== index);
    const restIds = plan.ids.filter((_, i) => i !== index);
    await eventually(
      `slot groups settle without ${leader}`,
      () => slotsSettled(rest, restIds, SLOTS),
      60_000,
      250,
    );
    const settledMs = performance.now() - startedMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const status = await Promise.race([
      nodes[index]!.exited,
      new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), 15_000)),
    ]);
    clearTimeout(timer);
    assert.notEqual(status, null, `${leader} exits once removed`);
    console.log(`settled ${settledMs.toFixed(0)} ms after CLUSTER REMOVE ${leader}`);
  } finally {
    for (const redis of clients) redis.disconnect();
    await stopTestCluster(nodes, plan);
  }
});
