import assert from "node:assert/strict";
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
import { call, clusterInfo } from "../helpers/resp_call.ts";
import { callNode } from "../../src/node/join.ts";
import type { RespValue } from "../../protocol/resp/mod.ts";

/** Election bound for a loaded 2-core machine: timeouts are 0.5-1 s, we allow many rounds. */
const ELECTION_WAIT_MS = 15_000;

async function leaderOf(nodes: TestNode[]): Promise<TestNode | undefined> {
  for (const node of nodes) {
    const info = await clusterInfo(node.clientPort).catch(() => null);
    if (info?.get("role") === "leader") return node;
  }
  return undefined;
}

/** Waits until the running `nodes` agree on one leader among them; returns it. */
async function agreedLeader(nodes: TestNode[]): Promise<TestNode> {
  let leader: TestNode | undefined;
  await eventually("one leader named by every node", async () => {
    leader = await leaderOf(nodes);
    if (leader === undefined) return false;
    const infos = await Promise.all(nodes.map((node) => clusterInfo(node.clientPort)));
    return infos.every((info) => info.get("leader_id") === leader!.id);
  }, ELECTION_WAIT_MS);
  return leader!;
}

/** One committed entry as DEBUG ENTRIES shows it, flattened to text for comparison. */
type LoggedEntry = string;

/** Every entry of a node's committed meta log, in order, as `index term kind op detail`. */
async function committedLog(node: TestNode): Promise<LoggedEntry[]> {
  const log: LoggedEntry[] = [];
  for (let page = 0; page < 100; page++) {
    const reply = await callNode(
      { host: "127.0.0.1", port: node.clientPort },
      ["DEBUG", "ENTRIES", String(log.length + 1), "1000"],
      15_000,
    );
    if (reply.type !== "array") {
      throw new Error(`DEBUG ENTRIES on ${node.id}: ${JSON.stringify(reply)}`);
    }
    if (reply.value.length === 0) return log;
    for (const entry of reply.value) log.push(entryText(entry));
  }
  throw new Error(`${node.id}: committed log longer than 100 pages`);
}

function entryText(entry: RespValue): LoggedEntry {
  if (entry.type !== "array") throw new Error(`not an entry: ${JSON.stringify(entry)}`);
  return entry.value.map((field) =>
    field.type === "integer" ? String(field.value) : new TextDecoder().decode(
      field.type === "bulk" ? field.value : new Uint8Array(),
    )
  ).join(" ");
}

/** Indexes at which `log` holds a DEBUG PROPOSE entry with `payload`. */
function noopIndexes(log: LoggedEntry[], payload: string): number[] {
  return log.filter((entry) => entry.endsWith(` normal noop ${payload}`))
    .map((entry) => Number(entry.split(" ")[0]));
}

async function withCluster(body: (nodes: TestNode[], plan: TestClusterPlan) => Promise<void>) {
  const plan = await planTestCluster(3);
  const nodes = await startTestCluster(plan);
  try {
    await body(nodes, plan);
  } finally {
    await stopTestCluster(nodes, plan);
  }
}

Deno.test("3 nodes elect one leader; a follower forwards a write to it", async () => {
  await withCluster(async (nodes) => {
    const leader = await agreedLeader(nodes);
    const follower = nodes.find((node) => node !== leader)!;
    assert.equal(await call(follower.clientPort, "DEBUG", "PROPOSE", "from-follower"), "OK");
    const committed = Number((await clusterInfo(leader.clientPort)).get("commit_index"));
    for (const node of nodes) {
      await eventually(`${node.id} applies index ${committed}`, async () => {
        const info = await clusterInfo(node.clientPort);
        return Number(info.get("applied_index")) >= committed;
      }, 5_000);
    }
    const nodesView = await call(follower.clientPort, "CLUSTER", "NODES");
    assert.match(nodesView, new RegExp(`^${leader.id} \\S+ \\S+ leader up \\d+$`, "m"));
  });
});

Deno.test("kill -9 of the leader: the others elect a new one and commit", async () => {
  await withCluster(async (nodes) => {
    const leader = await agreedLeader(nodes);
    const oldTerm = Number((await clusterInfo(leader.clientPort)).get("term"));
    await stopTestNode(leader, "SIGKILL");
    const survivors = nodes.filter((node) => node !== leader);
    const next = await agreedLeader(survivors);
    assert.notEqual(next.id, leader.id);
    assert.ok(Number((await clusterInfo(next.clientPort)).get("term")) > oldTerm);
    await eventually(
      "a write commits on the new leader",
      async () =>
        await call(survivors[0]!.clientPort, "DEBUG", "PROPOSE", "after-failover") === "OK",
      5_000,
    );
  });
});

