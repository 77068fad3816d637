import assert from "node:assert/strict";
import {
  eventually,
  planTestCluster,
  startTestNode,
  stopTestCluster,
  type TestNode,
} from "../helpers/node_harness.ts";
import { waitForLeader } from "../helpers/resp_call.ts";
import { pop, queueClient, queueInfo, retrying, slotLeadersKnown } from "./queue_helpers.ts";

const SLOTS = 8;
const MESSAGES = 32;

Deno.test("queues: a node started with another --queue-partitions uses the cluster's recorded count", async () => {
  const plan = await planTestCluster(3);
  const nodes: TestNode[] = [];
  const clients = [];
  try {
    // n1 and n2 form the cluster (a majority) and record 8 partitions; n3 then asks for 4.
    for (const id of ["n1", "n2"]) {
      nodes.push(await startTestNode(plan, id, ["--slots", String(SLOTS)]));
    }
    await waitForLeader(nodes);
    await eventually(
      "the setting recorded",
      () => nodes.some((node) => node.lines.some((line) => line.includes("cluster setting"))),
      15_000,
    );
    const n3 = await startTestNode(plan, "n3", [
      "--slots",
      String(SLOTS),
      "--queue-partitions",
      "4",
    ]);
    nodes.push(n3);
    clients.push(...nodes.map(queueClient));
    const [first, , third] = clients;
    for (const redis of clients) await slotLeadersKnown(redis!, SLOTS);
    await eventually(
      "n3 reports the cluster's 8 partitions",
      async () => await queueInfo(third!, "queue_partitions_per_queue") === 8,
      15_000,
    );
    assert.ok(
      n3.lines.some((line) => line.includes("differs from the cluster's")),
      "n3 warns that its flag is not the cluster's",
    );

    // Keys spread over all 8 partitions; n3 must reach every one of them to pop and ack.
    for (let i = 0; i < MESSAGES; i++) {
      await retrying(() => first!.call("QUEUE.PUSH", "jobs", `m${i}`, "KEY", `k${i}`));
    }
    const payloads = new Set<string>();
    await eventually("n3 pops every message", async () => {
      for (const message of await retrying(() => pop(third!, "jobs", "COUNT", "32"))) {
        payloads.add(message.payload);
        assert.equal(await retrying(() => third!.call("QUEUE.ACK", "jobs", message.id)), 1);
      }
      return payloads.size === MESSAGES;
    }, 20_000);
    assert.equal(await retrying(() => first!.call("QUEUE.LEN", "jobs")), 0);
  } finally {
    for (const redis of clients) redis?.disconnect();
    await stopTestCluster(nodes, plan);
  }
});
