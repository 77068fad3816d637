import assert from "node:assert/strict";
import { DsyncClient, type QueueMessage } from "../../src/client/mod.ts";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  stopTestCluster,
  type TestNode,
} from "../helpers/node_harness.ts";
import { waitForLeader } from "../helpers/resp_call.ts";
import { queueClient, slotLeadersKnown } from "../queue_service/queue_helpers.ts";

const SLOTS = 16;
const ARGS = ["--slots", String(SLOTS), "--request-timeout-ms", "2000"];

/** A 3-node cluster whose slot groups all have leaders, and a client over all three nodes. */
async function cluster(): Promise<
  { nodes: TestNode[]; client: DsyncClient; stop: () => Promise<void> }
> {
  const plan = await planTestCluster(3);
  const nodes = await startTestCluster(plan, ARGS);
  const client = new DsyncClient({
    endpoints: nodes.map((node) => `127.0.0.1:${node.clientPort}`),
  });
  const stop = async () => {
    client.close();
    await stopTestCluster(nodes, plan);
  };
  try {
    await waitForLeader(nodes);
    const redis = queueClient(nodes[0]!);
    await slotLeadersKnown(redis, SLOTS).finally(() => redis.disconnect());
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, client, stop };
}

/** Pops through `client` until `count` messages came (each POP waits up to 2 s; 10 s in all). */
async function popAtLeast(client: DsyncClient, queue: string, count: number, visibilityMs: number) {
  const messages: QueueMessage[] = [];
  await eventually(
    `${count} messages of ${queue}`,
    async () => {
      const want = count - messages.length;
      messages.push(...await client.queue.pop(queue, { visibilityMs, waitMs: 2_000, count: want }));
      return messages.length >= count;
    },
    10_000,
    0,
  );
  return messages;
}

Deno.test("client queue API against 3 real nodes: push, pop, ack, nack, touch, dedup, stats", async () => {
  const { client, stop } = await cluster();
  const q = client.queue;
  try {
    const first = await q.push("jobs", "a", { key: "user1" });
    const second = await q.push("jobs", "b", { key: "user1" });
    assert.notEqual(first, second);
    assert.equal(
      await q.push("jobs", "c", { dedupId: "once" }),
      await q.push("jobs", "c2", { dedupId: "once" }),
    );
    assert.equal(await q.len("jobs"), 3);

    // One key keeps its order and has one message in flight: "a" and "c" come, "b" waits for a.
    const firstTwo = await popAtLeast(client, "jobs", 2, 5_000);
    const byText = new Map(firstTwo.map((m) => [m.text, m]));
    assert.deepEqual([...byText.keys()].sort(), ["a", "c"]);
    assert.equal(byText.get("c")!.deliveryCount, 1);
    assert.deepEqual(await q.pop("jobs", { waitMs: 300 }), [], "b waits while a is in flight");
    assert.equal(await q.ack("jobs", byText.get("a")!.id), true);
    const [b] = await popAtLeast(client, "jobs", 1, 5_000);
    assert.equal(b!.text, "b");

    // TOUCH keeps an in-flight message; ACK once is 1, again is 0; TOUCH after the ACK is 0.
    const c = byText.get("c")!;
    assert.equal(await q.touch("jobs", c.id, 5_000), true);
    assert.equal(await q.ack("jobs", c.id), true);
    assert.equal(await q.ack("jobs", c.id), false);
    assert.equal(await q.touch("jobs", c.id, 5_000), false);

    // NACK requeues at once: the message comes back with delivery count 2.
    assert.equal(await q.nack("jobs", b!.id), true);
    const [again] = await popAtLeast(client, "jobs", 1, 5_000);
    assert.equal(again!.id, b!.id);
    assert.equal(again!.text, "b");
    assert.equal(again!.deliveryCount, 2);
    assert.equal(await q.ack("jobs", again!.id), true);
    assert.equal(await q.nack("jobs", "no-such-id"), false);

    const stats = await q.stats("jobs");
    assert.equal(stats.get("pushed"), 3);
    assert.equal(stats.get("acked"), 3);
    assert.equal(stats.get("redelivered"), 1);
    for (const name of ["ready", "inflight", "delayed", "dead"]) {
      assert.equal(stats.get(name), 0, name);
    }
  } finally {
    await stop();
  }
});

Deno.test("client consume() against 3 real nodes: acks, nacks a throw, touches a slow handler", async () => {
  const { client, stop } = await cluster();
  const consumers: Array<{ stop: () => Promise<void> }> = [];
  try {
    const payloads = Array.from({ length: 20 }, (_, i) => `m${i}`);
    for (const payload of payloads) await client.queue.push("work", payload, { key: payload });
    const runs = new Map<string, number[]>();
    const errors: unknown[] = [];
    // Visibility 3 s, touched every 1 s: m5's 4.5 s handler keeps its message only by TOUCH.
    const consumer = client.queue.consume("work", async (message) => {
      runs.set(message.text, [...runs.get(message.text) ?? [], message.deliveryCount]);
      if (message.text === "m5") await new Promise((resolve) => setTimeout(resolve, 4_500));
      if (message.text === "m3" && message.deliveryCount === 1) throw new Error("first try fails");
    }, {
      concurrency: 4,
      visibilityMs: 3_000,
      popWaitMs: 500,
      onError: (error) => errors.push(error),
    });
    consumers.push(consumer);
    await eventually("20 messages acked", () => consumer.counts.acked >= 20, 30_000);
    await consumer.stop();
    assert.deepEqual(consumer.counts, { acked: 20, nacked: 1, lost: 0 });
    assert.deepEqual([...runs.keys()].sort(), [...payloads].sort());
    assert.deepEqual(runs.get("m3"), [1, 2], "nacked on the throw, delivered again");
    assert.deepEqual(runs.get("m5"), [1], "touched while its handler ran: never redelivered");
    for (const payload of payloads.filter((p) => p !== "m3")) {
      assert.deepEqual(runs.get(payload), [1], payload);
    }
    assert.equal(errors.length, 1, errors.map(String).join("\n"));
    const stats = await client.queue.stats("work");
    assert.equal(stats.get("acked"), 20);
    assert.equal(stats.get("redelivered"), 1);
    assert.equal(stats.get("ready")! + stats.get("inflight")! + stats.get("delayed")!, 0);
  } finally {
    for (const consumer of consumers) await consumer.stop();
    await stop();
  }
});
