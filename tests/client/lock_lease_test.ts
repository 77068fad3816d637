import assert from "node:assert/strict";
import { DsyncClient } from "../../src/client/mod.ts";
import {
  planTestCluster,
  startTestCluster,
  stopTestCluster,
  stopTestNode,
} from "../helpers/node_harness.ts";
import { call, waitForLeader } from "../helpers/resp_call.ts";
import { lockHolders as holders } from "./lock_info.ts";

/**
 * Long enough that refreshes (every TTL/3) confirm within the TTL on a loaded machine: with 1.5 s,
 * replies 1 s late (load average 22 on 2 cores) made the client give the lease up, rightly.
 */
const TTL_MS = 3_000;

Deno.test("a held lock outlives many TTLs, and the client fails over when its node dies", async () => {
  const plan = await planTestCluster(3);
  const nodes = await startTestCluster(plan);
  try {
    await waitForLeader(nodes);
    const [n1, n2, n3] = nodes as [typeof nodes[0], typeof nodes[0], typeof nodes[0]];
    const client = new DsyncClient({
      endpoints: nodes.map((node) => `127.0.0.1:${node.clientPort}`),
      retryBudgetMs: 5_000,
    });
    try {
      // n1, the node the client talks to first, leads: killing it takes the leader too.
      assert.equal(await call(n1.clientPort, "CLUSTER", "TRANSFER", "n1"), "OK");
      const handle = await client.lock("job", { ttlMs: TTL_MS });
      assert.ok(handle !== null, "the free lock is granted");
      assert.deepEqual(client.currentEndpoint, `127.0.0.1:${n1.clientPort}`);
      const owner = `${handle.owner} ${handle.token}`;
      const why = (): string => `${handle.refreshCount} refreshes, ${handle.signal.reason}`;
      // Three TTLs: without refreshes the lease would have run out twice over.
      const heldUntil = performance.now() + 3 * TTL_MS;
      while (performance.now() < heldUntil) {
        assert.deepEqual(await holders(n3.clientPort, "job"), [owner], why());
        await new Promise((resolve) => setTimeout(resolve, TTL_MS / 4));
      }
      assert.ok(handle.held, "the signal has not fired");
      assert.ok(handle.refreshCount >= 4, `refreshes: ${handle.refreshCount}`);

      // Kill the node the client talks to: refreshes move to the next endpoint.
      await stopTestNode(n1, "SIGKILL");
      await waitForLeader([n2, n3]);
      const refreshesBefore = handle.refreshCount;
      const keptUntil = performance.now() + 2 * TTL_MS;
      while (performance.now() < keptUntil) {
        assert.deepEqual(await holders(n3.clientPort, "job"), [owner], why());
        await new Promise((resolve) => setTimeout(resolve, TTL_MS / 4));
      }
      assert.ok(handle.held, `still held after the failover: ${handle.signal.reason}`);
      assert.ok(handle.refreshCount >= refreshesBefore + 2, `refreshes: ${handle.refreshCount}`);
      assert.deepEqual(client.currentEndpoint === `127.0.0.1:${n1.clientPort}`, false);
      assert.deepEqual(await handle.release(), true);
      assert.deepEqual(await holders(n3.clientPort, "job"), []);
      assert.ok(!handle.held);
    } finally {
      client.close();
    }
  } finally {
    await stopTestCluster(nodes, plan);
  }
});
