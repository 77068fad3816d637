import assert from "node:assert/strict";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  stopTestCluster,
} from "../helpers/node_harness.ts";
import { waitForLeader } from "../helpers/resp_call.ts";
import { slotLeadersPlaced } from "../helpers/slot_leaders.ts";
import { partitionOfKey } from "../../src/queues/mod.ts";
import { pop, queueClient, queueInfo, retrying, slotLeadersKnown, stats } from "./queue_helpers.ts";

const SLOTS = 16;
const encoder = new TextEncoder();

Deno.test("queues: every command through every node; POP WAIT parks, is woken across nodes, cancelled by a disconnect", async () => {
  const plan = await planTestCluster(3);
  const nodes = await startTestCluster(plan, ["--slots", String(SLOTS), "--queue-waits-max", "3"]);
  const clients = nodes.map(queueClient);
  try {
    await waitForLeader(nodes);
    for (const redis of clients) await slotLeadersKnown(redis, SLOTS);
    await slotLeadersPlaced(clients, nodes.map((node) => node.id), SLOTS);

    // PUSH through each node, LEN and STATS through each, one POP through each, ACK elsewhere.
    const ids: string[] = [];
    for (const [i, redis] of clients.entries()) {
      ids.push(
        await retrying(() => redis.call("QUEUE.PUSH", "jobs", `job-${i}`) as Promise<string>),
      );
    }
    assert.equal(new Set(ids).size, 3, `ids ${ids}`);
    for (const redis of clients) {
      assert.equal(await retrying(() => redis.call("QUEUE.LEN", "jobs")), 3);
      assert.deepEqual(await retrying(() => stats(redis, "jobs")), {
        ready: 3,
        inflight: 0,
        delayed: 0,
        dead: 0,
        pushed: 3,
        acked: 0,
        redelivered: 0,
        dropped: 0,
      });
    }
    const popped = [];
    for (const redis of clients) popped.push(...await retrying(() => pop(redis, "jobs")));
    assert.deepEqual(popped.map((m) => m.payload).sort(), ["job-0", "job-1", "job-2"]);
    assert.ok(popped.every((m) => m.deliveries === 1 && ids.includes(m.id)));
    assert.deepEqual(await pop(clients[0]!, "jobs"), [], "all three are in flight");
    for (const [i, message] of popped.entries()) {
      const acker = clients[(i + 1) % 3]!;
      assert.equal(await retrying(() => acker.call("QUEUE.ACK", "jobs", message.id)), 1);
      assert.equal(await retrying(() => acker.call("QUEUE.ACK", "jobs", message.id)), 0);
    }
    assert.equal(await clients[2]!.call("QUEUE.ACK", "jobs", "not-an-id"), 0);

    // NACK and TOUCH on another node than the POP; COUNT batches over partitions.
    for (let i = 0; i < 5; i++) {
      await retrying(() => clients[i % 3]!.call("QUEUE.PUSH", "b", `m${i}`));
    }
    const batch = await retrying(() => pop(clients[1]!, "b", "COUNT", "10", "VISIBILITY", "60000"));
    assert.equal(batch.length, 5);
    assert.equal(
      await retrying(() => clients[2]!.call("QUEUE.TOUCH", "b", batch[0]!.id, "60000")),
      1,
    );
    assert.equal(await retrying(() => clients[0]!.call("QUEUE.NACK", "b", batch[1]!.id)), 1);
    assert.equal(await retrying(() => clients[0]!.call("QUEUE.TOUCH", "b", batch[1]!.id, "10")), 0);
    const again = await retrying(() => pop(clients[2]!, "b"));
    assert.deepEqual(again.map((m) => [m.id, m.deliveries]), [[batch[1]!.id, 2]]);
    assert.equal((await stats(clients[0]!, "b")).redelivered, 1);

    // KEY keeps order across nodes; PRIORITY high first; DEDUP answers the first id.
    for (const [i, body] of ["k-a", "k-b", "k-c"].entries()) {
      await retrying(() => clients[i]!.call("QUEUE.PUSH", "keyed", body, "KEY", "user:1"));
    }
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [message] = await retrying(() => pop(clients[(i + 2) % 3]!, "keyed", "COUNT", "3"));
      order.push(message!.payload);
      await retrying(() => clients[i]!.call("QUEUE.ACK", "keyed", message!.id));
    }
    assert.deepEqual(order, ["k-a", "k-b", "k-c"]);
    // Two keys of one partition (priority orders a partition's lanes): high is served first.
    const lowKey = "key-0";
    const highKey = Array.from({ length: 100 }, (_, i) => `key-${i + 1}`)
      .find((key) =>
        partitionOfKey(encoder.encode(key), 8) === partitionOfKey(encoder.encode(lowKey), 8)
      )!;
    await retrying(() => clients[0]!.call("QUEUE.PUSH", "prio", "low", "KEY", lowKey));
    await retrying(() =>
      clients[1]!.call("QUEUE.PUSH", "prio", "high", "KEY", highKey, "PRIORITY", "high")
    );
    const served = await retrying(() => pop(clients[2]!, "prio", "COUNT", "2"));
    assert.deepEqual(served.map((m) => m.payload), ["high", "low"]);
    const d1 = await retrying(() => clients[0]!.call("QUEUE.PUSH", "dd", "x", "DEDUP", "order-7"));
    const d2 = await retrying(() => clients[2]!.call("QUEUE.PUSH", "dd", "y", "DEDUP", "order-7"));
    assert.equal(d2, d1);
    assert.equal(await retrying(() => clients[1]!.call("QUEUE.LEN", "dd")), 1);

    // DELAY: not deliverable before its time; a parked POP is woken when it ends (by the tick).
    await retrying(() => clients[0]!.call("QUEUE.PUSH", "later", "soon", "DELAY", "600"));
    assert.equal((await stats(clients[1]!, "later")).delayed, 1);
    const delayedAt = performance.now();
    const woken = await retrying(() => pop(clients[2]!, "later", "WAIT", "15000"));
    assert.deepEqual(woken.map((m) => m.payload), ["soon"]);
    // A WAIT that runs out looks once more: only a wake answers well before the 15 s.
    assert.ok(performance.now() - delayedAt < 10_000, "woken when the delay ended");

    // CONFIG through any node; MAXDELIVER moves to queue:dead, which is a queue; TTL drops.
    assert.equal(
      await retrying(() => clients[1]!.call("QUEUE.CONFIG", "dl", "MAXDELIVER", "1")),
      "OK",
    );
    await retrying(() => clients[2]!.call("QUEUE.PUSH", "dl", "poison"));
    const [poison] = await retrying(() => pop(clients[0]!, "dl", "VISIBILITY", "100"));
    assert.equal(poison!.payload, "poison");
    await eventually("the poison message is dead", async () => {
      return (await retrying(() => stats(clients[1]!, "dl"))).dead === 1;
    }, 10_000);
    const dead = await retrying(() => pop(clients[2]!, "dl:dead"));
    assert.deepEqual(dead.map((m) => [m.id, m.payload]), [[poison!.id, "poison"]]);
    await retrying(() => clients[0]!.call("QUEUE.PUSH", "ttl", "brief", "TTL", "100"));
    await eventually("the message is dropped by its TTL", async () => {
      return (await retrying(() => stats(clients[2]!, "ttl"))).dropped === 1;
    }, 10_000);
    assert.deepEqual(await pop(clients[1]!, "ttl"), []);

    // POP WAIT on n1 is woken by a PUSH through n3 (checked parked first, so no luck involved).
    const waiter = queueClient(nodes[0]!);
    const waiting = pop(waiter, "wake", "WAIT", "20000");
    await eventually("the pop is parked on n1", async () => {
      return await queueInfo(clients[0]!, "queue_pops_parked") === 1;
    }, 5_000);
    const started = performance.now();
    await retrying(() => clients[2]!.call("QUEUE.PUSH", "wake", "hello"));
    assert.deepEqual((await waiting).map((m) => m.payload), ["hello"]);
    assert.ok(performance.now() - started < 15_000, "woken, not timed out");
    waiter.disconnect();

    // Parked pops are bounded per node (-LIMIT past --queue-waits-max), and a disconnect cancels
    // a parked pop: the message pushed afterwards stays ready for someone else.
    const parkers = [0, 1, 2].map(() => queueClient(nodes[1]!));
    const parked = parkers.map((redis) => pop(redis, "idle", "WAIT", "20000").catch(String));
    await eventually("three pops parked on n2", async () => {
      return await queueInfo(clients[1]!, "queue_pops_parked") === 3;
    }, 5_000);
    await assert.rejects(pop(clients[1]!, "idle", "WAIT", "1000"), /LIMIT 3 pops already wait/);
    for (const redis of parkers) redis.disconnect();
    await Promise.all(parked);
    await eventually("the parked pops left with their clients", async () => {
      return await queueInfo(clients[1]!, "queue_pops_parked") === 0;
    }, 5_000);
    await retrying(() => clients[0]!.call("QUEUE.PUSH", "idle", "kept"));
    assert.equal(await retrying(() => clients[2]!.call("QUEUE.LEN", "idle")), 1);
    assert.match(await clients[0]!.info("queues"), /queue_partitions_per_queue:8/);
  } finally {
    for (const redis of clients) redis.disconnect();
    await stopTestCluster(nodes, plan);
  }
});
