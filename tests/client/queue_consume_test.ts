import assert from "node:assert/strict";
import { DsyncClient } from "../../src/client/mod.ts";
import { eventually } from "../helpers/node_harness.ts";
import { FakeRespServer } from "./fake_resp_server.ts";
import { FakeQueue } from "./fake_queue.ts";

async function withQueue(body: (queue: FakeQueue, client: DsyncClient) => Promise<void>) {
  const queue = new FakeQueue();
  const server = FakeRespServer.start(queue.handler);
  const client = new DsyncClient({ endpoints: [server.endpoint], retryBudgetMs: 2_000 });
  try {
    await body(queue, client);
  } finally {
    client.close();
    await server.close();
  }
}

Deno.test("push, pop, ack, stats speak the contract's replies", async () => {
  await withQueue(async (queue, client) => {
    const id = await client.queue.push("jobs", "hello", { key: "k", priority: "high" });
    assert.equal(id, "0-1");
    const [message, ...rest] = await client.queue.pop("jobs", { visibilityMs: 5_000 });
    assert.deepEqual(rest, []);
    assert.equal(message!.id, "0-1");
    assert.equal(message!.text, "hello");
    assert.equal(message!.deliveryCount, 1);
    assert.deepEqual(await client.queue.pop("jobs"), []);
    assert.deepEqual(
      [...await client.queue.stats("jobs")],
      [["ready", 0], ["inflight", 1]],
    );
    assert.equal(await client.queue.ack("jobs", "0-1"), true);
    assert.equal(await client.queue.ack("jobs", "0-1"), false);
    assert.deepEqual(queue.acked, ["0-1", "0-1"]);
  });
});

Deno.test("consume touches a long-running message, acks on success and nacks on a throw", async () => {
  await withQueue(async (queue, client) => {
    const slow = queue.add("slow");
    const bad = queue.add("bad");
    const handled: string[] = [];
    const consumer = client.queue.consume("jobs", async (message) => {
      if (message.text === "bad") throw new Error("cannot handle it");
      // Three visibilities long: only touches keep it ours.
      await new Promise((resolve) => setTimeout(resolve, 900));
      handled.push(message.id);
    }, { visibilityMs: 300, popWaitMs: 50 });
    await eventually(
      "both messages are settled",
      () => queue.acked.length + queue.nacked.length === 2,
      5_000,
    );
    await consumer.stop();
    assert.deepEqual(queue.acked, [slow]);
    assert.deepEqual(queue.nacked, [bad]);
    assert.deepEqual(handled, [slow]);
    const slowTouches = queue.touches.filter((touch) => touch === `${slow} 300`);
    // Every 100 ms over 900 ms; a loaded machine may run a few late, never none.
    assert.ok(slowTouches.length >= 3, `touches: ${queue.touches}`);
    assert.deepEqual(consumer.counts, { acked: 1, nacked: 1, lost: 0 });
  });
});

Deno.test("consume runs `concurrency` handlers at once, and a message lost under its handler fires its signal", async () => {
  await withQueue(async (queue, client) => {
    queue.add("a");
    queue.add("b");
    let running = 0;
    let release: () => void = () => {};
    const bothRunning = new Promise<void>((resolve) => release = resolve);
    const consumer = client.queue.consume("jobs", async () => {
      running++;
      if (running === 2) release();
      // With concurrency 1 this would never resolve: the second message is never started.
      await bothRunning;
    }, { concurrency: 2, popWaitMs: 50 });
    await eventually("both acked", () => queue.acked.length === 2, 5_000);
    await consumer.stop();

    const lostId = queue.add("lost");
    queue.touchReply = () => false; // redelivered elsewhere: TOUCH answers 0
    let reason: unknown;
    const losing = client.queue.consume("jobs", async (_message, { signal }) => {
      reason = await new Promise((resolve) =>
        signal.addEventListener("abort", () => resolve(signal.reason))
      );
    }, { visibilityMs: 150, popWaitMs: 50 });
    await eventually("the handler saw the loss", () => reason !== undefined, 5_000);
    await losing.stop();
    assert.match(String(reason), new RegExp(`message ${lostId} is no longer in flight`));
    assert.equal(losing.counts.lost, 1);
    assert.deepEqual(
      queue.acked.slice(2),
      [lostId],
      "the handler returned: acked (ACK names no consumer)",
    );
  });
});
