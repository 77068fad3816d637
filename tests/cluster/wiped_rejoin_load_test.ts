import assert from "node:assert/strict";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  startTestNode,
  stopTestCluster,
  stopTestNode,
  type TestNode,
} from "../helpers/node_harness.ts";
import { call, waitForLeader } from "../helpers/resp_call.ts";
import { allGroupsSettled } from "../helpers/slots_info.ts";

const SLOTS = 32;
const ARGS = ["--slots", String(SLOTS), "--queue-partitions", "8"];
/** A QUEUE.PUSH reply that acknowledges the push. */
const MESSAGE_ID = /^\d+-\d+$/;
/** Concurrent writers of the load. */
const WRITERS = 8;
/** Bound on the re-add: every slot group has the wiped node back as a voter within it. */
const READD_TIMEOUT_MS = 60_000;

/** Pushes answered with an id, and pushes answered otherwise (applied or not: unknown). */
interface LoadCounts {
  done: number;
  failed: number;
}

/** Pushes through the nodes until `stop()` to queues q0..q3; counts the answers. */
async function writeLoad(nodes: () => TestNode[], stop: () => boolean): Promise<LoadCounts> {
  let done = 0;
  let failed = 0;
  const payload = "x".repeat(256);
  const writer = async (w: number) => {
    for (let i = 0; !stop(); i++) {
      const up = nodes();
      const node = up[(w + i) % up.length]!;
      const reply = await call(node.clientPort, "QUEUE.PUSH", `q${w % 4}`, payload)
        .catch(String);
      // Only a message id is an acknowledged push: an error reply, or a connection reset or
      // refused by a node being killed (its text is the error's name), is not.
      if (!MESSAGE_ID.test(reply)) {
        failed++;
        await new Promise((resolve) => setTimeout(resolve, 50));
      } else {
        done++;
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
  return { done, failed };
}

Deno.test("slots: a wiped node re-added under write load is a voter of every slot group again", async () => {
  const plan = await planTestCluster(3);
  const nodes = await startTestCluster(plan, ARGS);
  let stopping = false;
  let load: Promise<LoadCounts> = Promise.resolve({ done: 0, failed: 0 });
  try {
    await waitForLeader(nodes);
    await eventually("slot groups settle", () => allGroupsSettled(nodes, SLOTS), 30_000, 200);
    await eventually(
      "every incarnation is recorded",
      async () =>
        /registered_members:3\r\n/.test(await call(nodes[0]!.clientPort, "INFO", "cluster")),
      15_000,
    );
    const victim = nodes[2]!;
    let upNodes = nodes.slice(0, 3);
    load = writeLoad(() => upNodes, () => stopping);
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    // The documented procedure for a wiped disk, under load: kill, wipe, remove, join empty.
    upNodes = nodes.slice(0, 2);
    await stopTestNode(victim, "SIGKILL");
    await Deno.remove(victim.dataDir, { recursive: true });
    await waitForLeader(nodes.slice(0, 2));
    await eventually(
      "CLUSTER REMOVE n3 accepted",
      async () => {
        const reply = await call(nodes[0]!.clientPort, "CLUSTER", "REMOVE", victim.id)
          .catch(String);
        return reply === "OK";
      },
      20_000,
      200,
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    nodes[2] = await startTestNode(plan, victim.id, ARGS, {
      join: `127.0.0.1:${nodes[0]!.clientPort}`,
    });
    upNodes = nodes.slice(0, 3);
    const startedMs = performance.now();
    await eventually(
      "every slot group has the wiped node back as a voter",
      () => allGroupsSettled(nodes, SLOTS),
      READD_TIMEOUT_MS,
      250,
    );
    const readdMs = Math.round(performance.now() - startedMs);
    console.log(`re-added as a voter of all ${SLOTS} slot groups in ${readdMs} ms under load`);
    stopping = true;
    const { done, failed } = await load;
    assert.ok(done > 100, `the load wrote (${done} writes answered)`);
    // The messages of partitions whose slots moved are all still there: every acknowledged push
    // (and at most every push of unknown outcome) is ready in its queue, asked on any node.
    let stored = 0;
    for (let q = 0; q < 4; q++) {
      let length = "";
      await eventually(`QUEUE.LEN q${q} answered`, async () => {
        length = await call(nodes[q % 3]!.clientPort, "QUEUE.LEN", `q${q}`).catch(String);
        return /^\d+$/.test(length);
      }, 10_000);
      stored += Number(length);
    }
    assert.ok(stored >= done, `${stored} messages stored, ${done} pushes acknowledged`);
    assert.ok(stored <= done + failed, `${stored} stored, at most ${done + failed} pushed`);
  } finally {
    stopping = true;
    await load.catch(() => null);
    await stopTestCluster(nodes, plan);
  }
});
