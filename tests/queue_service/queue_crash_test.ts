import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  startTestNode,
  stopTestCluster,
  stopTestNode,
  type TestNode,
} from "../helpers/node_harness.ts";
import { waitForLeader } from "../helpers/resp_call.ts";
import { partitionOfKey } from "../../src/queues/mod.ts";
import {
  partitionLeader,
  pop,
  type Popped,
  queueClient,
  RETRYABLE,
  retrying,
  slotLeadersKnown,
  stats,
} from "./queue_helpers.ts";

const SLOTS = 16;
const ARGS = ["--slots", String(SLOTS), "--request-timeout-ms", "2000"];

/** Pops and acks through `clients` until every payload of `wanted` was seen (or `timeoutMs`). */
async function drain(
  clients: Redis[],
  queue: string,
  wanted: ReadonlySet<string>,
  timeoutMs: number,
): Promise<{ seen: Map<string, string>; deliveries: number }> {
  const seen = new Map<string, string>();
  let deliveries = 0;
  let turn = 0;
  const popSome = async () => {
    const redis = clients[turn++ % clients.length]!;
    const batch = await pop(redis, queue, "COUNT", "100", "VISIBILITY", "30000").catch((error) => {
      if (RETRYABLE.test(String(error))) return [];
      throw error;
    });
    for (const message of batch) seen.set(message.payload, message.id);
    deliveries += batch.length;
    const ack = (id: string) => retrying(() => redis.call("QUEUE.ACK", queue, id));
    await Promise.all(batch.map((message) => ack(message.id)));
    return [...wanted].every((payload) => seen.has(payload));
  };
  await eventually(`all ${wanted.size} messages popped`, popSome, timeoutMs, 20);
  return { seen, deliveries };
}

Deno.test("queues: kill -9 of a partition leader under load loses no acknowledged push", async () => {
  const plan = await planTestCluster(3);
  const nodes = await startTestCluster(plan, ARGS);
  const clients = nodes.map(queueClient);
  const producers: Redis[] = [];
  try {
    await waitForLeader(nodes);
    for (const redis of clients) await slotLeadersKnown(redis, SLOTS);
    // The victim leads partition 0's slot; producers and consumers talk to the other two nodes.
    const victimId = await partitionLeader(clients[0]!, "load", 0);
    const victim = nodes.find((node) => node.id === victimId)!;
    const survivors = nodes.filter((node) => node !== victim);
    const acked = new Map<string, string>();
    const unknown = new Set<string>();
    let killed = false;
    const produce = async (index: number) => {
      const redis = queueClient(survivors[index % 2]!);
      producers.push(redis);
      for (let n = 0; n < 40; n++) {
        const payload = `p${index}-${n}`;
        // 48 KEYs spread pushes over every partition (the victim's too; a key has one message in
        // flight at a time, so they also bound a pop's batch); DEDUP makes a retry after
        // an unknown outcome answer the first push's id instead of adding a second message.
        const push = () =>
          redis.call(
            "QUEUE.PUSH",
            "load",
            payload,
            "KEY",
            `k${(index * 40 + n) % 48}`,
            "DEDUP",
            payload,
          );
        try {
          acked.set(payload, await retrying(push as () => Promise<string>, 15_000));
        } catch (error) {
          if (!RETRYABLE.test(String(error))) throw error;
          unknown.add(payload);
        }
        if (index === 0 && n === 10 && !killed) {
          killed = true;
          await stopTestNode(victim, "SIGKILL");
          clients[nodes.indexOf(victim)]!.disconnect();
        }
      }
    };
    const loadStarted = performance.now();
    await Promise.all(Array.from({ length: 6 }, (_, index) => produce(index)));
    const loadMs = Math.round(performance.now() - loadStarted);
    assert.ok(killed, "the partition leader was killed under load");
    assert.ok(acked.size >= 200, `${acked.size} pushes acknowledged`);
    const consumers = survivors.map(queueClient);
    producers.push(...consumers);
    const drainStarted = performance.now();
    const { seen, deliveries } = await drain(consumers, "load", new Set(acked.keys()), 20_000);
    const drainMs = Math.round(performance.now() - drainStarted);
    for (const [payload, id] of acked) {
      assert.equal(seen.get(payload), id, `acknowledged push ${payload} (${id}) was popped`);
    }
    const extra = [...seen.keys()].filter((payload) => !acked.has(payload));
    assert.ok(extra.every((payload) => unknown.has(payload)), `only unknown outcomes extra`);
    console.log(
      `kill -9 of ${victimId}: ${acked.size} acknowledged pushes all popped; ` +
        `${unknown.size} unknown outcomes (${extra.length} of them enqueued); ` +
        `${deliveries - seen.size} duplicate deliveries; load ${loadMs} ms, drain ${drainMs} ms`,
    );
  } finally {
    for (const redis of [...clients, ...producers]) redis.disconnect();
    await stopTestCluster(nodes, plan);
  }
});

