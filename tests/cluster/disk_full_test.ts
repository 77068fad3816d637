/**
 * Real nodes with one data dir on a small tmpfs that a filler file fills up: the node refuses
 * writes with -NOSPACE, still serves reads, says so in INFO, /health and /metrics, hands
 * leadership to a node that can write, and takes writes again once the filler is deleted,
 * without a restart. Needs root (mount); fails saying so otherwise.
 */
import assert from "node:assert/strict";
import { freePort } from "../../src/util/free_ports.ts";
import { callNode } from "../../src/node/join.ts";
import type { RespValue } from "../../protocol/resp/mod.ts";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  startTestNode,
  stopTestCluster,
  stopTestNode,
  type TestClusterPlan,
  type TestNode,
} from "../helpers/node_harness.ts";
import { call, clusterInfo, waitForLeader } from "../helpers/resp_call.ts";
import { fillDisk, mountTmpfs, unmountTmpfs } from "../helpers/tmpfs.ts";

const TMPFS_BYTES = 4 * 1024 * 1024;
const RESERVE_BYTES = 512 * 1024;
/**
 * Writes tried after filling the disk before one must be refused: those that still fit in the
 * page the log's segment already holds succeed (a lock op is ~100 bytes, a page 4 KiB), as does
 * the one that finds the disk full (it completes from the reserve's room); then NOSPACE.
 */
const WRITES_BEFORE_REFUSAL_MAX = 100;

/** Mounts a tmpfs as the data dir of `id` in `plan`; returns the mount point. */
async function tmpfsDataDir(plan: TestClusterPlan, id: string): Promise<string> {
  const dir = `${plan.dataRoot}/${id}`;
  await Deno.mkdir(dir, { recursive: true });
  await mountTmpfs(dir, TMPFS_BYTES);
  return dir;
}

function acquire(node: TestNode, lock: string): Promise<string> {
  return call(node.clientPort, "LOCK.ACQUIRE", lock, "owner-1", "TTL", "60000");
}

/** Acquires fresh locks through `node` until one is refused; returns the replies. */
async function writeUntilRefused(node: TestNode): Promise<string[]> {
  const replies: string[] = [];
  for (let i = 0; i < WRITES_BEFORE_REFUSAL_MAX; i++) {
    replies.push(await acquire(node, `after-fill-${i}`));
    if (replies.at(-1)!.startsWith("-")) break;
  }
  return replies;
}

/** A reply as flat text: bulk strings decoded, arrays joined by spaces. */
function flatText(value: RespValue): string {
  switch (value.type) {
    case "bulk":
    case "verbatim":
      return new TextDecoder().decode(value.value);
    case "array":
      return (value.value ?? []).map(flatText).join(" ");
    case "error":
      return `-${value.value}`;
    default:
      return String("value" in value ? value.value : "");
  }
}

/** LOCK.INFO through `node`, as flat text (its holders' owners among it). */
async function lockInfo(node: TestNode, lock: string): Promise<string> {
  return flatText(
    await callNode({ host: "127.0.0.1", port: node.clientPort }, [
      "LOCK.INFO",
      lock,
    ], 15_000),
  );
}

async function infoField(node: TestNode, field: string): Promise<string | undefined> {
  const text = await call(node.clientPort, "INFO", "persistence");
  return text.split("\r\n").find((line) => line.startsWith(`${field}:`))?.slice(field.length + 1);
}

Deno.test("disk full, one node: -NOSPACE at once, reads served, survives a restart, resumes after freeing space", async () => {
  const plan = await planTestCluster(1);
  const dir = await tmpfsDataDir(plan, "n1");
  const metricsPort = freePort();
  let node: TestNode | undefined;
  try {
    node = await startTestNode(plan, "n1", [
      ...["--disk-reserve-bytes", String(RESERVE_BYTES)],
      ...["--metrics", `127.0.0.1:${metricsPort}`],
    ]);
    await waitForLeader([node]);
    assert.match(await acquire(node, "before"), /^\d+$/);
    assert.equal(await infoField(node, "disk_state"), "ok");

    const filledAtMs = performance.now();
    await fillDisk(`${dir}/filler`);
    const replies = await writeUntilRefused(node);
    const refusedAtMs = performance.now();
    assert.match(replies.at(-1)!, /^-NOSPACE /, `replies after filling: ${replies}`);
    for (const reply of replies.slice(0, -1)) assert.match(reply, /^\d+$/);
    const started = performance.now();
    const refused = await acquire(node, "refused");
    const refusalMs = performance.now() - started;
    assert.match(refused, /^-NOSPACE /);

    // Reads are served: the lock taken before, and the cluster state.
    assert.match(await lockInfo(node, "before"), /owner-1/);
    assert.equal((await clusterInfo(node.clientPort)).get("role"), "leader");
    assert.equal(await infoField(node, "disk_state"), "full");
    assert.ok(Number(await infoField(node, "disk_nospace_refusals")) >= 2);
    const health = await fetch(`http://127.0.0.1:${metricsPort}/health`);
    assert.equal(health.status, 503);
    assert.equal((await health.json()).disk, "full");
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(metrics, /^dsync_disk_full 1$/m);
    assert.match(metrics, /^dsync_nospace_refusals_total [1-9]\d*$/m);

    // A restart on the still-full disk recovers every acknowledged lock and comes up full.
    await stopTestNode(node);
    node = await startTestNode(plan, "n1", [
      ...["--disk-reserve-bytes", String(RESERVE_BYTES)],
      ...["--metrics", `127.0.0.1:${metricsPort}`],
    ]);
    await waitForLeader([node]);
    assert.equal(await infoField(node, "disk_state"), "full");
    assert.match(await lockInfo(node, "before"), /owner-1/);
    // Every write acknowledged after the fill (there may be none: an internal write, such as a
    // lease expiry, can find the disk full before the first client write does) survived.
    for (let i = 0; i < replies.length - 1; i++) {
      assert.match(await lockInfo(node, `after-fill-${i}`), /owner-1/, `after-fill-${i}`);
    }
    assert.match(await acquire(node, "refused-after-restart"), /^-NOSPACE /);

    await Deno.remove(`${dir}/filler`);
    const freedAtMs = performance.now();
    await eventually(
      "a write succeeds again",
      async () => {
        return /^\d+$/.test(await acquire(node!, "after-free"));
      },
      10_000,
      50,
    );
    const resumedAtMs = performance.now();
    assert.equal(await infoField(node, "disk_state"), "ok");
    assert.match(await lockInfo(node, "after-free"), /owner-1/);
    const healthAfter = await fetch(`http://127.0.0.1:${metricsPort}/health`);
    assert.equal(healthAfter.status, 200);
    await healthAfter.body?.cancel();
    console.log(
      `figures (1 node): fill to -NOSPACE ${(refusedAtMs - filledAtMs).toFixed(0)} ms ` +
        `(${replies.length} writes), a refusal ${refusalMs.toFixed(1)} ms, ` +
        `free to first write ${(resumedAtMs - freedAtMs).toFixed(0)} ms`,
    );
  } finally {
    if (node !== undefined) await stopTestCluster([node], { ...plan, dataRoot: "/nonexistent" });
    await unmountTmpfs(dir);
    await Deno.remove(plan.dataRoot, { recursive: true });
  }
});

