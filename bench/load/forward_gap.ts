/**
 * The gap after a paused leader, seen through one node: a 3-node cluster, lock cycles (meta
 * group) and SETs (one slot group) sent only to a node that leads neither, the leader of both
 * stopped with SIGSTOP. Prints completions per 100 ms, every error, and when the entry node first
 * named a new leader of each group. Clients wait for their replies (a bound far above the node's
 * request timeout), so the figures are the node's, not a client's give-up.
 *
 *   deno run -A bench/load/forward_gap.ts [--clients 4] [--stop-ms 6000] [--before-ms 2000]
 */
import { Command } from "commander";
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import { parseClusterGroups } from "../../src/client/cluster_groups.ts";
import {
  planTestCluster,
  startTestCluster,
  stopTestCluster,
  type TestNode,
} from "../../tests/helpers/node_harness.ts";
import { call, waitForLeader } from "../../tests/helpers/resp_call.ts";
import { withTimeout } from "./dsync_lock_client.ts";

const BUCKET_MS = 100;
const POLL_MS = 50;
/** A client call bound far above the node's request timeout (10 s): the node answers first. */
const CALL_TIMEOUT_MS = 15_000;
const HASH_TAG = "{gap}";

interface Record {
  lockDoneMs: number[];
  setDoneMs: number[];
  errors: Array<{ atMs: number; kind: string; text: string; tookMs: number }>;
}

/** Leader of `groupId` as the node on `port` names it (null: none known or no answer). */
async function leaderAt(port: number, groupId: number): Promise<string | null> {
  const text = await call(port, "CLUSTER", "GROUPS");
  return parseClusterGroups(text).find((group) => group.groupId === groupId)?.leaderId ?? null;
}

