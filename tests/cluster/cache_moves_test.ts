import assert from "node:assert/strict";
import { Redis } from "ioredis";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  stopTestCluster,
  stopTestNode,
} from "../helpers/node_harness.ts";
import { waitForLeader } from "../helpers/resp_call.ts";
import { type ClusterGroup, parseClusterGroups } from "../../src/client/cluster_groups.ts";
import { redisClient, retrying } from "../helpers/redis_retry.ts";

/** Retries a refusal that applied nothing (TRYAGAIN, NOQUORUM) for up to `timeoutMs`. */
function retry<T>(run: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  return retrying(run, timeoutMs);
}

const SLOTS = 4;
/**
 * Long, so that a line granted before the move would still be live when the move is seen: a
 * line still answering then is one the move did not invalidate, not one that lapsed.
 */
const LEASE_MS = 20_000;
/** Longer than a new home's wait for the old leases (LEASE_MS × 1.25) plus a commit. */
const REQUEST_TIMEOUT_MS = 40_000;

/** The leader of `slot` as the nodes that host it report it, or null while none. */
async function slotLeader(clients: Redis[], slot: number): Promise<string | null> {
  return await firstLeader(clients, (group) => group.slot === slot);
}

/** The meta group's leader as the nodes report it, or null while none. */
async function metaLeader(clients: Redis[]): Promise<string | null> {
  return await firstLeader(clients, (group) => group.groupId === 0);
}

/** The first known leader of a group `pick` names, asking the nodes in turn; null while none. */
async function firstLeader(
  clients: Redis[],
  pick: (group: ClusterGroup) => boolean,
): Promise<string | null> {
  for (const redis of clients) {
    const groups = parseClusterGroups(await redis.call("CLUSTER", "GROUPS") as string);
    const leader = groups.find((group) => pick(group) && group.leaderId !== null)?.leaderId;
    if (leader !== undefined && leader !== null) return leader;
  }
  return null;
}

/**
 * A slot moves (its leader leaves the cluster) while a reader on another node holds a line of
 * the slot in S: the lines the old home granted stop answering once the new leader is seen (not
 * a lease later), and after a write acknowledged through the new home no node reads the old
 * value. About 60-80 s (the new home waits out the old leases before it grants the write).
 */
Deno.test({
  name: "cache: a slot moving away invalidates its lines; no stale read after the move",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const plan = await planTestCluster(4);
  const args = [
    ...["--slots", String(SLOTS), "--cache-lease-ms", String(LEASE_MS)],
    ...["--request-timeout-ms", String(REQUEST_TIMEOUT_MS)],
  ];
  const nodes = await startTestCluster(plan, args);
  const clients = nodes.map(redisClient);
  const index = (id: string) => nodes.findIndex((node) => node.id === id);
  try {
    await waitForLeader(nodes);
    // Every slot group has a leader, and the first write has waited out the new homes' startup
    // (no older lease can be live); by then leadership went to the preferred leaders.
    assert.equal(await retry(() => clients[0]!.set("first", "v0")), "OK");
    // A key whose slot is led by a node that does not lead the meta group: removing the meta
    // leader was seen to leave its slot groups unmoved for over 20 s (it did not apply the
    // placement without it), a slot-layer matter this test is not about.
    let key = "";
    let slot = -1;
    let home: string | null = null;
    await eventually(
      "a key led outside the meta leader",
      async () => {
        const meta = await metaLeader(clients);
        for (let i = 0; i < 64; i++) {
          const each = `moving:${i}`;
          const eachSlot = await clients[0]!.call("CLUSTER", "KEYSLOT", each) as number;
          const leader = await slotLeader(clients, eachSlot);
          if (meta === null || leader === null || leader === meta) continue;
          [key, slot, home] = [each, eachSlot, leader];
          return true;
        }
        return false;
      },
      20_000,
      200,
    );
    const others = nodes.filter((node) => node.id !== home).map((node) => clients[index(node.id)]!);
    const [writer, reader, third] = others as [Redis, Redis, Redis];
    assert.equal(await retry(() => writer.set(key, "v1")), "OK");
    assert.equal(await retry(() => reader.get(key)), "v1");
    assert.equal(await retry(() => third.get(key)), "v1");
    assert.equal(await reader.call("CACHE.STATE", key), "S");
    assert.equal(await third.call("CACHE.STATE", key), "S");
    assert.equal(await retry(() => writer.set(key, "v2")), "OK");
    assert.equal(await writer.call("CACHE.STATE", key), "M");
    assert.equal(await reader.call("CACHE.STATE", key), "I");
    assert.equal(await third.call("CACHE.STATE", key), "I");
    assert.equal(await retry(() => reader.get(key)), "v2");
    assert.equal(await reader.call("CACHE.STATE", key), "S");
    assert.equal(await writer.call("CACHE.STATE", key), "S");
    const grantedMs = performance.now();
    assert.equal(await slotLeader(clients, slot), home, "the lines' home still leads the slot");

    // The slot's leader leaves: the slot's group moves to the three others.
    const leaving = home!;
    // The removed node stops: its client, unused from here on, would retry the connection and
    // report every refusal as an unhandled error event. It is closed once the removal is
    // acknowledged; the refusals before that are expected, and only its own.
    const leavingClient = clients[index(leaving)]!;
    leavingClient.on("error", () => {});
    assert.equal(await retry(() => writer.call("CLUSTER", "REMOVE", leaving)), "OK");
    leavingClient.disconnect();
    const rest = clients.filter((_, i) => nodes[i]!.id !== leaving);
    let moved: string | null = null;
    await eventually(
      "the slot has a new leader",
      async () => {
        moved = await slotLeader(rest, slot);
        return moved !== null && moved !== leaving;
      },
      LEASE_MS,
      50,
    );
    const seenMs = performance.now();
    // The lines the old home granted no longer answer, though their leases have not lapsed.
    await eventually(
      "the old home's lines are gone",
      async () => {
        const states = await Promise.all([writer, reader].map((r) => r.call("CACHE.STATE", key)));
        return states.every((state) => state === "I");
      },
      1_000,
      20,
    );
    assert.ok(
      performance.now() < grantedMs + LEASE_MS,
      `checked before the leases lapsed (move seen ${Math.round(seenMs - grantedMs)} ms after)`,
    );

    // A write through the new home, acknowledged: every read that starts after it sees it.
    assert.equal(await retry(() => writer.set(key, "v3")), "OK");
    for (const redis of [reader, third, writer]) {
      assert.equal(await retry(() => redis.get(key)), "v3");
    }
    assert.equal(await retry(() => third.set(key, "v4")), "OK");
    assert.equal(await third.call("CACHE.STATE", key), "M");
    assert.equal(await reader.call("CACHE.STATE", key), "I");
    assert.equal(await writer.call("CACHE.STATE", key), "I");
    for (const redis of [reader, writer]) {
      assert.equal(await retry(() => redis.get(key)), "v4");
    }
    console.log(
      `slot ${slot}: ${leaving} → ${moved}; move seen after ${Math.round(seenMs - grantedMs)} ms`,
    );
  } finally {
    for (const redis of clients) redis.disconnect();
    for (const node of nodes) await stopTestNode(node, "SIGKILL").catch(() => {});
    await stopTestCluster([], plan);
  }
});
