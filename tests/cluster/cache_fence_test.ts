import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  stopTestCluster,
  type TestNode,
} from "../helpers/node_harness.ts";
import { waitForLeader } from "../helpers/resp_call.ts";
import { parseClusterGroups } from "../../src/client/cluster_groups.ts";
import { redisClient, retrying } from "../helpers/redis_retry.ts";

const SLOTS = 4;
/** Long, so that the old wait (LEASE_MS × 1.25 = 10 s) and a fenced handover are far apart. */
const LEASE_MS = 8_000;
const BOUND_MS = LEASE_MS * 1.25;
/** Lets a write that waits out the whole old bound still be answered (the old behaviour). */
const REQUEST_TIMEOUT_MS = 30_000;
/** The first write after a leader change with every node up must complete within this. */
const FIRST_WRITE_MS_MAX = LEASE_MS / 4;
/** Leader changes provoked at most (one SIGSTOP each) before a transfer with all nodes up. */
const ROUNDS_MAX = 3;

/** A node that says it leads `slot` itself, with its term; null while none does. */
async function selfLeader(
  nodes: TestNode[],
  clients: Redis[],
  slot: number,
  skip: string | null = null,
): Promise<{ id: string; term: number } | null> {
  for (const [index, redis] of clients.entries()) {
    const id = nodes[index]!.id;
    if (id === skip) continue;
    const groups = parseClusterGroups(await redis.call("CLUSTER", "GROUPS") as string);
    const group = groups.find((each) => each.slot === slot && each.leaderId === id);
    if (group !== undefined) return { id, term: group.term };
  }
  return null;
}

function infoField(info: string, name: string): number {
  return Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? NaN);
}

/**
 * A slot's leader changes while every node is up (the reconciler hands the lead back to the
 * preferred leader after a SIGSTOP/SIGCONT of the leader): the new home's epoch fence is acked by
 * all three nodes, so the first write through it completes far sooner than the old wait for
 * every older lease (10 s here). About 40 s.
 */
Deno.test({
  name: "cache: a leader change with every node up grants writes without the lease wait",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const plan = await planTestCluster(3);
  const startedMs = performance.now();
  const args = [
    ...["--slots", String(SLOTS), "--cache-lease-ms", String(LEASE_MS)],
    ...["--request-timeout-ms", String(REQUEST_TIMEOUT_MS)],
  ];
  const nodes = await startTestCluster(plan, args);
  const clients = nodes.map(redisClient);
  const paused = new Set<TestNode>();
  try {
    await waitForLeader(nodes);
    const key = "fenced";
    const slot = await clients[0]!.call("CLUSTER", "KEYSLOT", key) as number;
    assert.equal(await retrying(() => clients[0]!.set(key, "v0"), 60_000), "OK");
    // A node fences, and vouches for fences, only once it has watched the membership for the
    // whole bound (a removal it did not see could leave a line it cannot account for).
    const watchedMs = startedMs + BOUND_MS + 1_000 - performance.now();
    if (watchedMs > 0) await new Promise((resolve) => setTimeout(resolve, watchedMs));

    let measured: { leader: string; firstWriteMs: number } | null = null;
    for (let round = 1; round <= ROUNDS_MAX && measured === null; round++) {
      let before: { id: string; term: number } | null = null;
      await eventually("the slot has a leader", async () => {
        before = await selfLeader(nodes, clients, slot);
        return before !== null;
      }, 20_000);
      // The leader stops until another node leads the slot, then resumes: every node is up again.
      const stopped = nodes.find((node) => node.id === before!.id)!;
      stopped.process.kill("SIGSTOP");
      paused.add(stopped);
      let interim: { id: string; term: number } | null = null;
      try {
        await eventually("another node leads the slot", async () => {
          interim = await selfLeader(nodes, clients, slot, stopped.id);
          return interim !== null;
        }, 20_000);
      } finally {
        stopped.process.kill("SIGCONT");
        paused.delete(stopped);
      }
      // The reconciler moves the lead to the slot's preferred leader (if the interim leader is
      // not it): a leader change with every node up. Seen by its new leader's own report.
      let next: { id: string; term: number } | null = null;
      const deadline = performance.now() + 15_000;
      while (performance.now() < deadline) {
        next = await selfLeader(nodes, clients, slot);
        if (next !== null && next.term > interim!.term) break;
        next = null;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      if (next === null) continue; // the interim leader was the preferred one: provoke again
      const seenMs = performance.now();
      const writer = clients[nodes.findIndex((node) => node.id !== next!.id)]!;
      assert.equal(await retrying(() => writer.set(key, `after-${round}`), 60_000), "OK");
      measured = { leader: next.id, firstWriteMs: Math.round(performance.now() - seenMs) };
    }
    assert.ok(measured !== null, `no leader change with every node up in ${ROUNDS_MAX} rounds`);
    console.log(
      `first write ${measured.firstWriteMs} ms after the new leader ${measured.leader} was seen ` +
        `(old wait for leases: ${BOUND_MS} ms)`,
    );
    assert.ok(
      measured.firstWriteMs < FIRST_WRITE_MS_MAX,
      `the first write took ${measured.firstWriteMs} ms (limit ${FIRST_WRITE_MS_MAX} ms)`,
    );
    // It was the fence: the new leader made fenced homes, and the other nodes acknowledged.
    const leaderIndex = nodes.findIndex((node) => node.id === measured!.leader);
    const leaderInfo = await clients[leaderIndex]!.info("cache");
    assert.ok(infoField(leaderInfo, "cache_fences_started") >= 1, leaderInfo);
    for (const [index, redis] of clients.entries()) {
      const acked = infoField(await redis.info("cache"), "cache_fences_acked");
      assert.ok(acked >= 1, `node ${nodes[index]!.id} acknowledged no fence`);
    }
    // Every node reads the write the new home acknowledged.
    for (const redis of clients) {
      assert.match(await retrying(() => redis.get(key), 20_000) ?? "", /^after-/);
    }
  } finally {
    for (const node of paused) node.process.kill("SIGCONT");
    for (const redis of clients) redis.disconnect();
    await stopTestCluster(nodes, plan);
  }
});
