import assert from "node:assert/strict";
import { DsyncClient, DsyncError } from "../../src/client/mod.ts";
import { bulk, DROP, err, FakeRespServer, int } from "./fake_resp_server.ts";

function clientOf(...servers: FakeRespServer[]): DsyncClient {
  return new DsyncClient({
    endpoints: servers.map((server) => server.endpoint),
    retryBudgetMs: 3_000,
    replyTimeoutMs: 2_000,
  });
}

async function refusal(promise: Promise<unknown>): Promise<DsyncError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DsyncError) return error;
    throw error;
  }
  throw new Error("expected a DsyncError");
}

Deno.test("TRYAGAIN is retried until the command is answered", async () => {
  let refusals = 2;
  const server = FakeRespServer.start(() =>
    refusals-- > 0 ? err("TRYAGAIN no leader elected yet") : bulk("3-17")
  );
  const client = clientOf(server);
  try {
    assert.equal(await client.queue.push("jobs", "x"), "3-17");
    assert.equal(server.named("QUEUE.PUSH").length, 3);
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("TIMEOUT is not retried for a push without DEDUP, and is for one with it", async () => {
  let timeouts = 1;
  const server = FakeRespServer.start(() =>
    timeouts-- > 0 ? err("TIMEOUT proposal not completed in 5000 ms") : bulk("0-1")
  );
  const client = clientOf(server);
  try {
    const error = await refusal(client.queue.push("jobs", "x"));
    assert.equal(error.code, "TIMEOUT");
    assert.equal(error.fromServer, true);
    assert.equal(
      server.named("QUEUE.PUSH").length,
      1,
      "a push whose outcome is unknown is not sent again",
    );
    timeouts = 1;
    assert.equal(await client.queue.push("jobs", "x", { dedupId: "d1" }), "0-1");
    assert.equal(server.named("QUEUE.PUSH").length, 3);
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("a connection lost after sending: TIMEOUT for a pop, a retry on the next node for an ack", async () => {
  const dropping = FakeRespServer.start(() => DROP);
  const healthy = FakeRespServer.start((args) => args[0] === "QUEUE.ACK" ? int(1) : bulk("x"));
  const client = clientOf(dropping, healthy);
  try {
    const error = await refusal(client.queue.pop("jobs"));
    assert.equal(error.code, "TIMEOUT");
    assert.equal(error.fromServer, false);
    assert.equal(healthy.named("QUEUE.POP").length, 0, "a pop is never sent twice");
    assert.equal(client.currentEndpoint, healthy.endpoint, "the pool moved on");
    client.close();
    const again = clientOf(dropping, healthy);
    try {
      assert.equal(await again.queue.ack("jobs", "0-1"), true);
      assert.equal(dropping.named("QUEUE.ACK").length, 1);
      assert.equal(healthy.named("QUEUE.ACK").length, 1);
    } finally {
      again.close();
    }
  } finally {
    client.close();
    await dropping.close();
    await healthy.close();
  }
});

Deno.test("an unreachable node and NOQUORUM move the client on; other refusals are typed, not retried", async () => {
  const gone = FakeRespServer.start(() => int(0));
  const goneEndpoint = gone.endpoint;
  await gone.close();
  const noQuorum = FakeRespServer.start(() => err("NOQUORUM this node cannot reach a majority"));
  const live = FakeRespServer.start((args) =>
    args[0] === "LOCK.ACQUIRE" ? err("DEADLOCK a -> b -> a") : err("NOTOWNER not held by you")
  );
  const client = new DsyncClient({
    endpoints: [goneEndpoint, noQuorum.endpoint, live.endpoint],
    retryBudgetMs: 3_000,
  });
  try {
    const deadlock = await refusal(client.lock("L", { waitMs: 100 }));
    assert.equal(deadlock.code, "DEADLOCK");
    assert.equal(deadlock.message, "DEADLOCK a -> b -> a");
    assert.equal(deadlock.command, "LOCK.ACQUIRE");
    assert.equal(noQuorum.named("LOCK.ACQUIRE").length, 1);
    assert.equal(live.named("LOCK.ACQUIRE").length, 1);
    const notOwner = await refusal(client.queue.ack("q", "0-1"));
    assert.equal(notOwner.code, "NOTOWNER");
    assert.equal(live.named("QUEUE.ACK").length, 1);
  } finally {
    client.close();
    await noQuorum.close();
    await live.close();
  }
});
