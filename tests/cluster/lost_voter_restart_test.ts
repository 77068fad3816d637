import assert from "node:assert/strict";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  startTestNode,
  stopTestCluster,
  stopTestNode,
} from "../helpers/node_harness.ts";
import { call, waitForLeader } from "../helpers/resp_call.ts";
import { allGroupsSettled, slotGroups } from "../helpers/slots_info.ts";

const SLOTS = 16;
const ARGS = ["--slots", String(SLOTS)];
/** Keys written before the wipe (spread over every slot). */
const KEYS = 64;
/** Bound on each wait for every slot group to settle. */
const SETTLE_TIMEOUT_MS = 20_000;

/** Calls `args` on `port` until it answers OK (the meta leader may be moving). */
async function untilOk(port: number, what: string, ...args: string[]): Promise<void> {
  await eventually(what, async () => await call(port, ...args).catch(String) === "OK", 15_000, 50);
}

Deno.test("slots: a voter wiped while every other node restarts (no process saw its old incarnation) is removed and added back from its own answers", async () => {
  const plan = await planTestCluster(3);
  let nodes = await startTestCluster(plan, ARGS);
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
    // The nemesis's wipe of n3 with the re-add racing the slot groups' removals...
    const [n1, n2, n3] = nodes as [typeof nodes[0], typeof nodes[0], typeof nodes[0]];
    await stopTestNode(n3, "SIGKILL");
    await Deno.remove(n3.dataDir, { recursive: true });
    await untilOk(n1.clientPort, "CLUSTER REMOVE", "CLUSTER", "REMOVE", "n3");
    const peer = `127.0.0.1:${n3.peerPort}`;
    const client = `127.0.0.1:${n3.clientPort}`;
    await untilOk(n1.clientPort, "CLUSTER ADD", "CLUSTER", "ADD", "n3", peer, client);
    // ...and then n1 and n2 are killed and restarted before n3 registers its new data
    // directory: no process alive afterwards ever saw n3's old incarnation.
    await Promise.all([stopTestNode(n1, "SIGKILL"), stopTestNode(n2, "SIGKILL")]);
    const [r1, r2] = await Promise.all([
      startTestNode(plan, "n1", ARGS),
      startTestNode(plan, "n2", ARGS),
    ]);
    const r3 = await startTestNode(plan, "n3", ARGS, { join: `127.0.0.1:${r1!.clientPort}` });
    nodes = [r1!, r2!, r3];
    const startedMs = performance.now();
    // Settled must mean: n3 is a voter of every slot group it replicates in its own view too
    // (so it can vote), and every key reads back.
    await eventually(
      "slot groups settle with n3 a member of its own groups",
      async () => {
        if (!await allGroupsSettled(nodes, SLOTS)) return false;
        const groups = await slotGroups(r3);
        return groups.size > 0 &&
          [...groups.values()].every((group) => group.members.includes("n3"));
      },
      SETTLE_TIMEOUT_MS,
      100,
    );
    console.log(
      `every slot group settled with n3 back in ${Math.round(performance.now() - startedMs)} ms`,
    );
    for (let i = 0; i < KEYS; i++) {
      assert.equal(await call(nodes[(i + 2) % 3]!.clientPort, "GET", `k${i}`), `v${i}`);
    }
  } finally {
    await stopTestCluster(nodes, plan);
  }
});
