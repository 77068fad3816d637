import { keySlot } from "../../src/placement/key_slot.ts";
import type { NodeId } from "../../src/raft/mod.ts";
import { SimCacheHost, type SimCacheSetup } from "./cache_host.ts";
import { SIM_CACHE_SETUP } from "./cache_workload.ts";
import { type ClusterOptions, SimCluster } from "./cluster.ts";
import { KvApp } from "./kv_app.ts";

/** Longest virtual time one scripted step may take. */
const STEP_TIMEOUT_MS = 5000;

/** The simulator's cache with a lease well above an election (so one outlives a home change). */
export const LONG_LEASE_SETUP = {
  ...SIM_CACHE_SETUP,
  timing: { ...SIM_CACHE_SETUP.timing, leaseMs: 1000, holderMarginMs: 250 },
  requestTimeoutMs: 4000,
};

const TEXT = new TextEncoder();
const UTF8 = new TextDecoder();

/** A scripted run's cluster, its nodes' caches, and `settle` (runs until a promise ends). */
interface ScriptedCluster {
  cluster: SimCluster;
  hosts: Map<NodeId, SimCacheHost>;
  settle<T>(promise: Promise<T>): Promise<T>;
}

/** A kv cluster of `seed` with a cache of `setup` on every node, started. */
async function scriptedCluster(
  seed: number,
  options: Partial<ClusterOptions>,
  setup: SimCacheSetup,
): Promise<ScriptedCluster> {
  const hosts = new Map<NodeId, SimCacheHost>();
  const cluster: SimCluster = await SimCluster.create({
    seed,
    ...options,
    app: { create: (_id, _index, image) => new KvApp(image, () => cluster.nowMs) },
  });
  for (const id of cluster.ids) {
    const clock = { originMs: 0, rate: 1 };
    const deliver = (from: NodeId, to: NodeId, bytes: Uint8Array) =>
      hosts.get(to)?.receive(from, bytes);
    const requestIdStart = cluster.random.int(2 ** 40);
    const host = new SimCacheHost(cluster, id, clock, setup, deliver, requestIdStart);
    hosts.set(id, host);
    host.start();
  }
  const settle = async <T>(promise: Promise<T>): Promise<T> => {
    let outcome: { value: T } | { error: unknown } | null = null;
    promise.then((value) => outcome = { value }, (error) => outcome = { error });
    await cluster.runUntil(() => outcome !== null, STEP_TIMEOUT_MS);
    const done = outcome as { value: T } | { error: unknown } | null;
    if (done === null) throw new Error("Scenario step did not finish in time");
    if ("error" in done) throw done.error;
    return done.value;
  };
  return { cluster, hosts, settle };
}

/** What the old leader's node answered, and when, in `oldLeaderReadAfterHomeChange`. */
export interface HomeChangeOutcome {
  /** Virtual ms from the isolation to the new home acknowledging the write of "v2". */
  writeAckAfterMs: number;
  /** The old leader's local answer right after that acknowledgement (null: no live line). */
  oldLeaderHit: string | null;
}

/**
 * A slot's leader holds the key's line (its own client read "v1"), then is cut off from every
 * other node; with checkQuorum off it keeps leading in its term, so nothing tells its cache
 * that the slot moved. The majority elects a new leader, whose home takes a write of "v2" from
 * another node. Right after that write is acknowledged, the old leader's node is asked for a
 * local hit (leases of LONG_LEASE_SETUP outlive the election). The lease rule says the new home waits out every older lease before its first
 * write, so there must be none.
 */