Deno.test("SIGSTOP of the leader: a new leader; after SIGCONT the old one steps down", async () => {
  await withCluster(async (nodes) => {
    const leader = await agreedLeader(nodes);
    const survivors = nodes.filter((node) => node !== leader);
    Deno.kill(leader.process.pid, "SIGSTOP");
    try {
      const next = await agreedLeader(survivors);
      assert.equal(await call(next.clientPort, "DEBUG", "PROPOSE", "while-paused"), "OK");
    } finally {
      Deno.kill(leader.process.pid, "SIGCONT");
    }
    const payload = "right-after-resume";
    const reply = await call(leader.clientPort, "DEBUG", "PROPOSE", payload);
    const current = await agreedLeader(nodes);
    const info = await clusterInfo(leader.clientPort);
    assert.notEqual(info.get("role"), "leader");
    // Settle the log: a write of the current leader commits after the reply, on every node.
    // An entry the resumed node appended in its old term is now either committed before it
    // or overwritten; no later leader holds it, so its fate can no longer change.
    await eventually(
      "a settling write commits",
      async () => await call(current.clientPort, "DEBUG", "PROPOSE", "settle") === "OK",
      10_000,
    );
    const settledIndex = Number((await clusterInfo(current.clientPort)).get("commit_index"));
    await eventually(`every node commits up to ${settledIndex}`, async () => {
      const now = await Promise.all(nodes.map((node) => clusterInfo(node.clientPort)));
      return now.every((view) => Number(view.get("commit_index")) >= settledIndex);
    }, 10_000);
    const logs = await Promise.all(nodes.map(committedLog));
    for (const [i, log] of logs.entries()) {
      assert.ok(log.length >= settledIndex, `${nodes[i]!.id} shows ${log.length} entries`);
      assert.deepEqual(log.slice(0, settledIndex), logs[0]!.slice(0, settledIndex));
    }
    // The reply must tell the entry's fate: OK committed once on every node (so on a
    // majority); TRYAGAIN/NOQUORUM never committed; TIMEOUT either, but the same everywhere.
    const fates = logs.map((log) => noopIndexes(log, payload));
    const where = `reply ${reply}, committed at ${JSON.stringify(fates)}`;
    if (reply === "OK") {
      for (const fate of fates) assert.deepEqual(fate, fates[0], where);
      assert.equal(fates[0]!.length, 1, where);
    } else if (/^-(TRYAGAIN|NOQUORUM) /.test(reply)) {
      for (const fate of fates) assert.deepEqual(fate, [], where);
    } else if (/^-TIMEOUT /.test(reply)) {
      for (const fate of fates) assert.deepEqual(fate, fates[0], where);
      assert.ok(fates[0]!.length <= 1, where);
    } else {
      assert.fail(`unexpected reply from the resumed leader: ${where}`);
    }
  });
});

Deno.test("restart of every node: committed entries and membership come back", async () => {
  const plan = await planTestCluster(3);
  let nodes = await startTestCluster(plan);
  try {
    const leader = await agreedLeader(nodes);
    for (let i = 0; i < 20; i++) {
      assert.equal(await call(leader.clientPort, "DEBUG", "PROPOSE", `entry-${i}`), "OK");
    }
    const committed = Number((await clusterInfo(leader.clientPort)).get("commit_index"));
    await Promise.all(nodes.map((node) => stopTestNode(node, "SIGKILL")));
    nodes = await startTestCluster(plan);
    await agreedLeader(nodes);
    for (const node of nodes) {
      await eventually(`${node.id} applies up to ${committed} again`, async () => {
        const info = await clusterInfo(node.clientPort);
        return Number(info.get("applied_index")) >= committed && info.get("members") === "3";
      }, 10_000);
    }
  } finally {
    await stopTestCluster(nodes, plan);
  }
});

Deno.test("a node joins with --join, takes leadership by CLUSTER TRANSFER, then a member is removed", async () => {
  const plan = await planTestCluster(4);
  const founders = plan.ids.slice(0, 3);
  const foundersPlan = {
    ...plan,
    peersFlag: founders.map((id) => `${id}=127.0.0.1:${plan.peerPorts.get(id)}`).join(","),
  };
  const nodes = await Promise.all(founders.map((id) => startTestNode(foundersPlan, id)));
  try {
    await agreedLeader(nodes);
    const joiner = await startTestNode(plan, "n4", [], {
      join: `127.0.0.1:${plan.clientPorts.get("n1")}`,
    });
    nodes.push(joiner);
    await eventually("n4 is a voting member seen by n1", async () => {
      const view = await call(nodes[0]!.clientPort, "CLUSTER", "NODES");
      return /^n4 \S+ \S+ (follower|leader) up/m.test(view);
    }, 20_000);
    assert.equal(await call(nodes[1]!.clientPort, "CLUSTER", "TRANSFER", "n4"), "OK");
    assert.equal((await clusterInfo(joiner.clientPort)).get("role"), "leader");
    assert.equal(await call(nodes[2]!.clientPort, "CLUSTER", "REMOVE", "n1"), "OK");
    const info = await clusterInfo(joiner.clientPort);
    assert.equal(info.get("members"), "3");
    assert.doesNotMatch(await call(joiner.clientPort, "CLUSTER", "NODES"), /^n1 /m);
    assert.match(await call(joiner.clientPort, "CLUSTER", "ADD", "bad id", "x", "y"), /^-ERR/);
    assert.match(await call(joiner.clientPort, "CLUSTER", "TRANSFER", "n9"), /^-ERR/);
  } finally {
    await stopTestCluster(nodes, plan);
  }
});
