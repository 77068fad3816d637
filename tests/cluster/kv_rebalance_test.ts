import assert from "node:assert/strict";
import { Redis } from "ioredis";
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
import { freePort } from "../../src/util/free_ports.ts";

const SLOTS = 16;
const KEYS = 24;

function client(node: TestNode): Redis {
  return new Redis({ port: node.clientPort, host: "127.0.0.1", maxRetriesPerRequest: 0 });
}

function isRetryable(error: unknown): boolean {
  return /TRYAGAIN|NOQUORUM|ECONNREFUSED|Connection is closed|MaxRetries/.test(String(error));
}

/** Every slot group settled: its leader sees 3 members, and each of them hosts the group. */
async function settled(clients: Redis[], ids: string[]): Promise<boolean> {
  const hosts = new Map<number, string[]>();
  const members = new Map<number, string>();
  for (const [index, redis] of clients.entries()) {
    const text = await redis.call("CLUSTER", "GROUPS") as string;
    for (const line of text.trim().split("\n")) {
      const [, purpose, slot, memberList, leader] = line.split(" ");
      if (purpose !== "slot") continue;
      const list = hosts.get(Number(slot)) ?? [];
      list.push(ids[index]!);
      hosts.set(Number(slot), list);
      if (leader === ids[index]) members.set(Number(slot), memberList!);
    }
  }
  for (let slot = 0; slot < SLOTS; slot++) {
    const memberList = members.get(slot);
    if (memberList === undefined || memberList.split(",").length !== 3) return false;
    const hosting = hosts.get(slot) ?? [];
    if (!memberList.split(",").every((id) => hosting.includes(id))) return false;
  }
  return true;
}

/**
 * Writes and reads keys one at a time through rotating nodes until stopped: every read must
 * return the latest acknowledged value of its key, or the value of a write whose outcome is
 * unknown (it timed out).
 */
class Workload {
  readonly acked = new Map<string, number>();
  readonly uncertain = new Map<string, number>();
  writes = 0;
  reads = 0;
  #stopped = false;
  #done: Promise<void> = Promise.resolve();

  start(clients: () => Redis[]): void {
    this.#done = this.#run(clients);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }

  async #run(clients: () => Redis[]): Promise<void> {
    let n = 0;
    while (!this.#stopped) {
      n++;
      const key = `k:${n % KEYS}`;
      const list = clients();
      const writer = list[n % list.length]!;
      try {
        await writer.set(key, String(n));
        this.acked.set(key, n);
        this.uncertain.delete(key);
        this.writes++;
      } catch (error) {
        if (/TIMEOUT/.test(String(error))) this.uncertain.set(key, n);
        else if (!isRetryable(error)) throw error;
      }
      const reader = list[(n + 1) % list.length]!;
      try {
        const value = await reader.get(key);
        const allowed = [this.acked.get(key), this.uncertain.get(key)]
          .filter((each) => each !== undefined).map(String);
        if (allowed.length > 0 || value !== null) {
          assert.ok(
            allowed.includes(value!),
            `read ${key} = ${value}, expected one of ${allowed.join(",")}`,
          );
          if (value === String(this.uncertain.get(key))) {
            this.acked.set(key, this.uncertain.get(key)!);
            this.uncertain.delete(key);
          }
        }
        this.reads++;
      } catch (error) {
        if (!isRetryable(error)) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** The `slots_changed` of the latest placement recorded in any node's log lines. */
function slotsChanged(nodes: TestNode[], epoch: number): number | null {
  for (const node of nodes) {
    for (const line of node.lines) {
      if (!line.includes("slot placement recorded") || !line.includes(`epoch=${epoch} `)) continue;
      const match = /slots_changed=(\d+)/.exec(line);
      if (match !== null) return Number(match[1]);
    }
  }
  return null;
}

Deno.test("kv: grow 3 → 4 → 5 and shrink back under load; no acknowledged write lost", async () => {
  const plan = await planTestCluster(3);
  for (const id of ["n4", "n5"]) {
    plan.ids.push(id);
    plan.clientPorts.set(id, freePort());
    plan.peerPorts.set(id, freePort());
  }
  const args = ["--slots", String(SLOTS)];
  const nodes: TestNode[] = [];
  nodes.push(
    ...await Promise.all(plan.ids.slice(0, 3).map((id) => startTestNode(plan, id, args))),
  );
  let clients = nodes.map(client);
  const workload = new Workload();
  const moved: string[] = [];
  try {
    await waitForLeader(nodes);
    await eventually("slot groups settle", () => settled(clients, ids()), 30_000, 200);
    workload.start(() => clients);
    const seed = `127.0.0.1:${nodes[0]!.clientPort}`;
    let epoch = 1;
    for (const id of ["n4", "n5"]) {
      nodes.push(await startTestNode(plan, id, args, { join: seed }));
      clients.push(client(nodes.at(-1)!));
      epoch++;
      await eventually(`slot groups settle with ${id}`, () => settled(clients, ids()), 60_000, 250);
      moved.push(`join ${id}: ${slotsChanged(nodes, epoch)} of ${SLOTS} slots changed`);
    }
    for (const id of ["n5", "n4"]) {
      const index = nodes.findIndex((node) => node.id === id);
      assert.equal(await clients[0]!.call("CLUSTER", "REMOVE", id), "OK");
      epoch++;
      const rest = () => clients.filter((_, i) => i !== index);
      await eventually(
        `slot groups settle without ${id}`,
        async () => {
          const remaining = ids().filter((each) => each !== id);
          return await settled(rest(), remaining);
        },
        60_000,
        250,
      );
      moved.push(`remove ${id}: ${slotsChanged(nodes, epoch)} of ${SLOTS} slots changed`);
      const [gone] = clients.splice(index, 1);
      gone!.disconnect();
      await stopTestNode(nodes.splice(index, 1)[0]!);
    }
    await workload.stop();
    console.log(`slots moved: ${moved.join("; ")}`);
    console.log(`workload: ${workload.writes} writes, ${workload.reads} reads acknowledged`);
    assert.ok(workload.writes > 20, "the workload kept writing");
    // Every acknowledged write is still there, read through every remaining node.
    for (const redis of clients) {
      for (const [key, value] of workload.acked) {
        const allowed = [String(value), String(workload.uncertain.get(key))];
        assert.ok(allowed.includes((await redis.get(key))!), `final ${key}`);
      }
    }
    for (const line of moved) {
      const changed = Number(/: (\d+) of/.exec(line)?.[1] ?? NaN);
      assert.ok(changed > 0 && changed < SLOTS, `only some slots move: ${line}`);
    }
  } finally {
    await workload.stop().catch(() => {});
    for (const redis of clients) redis.disconnect();
    await stopTestCluster(nodes, plan);
  }

  function ids(): string[] {
    return nodes.map((node) => node.id);
  }
});
