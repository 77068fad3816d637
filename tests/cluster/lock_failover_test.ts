import assert from "node:assert/strict";
import { RespConnection } from "../../src/client/resp_connection.ts";
import {
  planTestCluster,
  startTestCluster,
  stopTestCluster,
  stopTestNode,
} from "../helpers/node_harness.ts";
import { waitForLeader } from "../helpers/resp_call.ts";

const CLIENT_COUNT = 50;
const LOCK_COUNT = 10;
const RUN_MS = 4_000;
const KILL_AT_MS = 1_500;

/** One acknowledged grant, as its client saw it. */
interface Grant {
  lock: string;
  owner: string;
  token: number;
  /** When the acquire's reply arrived. */
  grantedAtMs: number;
  /** When the client stopped using it (invoked the release); Infinity if it never did. */
  releasedAtMs: number;
  releaseAcked: boolean;
}

/** A client looping acquire → hold → release, moving to another node when its node fails. */
/** No call may take this long: the request timeout is 10 s, and a stuck wait waited it out. */
const CALL_MS_MAX = 8_000;

async function runClient(
  index: number,
  ports: () => number[],
  endAtMs: number,
  grants: Grant[],
  errors: string[],
) {
  const call = async (connection: RespConnection, args: string[]) => {
    const startedMs = performance.now();
    const reply = await connection.call(args);
    const tookMs = performance.now() - startedMs;
    if (tookMs > CALL_MS_MAX) {
      errors.push(`${args[0]} took ${tookMs.toFixed(0)} ms: ${JSON.stringify(reply)}`);
    }
    return reply;
  };
  const owner = `c${index}`;
  let connection: RespConnection | null = null;
  let attempt = index;
  while (performance.now() < endAtMs) {
    try {
      connection ??= await RespConnection.open("127.0.0.1", ports()[attempt++ % ports().length]!);
      const lock = `lock-${(index + attempt) % LOCK_COUNT}`;
      const reply = await call(connection, [
        "LOCK.ACQUIRE",
        lock,
        owner,
        "TTL",
        "20000",
        "WAIT",
        "500",
      ]);
      if (reply.type !== "integer") continue;
      const grant: Grant = {
        lock,
        owner,
        token: reply.value,
        grantedAtMs: performance.now(),
        releasedAtMs: Infinity,
        releaseAcked: false,
      };
      grants.push(grant);
      await new Promise((resolve) => setTimeout(resolve, 2));
      grant.releasedAtMs = performance.now();
      const released = await call(connection, [
        "LOCK.RELEASE",
        lock,
        owner,
        "TOKEN",
        String(grant.token),
      ]);
      grant.releaseAcked = released.type === "integer" && released.value === 1;
    } catch {
      connection?.close();
      connection = null;
    }
  }
  connection?.close();
}

/**
 * One grant per token: an owner that re-acquires after a lost reply gets the same grant back
 * (idempotent acquire), so its sightings merge; a token seen by two owners is a violation.
 */
function mergeByToken(grants: Grant[]): Grant[] {
  const merged = new Map<string, Grant>();
  for (const grant of grants) {
    const key = `${grant.lock}/${grant.token}`;
    const seen = merged.get(key);
    if (seen === undefined) {
      merged.set(key, { ...grant });
      continue;
    }
    assert.equal(seen.owner, grant.owner, `${key} handed to ${seen.owner} and ${grant.owner}`);
    seen.grantedAtMs = Math.min(seen.grantedAtMs, grant.grantedAtMs);
    seen.releasedAtMs = Math.max(seen.releasedAtMs, grant.releasedAtMs);
    seen.releaseAcked ||= grant.releaseAcked;
  }
  return [...merged.values()];
}

/** Mutual exclusion by fencing token: a grant starts only after the previous one was let go. */
function checkExclusion(grants: Grant[]): void {
  const byLock = Map.groupBy(mergeByToken(grants), (grant) => grant.lock);
  for (const [lock, list] of byLock) {
    list.sort((x, y) => x.token - y.token);
    for (let i = 1; i < list.length; i++) {
      const previous = list[i - 1]!;
      const current = list[i]!;
      assert.ok(current.token > previous.token, `${lock}: token ${current.token} handed out twice`);
      assert.ok(
        current.grantedAtMs >= previous.releasedAtMs,
        `${lock}: ${current.owner} got token ${current.token} at ${
          current.grantedAtMs.toFixed(1)
        } ms ` +
          `while ${previous.owner} (token ${previous.token}) held it until ${previous.releasedAtMs}`,
      );
    }
  }
}