export async function oldLeaderReadAfterHomeChange(seed: number): Promise<HomeChangeOutcome> {
  const { cluster, hosts, settle } = await scriptedCluster(
    seed,
    { groupsPerNode: 2, raft: { checkQuorum: false } },
    LONG_LEASE_SETUP,
  );
  const key = TEXT.encode("k1");
  const group = cluster.groupIds[keySlot(key, cluster.groupIds.length)]!;
  await cluster.runUntil(() => cluster.leader(group) !== null, STEP_TIMEOUT_MS);
  // Past the first home's own startup wait, so its grants carry leases.
  const timing = LONG_LEASE_SETUP.timing;
  await cluster.runFor(2 * (timing.leaseMs + timing.holderMarginMs));
  const leader = cluster.leader(group)!;
  const writer = cluster.ids.find((id) => id !== leader)!;
  const write = (value: string) =>
    hosts.get(writer)!.service.write(key, {
      value: TEXT.encode(value),
      ttlMs: null,
      condition: "always",
    });
  await settle(write("v1"));
  await settle(hosts.get(leader)!.service.read(key));
  const isolatedAtMs = cluster.nowMs;
  cluster.net.isolate(leader, cluster.ids);
  const moved = () => cluster.leader(group) !== null && cluster.leader(group) !== leader;
  await cluster.runUntil(moved, STEP_TIMEOUT_MS);
  await settle(write("v2"));
  const hit = hosts.get(leader)!.service.hit(key);
  return {
    writeAckAfterMs: cluster.nowMs - isolatedAtMs,
    oldLeaderHit: hit === null || hit.value === null ? null : UTF8.decode(hit.value),
  };
}

/** Write-back with one line per node and no timed flush within the scenario. */
export const ONE_LINE_WRITE_BACK_SETUP = {
  ...LONG_LEASE_SETUP,
  timing: { ...LONG_LEASE_SETUP.timing, writeBackMs: 60_000 },
  writeMode: "back" as const,
  maxEntries: 1,
};

/**
 * A revocation crossing a final WriteBack, scripted: node A owns k1 (M) and writes "v2" locally
 * (write-back, one line per node); its read of k2 then evicts k1, which sends "v2" home in a final
 * WriteBack, and at that instant node B reads k1. Whether B's request reaches the home before the
 * WriteBack depends on the seed's link delays; when it does, the home revokes A's grant first and
 * runs the WriteBack only after, so A's answer must carry "v2" from the data it keeps until the
 * WriteBack's ack. Either way B must read "v2"; returns what B read.
 */
export async function revocationCrossesFinalWriteBack(seed: number): Promise<string | null> {
  const { cluster, hosts, settle } = await scriptedCluster(
    seed,
    { groupsPerNode: 4 },
    ONE_LINE_WRITE_BACK_SETUP,
  );
  const k1 = TEXT.encode("k1");
  const k2 = TEXT.encode("k2");
  const groupOf = (key: Uint8Array) => cluster.groupIds[keySlot(key, cluster.groupIds.length)]!;
  const everyLeader = () => [k1, k2].every((key) => cluster.leader(groupOf(key)) !== null);
  await cluster.runUntil(everyLeader, STEP_TIMEOUT_MS);
  // Past the first homes' own startup wait, so their grants carry leases.
  const timing = ONE_LINE_WRITE_BACK_SETUP.timing;
  await cluster.runFor(2 * (timing.leaseMs + timing.holderMarginMs));
  const home = cluster.leader(groupOf(k1))!;
  const [a, b] = cluster.ids.filter((id) => id !== home) as [NodeId, NodeId];
  const nodeA = hosts.get(a)!;
  const set = (value: string) => ({
    value: TEXT.encode(value),
    ttlMs: null,
    condition: "always" as const,
  });
  await settle(nodeA.service.write(k1, set("v1")));
  await settle(nodeA.service.write(k1, set("v2")));
  if (nodeA.service.node.stateOf(k1, nodeA.nowMs()) !== "M") {
    throw new Error(`k1 is not M on ${a} after its writes`);
  }
  const readK2 = nodeA.service.read(k2);
  await cluster.runUntil(() => nodeA.service.node.stateOf(k1, nodeA.nowMs()) === "I", 1000);
  if (nodeA.service.node.dirtyLineCount() !== 1) throw new Error("k1 left A without a WriteBack");
  const read = await settle(hosts.get(b)!.service.read(k1));
  await settle(readK2);
  return read.value === null ? null : UTF8.decode(read.value);
}
