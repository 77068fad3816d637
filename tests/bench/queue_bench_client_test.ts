import assert from "node:assert/strict";
import { DsyncQueueClient, QUEUES_NOT_SERVED } from "../../bench/load/dsync_queue_client.ts";
import {
  CommandsNotServedError,
  runConsumeLevel,
  runPushLevel,
} from "../../bench/load/queue_workload.ts";
import { waitQueuesReady } from "../../bench/load/queue_ready.ts";
import { startFakeQueueServer } from "../chaos/fake_queue_server.ts";

const OPTIONS = { queue: "benchq", popWaitMs: 0, requestTimeoutMs: 2_000 };

Deno.test("bench:queue dsync client: every pushed message is taken and acked once", async () => {
  const server = startFakeQueueServer("none");
  try {
    await waitQueuesReady(server.port, "benchq", 2_000);
    const open = () => DsyncQueueClient.open(server.port, OPTIONS);
    const pushed = await runPushLevel(open, {
      target: "fake",
      producerCount: 4,
      seconds: 0.3,
      payloadBytes: 256,
      errorCountMax: 0,
      progress: false,
    });
    assert.ok(pushed.messages > 0);
    assert.equal(pushed.errors, 0, pushed.firstError ?? "");
    const consumed = await runConsumeLevel(open, {
      target: "fake",
      consumerCount: 3,
      batchCount: 32,
      messageCount: pushed.messages,
      secondsMax: 30,
      emptyTakesMax: 2,
      errorCountMax: 0,
      progress: false,
    });
    assert.equal(consumed.errors, 0, consumed.firstError ?? "");
    assert.equal(consumed.messages, pushed.messages);
    // Every ACK answered 1 (else an error): nothing is left to take.
    const client = await open();
    assert.equal(await client.popAck(32), 0);
    await client.close();
  } finally {
    await server.close();
  }
});

Deno.test("bench:queue dsync client: a build without queues is reported", async () => {
  const server = startFakeQueueServer("not-served");
  try {
    await assert.rejects(
      () => waitQueuesReady(server.port, "benchq", 2_000),
      (error: unknown) => error instanceof CommandsNotServedError,
    );
    const open = () => DsyncQueueClient.open(server.port, OPTIONS);
    await assert.rejects(
      () =>
        runPushLevel(open, {
          target: "fake",
          producerCount: 2,
          seconds: 5,
          payloadBytes: 256,
          errorCountMax: 1_000,
          progress: false,
        }),
      (error: unknown) =>
        error instanceof CommandsNotServedError && error.message.startsWith(QUEUES_NOT_SERVED),
    );
  } finally {
    await server.close();
  }
});