async function settledVictim(nodes: TestNode[], slotGroupId: number): Promise<TestNode> {
  // The slot group hands itself to its preferred leader a few seconds after its first election.
  let last: string | null = null;
  let sinceMs = performance.now();
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    await call(nodes[0]!.clientPort, "SET", `${HASH_TAG}warm`, "1");
    const leader = await leaderAt(nodes[0]!.clientPort, slotGroupId);
    if (leader !== last) {
      last = leader;
      sinceMs = performance.now();
    } else if (leader !== null && performance.now() - sinceMs > 3_000) {
      return nodes.find((node) => node.id === leader)!;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("the slot group did not settle");
}

async function lockLoop(port: number, index: number, stop: () => boolean, record: Record) {
  const connection = await RespConnection.open("127.0.0.1", port);
  const name = `${HASH_TAG}lock-${index}`;
  const owner = `gap-${index}`;
  try {
    while (!stop()) {
      const startedMs = performance.now();
      const acquired = await withTimeout(
        connection.call(["LOCK.ACQUIRE", name, owner, "TTL", "10000"]),
        CALL_TIMEOUT_MS,
        () => connection.close(),
        "LOCK.ACQUIRE",
      );
      if (acquired.type !== "integer") {
        record.errors.push({
          atMs: performance.now(),
          kind: "acquire",
          text: replyText(acquired),
          tookMs: performance.now() - startedMs,
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      const releasedAtMs = performance.now();
      const released = await withTimeout(
        connection.call(["LOCK.RELEASE", name, owner]),
        CALL_TIMEOUT_MS,
        () => connection.close(),
        "LOCK.RELEASE",
      );
      if (released.type !== "integer") {
        record.errors.push({
          atMs: performance.now(),
          kind: "release",
          text: replyText(released),
          tookMs: performance.now() - releasedAtMs,
        });
        continue;
      }
      record.lockDoneMs.push(performance.now());
    }
  } finally {
    connection.close();
  }
}

async function setLoop(port: number, index: number, stop: () => boolean, record: Record) {
  const connection = await RespConnection.open("127.0.0.1", port);
  let sequence = 0;
  try {
    while (!stop()) {
      const startedMs = performance.now();
      const reply = await withTimeout(
        connection.call(["SET", `${HASH_TAG}key-${index}`, String(sequence++)]),
        CALL_TIMEOUT_MS,
        () => connection.close(),
        "SET",
      );
      if (reply.type === "simple" && reply.value === "OK") {
        record.setDoneMs.push(performance.now());
        continue;
      }
      record.errors.push({
        atMs: performance.now(),
        kind: "set",
        text: replyText(reply),
        tookMs: performance.now() - startedMs,
      });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    connection.close();
  }
}

function firstAfter(times: number[], atMs: number): number | null {
  const first = times.find((each) => each > atMs);
  return first === undefined ? null : first - atMs;
}

function longestGap(
  times: number[],
  fromMs: number,
  toMs: number,
): { gapMs: number; atMs: number } {
  let best = { gapMs: 0, atMs: fromMs };
  let previous = fromMs;
  for (const each of [...times.filter((t) => t > fromMs && t < toMs), toMs]) {
    if (each - previous > best.gapMs) best = { gapMs: each - previous, atMs: previous };
    previous = each;
  }
  return best;
}

async function main() {
  const flags = new Command()
    .option("--clients <n>", "lock clients, and as many SET clients", "4")
    .option("--stop-ms <ms>", "how long the leader stays stopped", "6000")
    .option("--before-ms <ms>", "steady load before the stop", "2000")
    .option("--slots <n>", "the cluster's slot count", "8")
    .option("--cache <on|off>", "the cache in front of the key-value store", "on")
    .parse(Deno.args, { from: "user" })
    .opts<{ clients: string; stopMs: string; beforeMs: string; slots: string; cache: string }>();
  const clientCount = Number(flags.clients);
  const stopMs = Number(flags.stopMs);
  const beforeMs = Number(flags.beforeMs);
  const plan = await planTestCluster(3);
  const nodes = await startTestCluster(plan, ["--slots", flags.slots, "--cache", flags.cache]);
  try {
    await waitForLeader(nodes);
    const slot = Number(await call(nodes[0]!.clientPort, "CLUSTER", "KEYSLOT", `${HASH_TAG}x`));
    const slotGroupId = 1000 + slot;
    const victim = await settledVictim(nodes, slotGroupId);
    const transferred = await call(victim.clientPort, "CLUSTER", "TRANSFER", victim.id);
    if (transferred !== "OK") throw new Error(`CLUSTER TRANSFER answered ${transferred}`);
    const entry = nodes.find((node) => node !== victim)!;
    console.log(`victim ${victim.id} leads meta and slot ${slot}; load through ${entry.id}`);

    const record: Record = { lockDoneMs: [], setDoneMs: [], errors: [] };
    let stopped = false;
    const loops = [
      ...Array.from(
        { length: clientCount },
        (_, i) => lockLoop(entry.clientPort, i, () => stopped, record),
      ),
      ...Array.from(
        { length: clientCount },
        (_, i) => setLoop(entry.clientPort, i, () => stopped, record),
      ),
    ].map((loop) =>
      loop.catch((error) =>
        record.errors.push({ atMs: 0, kind: "loop", text: String(error), tookMs: 0 })
      )
    );
    const startMs = performance.now();
    await new Promise((resolve) => setTimeout(resolve, beforeMs));
    const faultMs = performance.now();
    Deno.kill(victim.process.pid, "SIGSTOP");
    const learned = new Map<number, number>();
    while (performance.now() < faultMs + stopMs) {
      for (const groupId of [0, slotGroupId]) {
        if (learned.has(groupId)) continue;
        const leader = await leaderAt(entry.clientPort, groupId).catch(() => null);
        if (leader !== null && leader !== victim.id) learned.set(groupId, performance.now());
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const endMs = performance.now();
    stopped = true;
    Deno.kill(victim.process.pid, "SIGCONT");
    await Promise.all(loops);

    const buckets = Math.ceil((endMs - startMs) / BUCKET_MS);
    const count = (times: number[], i: number) =>
      times.filter((t) => t >= startMs + i * BUCKET_MS && t < startMs + (i + 1) * BUCKET_MS)
        .length;
    console.log("t(ms from SIGSTOP)  lock-cycles  SETs");
    for (let i = 0; i < buckets; i++) {
      const atMs = startMs + i * BUCKET_MS - faultMs;
      console.log(
        `${atMs.toFixed(0).padStart(8)}  ${String(count(record.lockDoneMs, i)).padStart(5)}  ${
          String(count(record.setDoneMs, i)).padStart(5)
        }`,
      );
    }
    for (const error of record.errors) {
      console.log(
        `error at ${(error.atMs - faultMs).toFixed(0)} ms after ${
          error.tookMs.toFixed(0)
        } ms (${error.kind}): ${error.text}`,
      );
    }
    const ms = (value: number | null | undefined) =>
      value === null || value === undefined ? "never" : `${value.toFixed(0)} ms`;
    console.log(`entry named a new meta leader after ${ms((learned.get(0) ?? NaN) - faultMs)}`);
    console.log(
      `entry named a new slot leader after ${ms((learned.get(slotGroupId) ?? NaN) - faultMs)}`,
    );
    console.log(`first lock cycle after the stop: ${ms(firstAfter(record.lockDoneMs, faultMs))}`);
    console.log(`first SET after the stop: ${ms(firstAfter(record.setDoneMs, faultMs))}`);
    const lockGap = longestGap(record.lockDoneMs, faultMs, endMs);
    const setGap = longestGap(record.setDoneMs, faultMs, endMs);
    console.log(
      `longest gap, locks: ${ms(lockGap.gapMs)} from ${ms(lockGap.atMs - faultMs)}; ` +
        `SETs: ${ms(setGap.gapMs)} from ${ms(setGap.atMs - faultMs)}`,
    );
  } finally {
    await stopTestCluster(nodes, plan);
  }
}

if (import.meta.main) await main();
