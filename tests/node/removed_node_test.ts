import assert from "node:assert/strict";
import {
  planTestCluster,
  startTestCluster,
  stopTestCluster,
  type TestNode,
} from "../helpers/node_harness.ts";
import { call, clusterInfo, waitForLeader } from "../helpers/resp_call.ts";

const EXIT_TIMEOUT_MS = 10_000;
const REMOVED_LINE = "removed from the cluster; exiting";

/** Sends a membership command, retrying while the answer is TRYAGAIN (safe by the contract). */
async function callRetrying(port: number, ...args: string[]): Promise<unknown> {
  let reply: unknown;
  for (let attempt = 0; attempt < 50; attempt++) {
    reply = await call(port, ...args);
    if (typeof reply !== "string" || !reply.startsWith("-TRYAGAIN")) return reply;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return reply;
}

/** The node's exit status, or null if it is still running after `timeoutMs`. */
async function exitWithin(node: TestNode, timeoutMs: number): Promise<Deno.CommandStatus | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) =>
    timer = setTimeout(() => resolve(null), timeoutMs)
  );
  try {
    return await Promise.race([node.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

for (const removedId of ["n3", "n1"]) {
  Deno.test(`a removed member (${removedId}) learns it, says so once and exits, leaving its data`, async () => {
    const plan = await planTestCluster(3);
    const nodes = await startTestCluster(plan);
    try {
      const removed = nodes.find((node) => node.id === removedId)!;
      let leader = await waitForLeader(nodes);
      if (leader === removed) {
        // Removing the leader itself races its reply with its exit: move leadership first.
        const next = nodes.find((node) => node !== removed)!;
        assert.equal(await callRetrying(leader.clientPort, "CLUSTER", "TRANSFER", next.id), "OK");
        leader = await waitForLeader(nodes);
      }
      const other = leader;
      assert.equal(await callRetrying(other.clientPort, "CLUSTER", "REMOVE", removedId), "OK");
      const status = await exitWithin(removed, EXIT_TIMEOUT_MS);
      assert.notEqual(
        status,
        null,
        `${removedId} still runs:\n${removed.lines.slice(-8).join("\n")}`,
      );
      assert.equal(status!.code, 0);
      assert.equal(removed.lines.filter((line) => line.includes(REMOVED_LINE)).length, 1);
      assert.ok((await Deno.stat(removed.dataDir)).isDirectory, "the data directory is left");
      assert.ok([...Deno.readDirSync(removed.dataDir)].length > 0, "with its files");
      // The members that stay keep serving.
      assert.equal((await clusterInfo(other.clientPort)).get("members"), "2");
      for (const node of nodes) {
        if (node !== removed) {
          assert.equal(node.lines.filter((line) => line.includes(REMOVED_LINE)).length, 0);
        }
      }
    } finally {
      await stopTestCluster(nodes, plan);
    }
  });
}