Deno.test("disk full, three nodes: leadership moves off the full leader and writes go on", async () => {
  const plan = await planTestCluster(3);
  const nodesStarted: TestNode[] = [];
  const mounted: string[] = [];
  try {
    // Every node gets a tmpfs of its own (the leader is not known before the start).
    for (const id of plan.ids) mounted.push(await tmpfsDataDir(plan, id));
    // Elections after 1-2 s of silence: a loaded machine does not move leadership on its own
    // while the test fills the leader's disk (the transfer does not wait for a timeout).
    nodesStarted.push(
      ...await startTestCluster(plan, [
        ...["--disk-reserve-bytes", String(RESERVE_BYTES)],
        ...["--election-ticks", "20"],
      ]),
    );
    const leader = await waitForLeader(nodesStarted);
    assert.match(await acquire(leader, "before"), /^\d+$/);

    const filledAtMs = performance.now();
    await fillDisk(`${leader.dataDir}/filler`);
    // Writes through the full leader until one is refused or it no longer leads (the handover
    // can complete between two writes: then later ones are forwarded and succeed).
    const replies: string[] = [];
    let role = "leader";
    for (let i = 0; i < WRITES_BEFORE_REFUSAL_MAX && role === "leader"; i++) {
      replies.push(await acquire(leader, `after-fill-${i}`));
      if (replies.at(-1)!.startsWith("-")) break;
      role = (await clusterInfo(leader.clientPort)).get("role") ?? "";
    }
    assert.ok(
      replies.at(-1)!.startsWith("-") || role !== "leader",
      `the full node went on leading and writing: ${replies}`,
    );
    for (const reply of replies) assert.match(reply, /^(\d+|-NOSPACE .*|-TRYAGAIN .*)$/);
    await eventually("another node leads", async () => {
      const info = await clusterInfo(leader.clientPort);
      return info.get("role") === "follower" && info.get("leader_id") !== leader.id &&
        info.get("leader_id") !== "";
    }, 10_000);
    const movedAtMs = performance.now();
    assert.ok(
      leader.lines.some((line) => line.includes("disk full: transferring leadership")),
      "the full leader handed leadership over (not lost it by silence)",
    );
    // Writes through every node go on, the full one included (it forwards to the new leader).
    for (const node of nodesStarted) {
      let reply = "";
      await eventually(`a write through ${node.id}`, async () => {
        reply = await acquire(node, `moved-${node.id}`);
        return /^\d+$/.test(reply);
      }, 5_000);
    }
    assert.match(await lockInfo(leader, "moved-n1"), /owner-1/);
    assert.equal(await infoField(leader, "disk_state"), "full");

    await Deno.remove(`${leader.dataDir}/filler`);
    await eventually("the full node has room again", async () => {
      return await infoField(leader, "disk_state") === "ok";
    }, 10_000);
    assert.match(await acquire(leader, "after-free"), /^\d+$/);
    const target = Number((await clusterInfo(leader.clientPort)).get("commit_index"));
    await eventually("the formerly full node catches up", async () => {
      return Number((await clusterInfo(leader.clientPort)).get("applied_index")) >= target;
    }, 10_000);
    for (const node of nodesStarted) {
      assert.ok(!node.lines.some((line) => line.includes("raft host failed")), node.id);
    }
    console.log(
      `figures (3 nodes): fill to leadership moved ${(movedAtMs - filledAtMs).toFixed(0)} ms ` +
        `(replies on the full leader: ${replies.map((r) => r.split(" ")[0]).join(",")})`,
    );
  } finally {
    await stopTestCluster(nodesStarted, { ...plan, dataRoot: "/nonexistent" });
    for (const dir of mounted) await unmountTmpfs(dir);
    await Deno.remove(plan.dataRoot, { recursive: true });
  }
});