Deno.test("50 clients on 10 locks while the leader is killed: no overlapping grants, nothing acknowledged lost", async () => {
  const plan = await planTestCluster(3);
  const nodes = await startTestCluster(plan);
  try {
    const leader = await waitForLeader(nodes);
    let live = nodes.map((node) => node.clientPort);
    const grants: Grant[] = [];
    const errors: string[] = [];
    const endAtMs = performance.now() + RUN_MS;
    const killer = (async () => {
      await new Promise((resolve) => setTimeout(resolve, KILL_AT_MS));
      await stopTestNode(leader, "SIGKILL");
      live = live.filter((port) => port !== leader.clientPort);
    })();
    await Promise.all(
      Array.from(
        { length: CLIENT_COUNT },
        (_, i) => runClient(i, () => live, endAtMs, grants, errors),
      ),
    );
    await killer;
    assert.deepEqual(
      errors.filter((error) => / took \d+ ms/.test(error)),
      [],
      "calls stuck for seconds",
    );
    assert.ok(grants.length > 50, `only ${grants.length} grants: the workload did not run`);
    const afterKill = grants.filter((grant) => grant.grantedAtMs > KILL_AT_MS + endAtMs - RUN_MS);
    assert.ok(afterKill.length > 0, "grants continued after the leader was killed");
    checkExclusion(grants);

    // Every acknowledged release survived; a grant whose release was not acknowledged may remain.
    const survivors = nodes.filter((node) => node !== leader);
    const connection = await RespConnection.open("127.0.0.1", survivors[0]!.clientPort);
    try {
      for (let i = 0; i < LOCK_COUNT; i++) {
        const reply = await connection.call(["LOCK.INFO", `lock-${i}`]);
        assert.equal(reply.type, "array");
        if (reply.type !== "array") continue;
        const holders = reply.value[1]!;
        if (holders.type !== "array") continue;
        for (const holder of holders.value) {
          if (holder.type !== "array") continue;
          const token = holder.value[1]!.type === "integer" ? holder.value[1]!.value : -1;
          const grant = grants.find((g) => g.lock === `lock-${i}` && g.token === token);
          assert.ok(
            grant === undefined || !grant.releaseAcked,
            `released token ${token} is still held`,
          );
        }
      }
    } finally {
      connection.close();
    }
  } finally {
    await stopTestCluster(nodes, plan);
  }
});

Deno.test("restart of every node: held locks come back with the same tokens", async () => {
  const plan = await planTestCluster(3);
  let nodes = await startTestCluster(plan);
  try {
    const leader = await waitForLeader(nodes);
    const connection = await RespConnection.open("127.0.0.1", leader.clientPort);
    const held = new Map<string, number>();
    for (let i = 0; i < 5; i++) {
      const reply = await connection.call([
        "LOCK.ACQUIRE",
        `keep-${i}`,
        `owner-${i}`,
        "TTL",
        "600000",
      ]);
      assert.equal(reply.type, "integer");
      if (reply.type === "integer") held.set(`keep-${i}`, reply.value);
    }
    const released = await connection.call(["LOCK.ACQUIRE", "gone", "owner", "TTL", "600000"]);
    assert.deepEqual(
      await connection.call(["LOCK.RELEASE", "gone", "owner"]),
      { type: "integer", value: 1 },
      "the release is acknowledged before the restart",
    );
    connection.close();
    await Promise.all(nodes.map((node) => stopTestNode(node, "SIGKILL")));
    nodes = await startTestCluster(plan);
    const newLeader = await waitForLeader(nodes);
    const again = await RespConnection.open("127.0.0.1", newLeader.clientPort);
    try {
      for (const [name, token] of held) {
        const i = name.split("-")[1];
        const reply = await again.call(["LOCK.ACQUIRE", name, `owner-${i}`, "TTL", "600000"]);
        assert.deepEqual(reply, { type: "integer", value: token }, `${name} keeps token ${token}`);
        const other = await again.call(["LOCK.ACQUIRE", name, "intruder"]);
        assert.equal(other.type, "null", `${name} is still held after the restart`);
      }
      const gone = await again.call(["LOCK.ACQUIRE", "gone", "someone"]);
      assert.equal(gone.type, "integer");
      assert.ok(
        released.type === "integer" && gone.type === "integer" && gone.value > released.value,
      );
    } finally {
      again.close();
    }
  } finally {
    await stopTestCluster(nodes, plan);
  }
});