Deno.test("queues: a full restart of every node keeps every unacknowledged message", async () => {
  const plan = await planTestCluster(3);
  let nodes: TestNode[] = await startTestCluster(plan, ARGS);
  let clients = nodes.map(queueClient);
  try {
    await waitForLeader(nodes);
    for (const redis of clients) await slotLeadersKnown(redis, SLOTS);
    const payloads = Array.from({ length: 60 }, (_, i) => `m${i}`);
    for (const [i, payload] of payloads.entries()) {
      const options = i % 3 === 0
        ? ["KEY", `user${i % 4}`]
        : i % 5 === 0
        ? ["PRIORITY", "high"]
        : [];
      if (i % 11 === 0) options.push("DELAY", "500");
      await retrying(() => clients[i % 3]!.call("QUEUE.PUSH", "keep", payload, ...options));
    }
    // 20 in flight (visibility 2 s), 10 of them acked.
    const inFlight: Popped[] = [];
    while (inFlight.length < 20) {
      const want = String(20 - inFlight.length);
      inFlight.push(
        ...await retrying(() => pop(clients[1]!, "keep", "COUNT", want, "VISIBILITY", "2000")),
      );
    }
    const ackedPayloads = new Set<string>();
    for (const message of inFlight.slice(0, 10)) {
      assert.equal(await retrying(() => clients[2]!.call("QUEUE.ACK", "keep", message.id)), 1);
      ackedPayloads.add(message.payload);
    }
    const unacked = new Set(payloads.filter((payload) => !ackedPayloads.has(payload)));

    // Every node killed at once, then started again on its data.
    for (const redis of clients) redis.disconnect();
    await Promise.all(nodes.map((node) => stopTestNode(node, "SIGKILL")));
    nodes = await Promise.all(plan.ids.map((id) => startTestNode(plan, id, ARGS)));
    clients = nodes.map(queueClient);
    await waitForLeader(nodes);
    for (const redis of clients) await slotLeadersKnown(redis, SLOTS);
    const after = await retrying(() => stats(clients[0]!, "keep"), 20_000);
    assert.equal(after.pushed, 60);
    assert.equal(after.acked, 10);
    assert.equal(after.ready + after.inflight + after.delayed, 50, JSON.stringify(after));
    const { seen } = await drain(clients, "keep", unacked, 20_000);
    assert.deepEqual([...seen.keys()].sort(), [...unacked].sort());
    const empty = await retrying(() => stats(clients[2]!, "keep"));
    assert.equal(empty.ready + empty.inflight + empty.delayed, 0, JSON.stringify(empty));
  } finally {
    for (const redis of clients) redis.disconnect();
    await stopTestCluster(nodes, plan);
  }
});

Deno.test("queues: a POP WAIT that found its partition leaderless is woken when a new leader takes over", async () => {
  const plan = await planTestCluster(3);
  const nodes = await startTestCluster(plan, ARGS);
  const clients = nodes.map(queueClient);
  try {
    await waitForLeader(nodes);
    for (const redis of clients) await slotLeadersKnown(redis, SLOTS);
    const encoder = new TextEncoder();
    const key = Array.from({ length: 100 }, (_, i) => `key-${i}`)
      .find((each) => partitionOfKey(encoder.encode(each), 8) === 0)!;
    await retrying(() => clients[0]!.call("QUEUE.PUSH", "failover", "waiting", "KEY", key));
    const victimId = await partitionLeader(clients[0]!, "failover", 0);
    const victimIndex = nodes.findIndex((node) => node.id === victimId);
    clients[victimIndex]!.disconnect();
    await stopTestNode(nodes[victimIndex]!, "SIGKILL");
    // At once, before the failure detector and an election give the slot a new leader: the pop's
    // first look fails on partition 0 and it parks. Only the new leader's announcement can wake it
    // well before the WAIT runs out (after which it would look once more and find the message).
    const consumer = clients[(victimIndex + 1) % 3]!;
    const started = performance.now();
    const popped = await pop(consumer, "failover", "WAIT", "20000");
    const elapsedMs = performance.now() - started;
    assert.deepEqual(popped.map((m) => m.payload), ["waiting"]);
    assert.ok(elapsedMs < 12_000, `woken by the new leader after ${Math.round(elapsedMs)} ms`);
    console.log(`pop parked across a failover answered after ${Math.round(elapsedMs)} ms`);
  } finally {
    for (const redis of clients) redis.disconnect();
    await stopTestCluster(nodes, plan);
  }
});
