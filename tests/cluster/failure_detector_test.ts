import assert from "node:assert/strict";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  startTestNode,
  stopTestCluster,
  stopTestNode,
} from "../helpers/node_harness.ts";
import { RawClient } from "../helpers/raw_client.ts";

const FAILURE_TIMEOUT_MS = 1_000;
/** Generous slack over the failure timeout for a loaded 2-core CI machine. */
const SLACK_MS = 4_000;

async function clusterNodes(port: number): Promise<Map<string, string>> {
  const client = await RawClient.connect(port);
  try {
    await client.send("CLUSTER NODES\r\n");
    const header = await client.readBytes(1);
    assert.equal(header, "$");
    let lengthText = "";
    for (let char = await client.readBytes(1); char !== "\r"; char = await client.readBytes(1)) {
      lengthText += char;
    }
    await client.readBytes(1);
    const body = await client.readBytes(Number(lengthText));
    const states = new Map<string, string>();
    for (const line of body.trim().split("\n")) {
      const fields = line.split(" ");
      states.set(fields[0]!, fields[4]!);
    }
    return states;
  } finally {
    client.close();
  }
}

Deno.test("3 nodes see each other up; kill -9 marks one down; restart brings it back", async () => {
  const plan = await planTestCluster(3);
  const args = ["--heartbeat-ms", "100", "--failure-timeout-ms", String(FAILURE_TIMEOUT_MS)];
  const nodes = await startTestCluster(plan, args);
  try {
    const allUp = async (port: number) =>
      [...(await clusterNodes(port)).values()].every((state) => state === "up");
    for (const node of nodes) {
      await eventually(`${node.id} sees every member up`, () => allUp(node.clientPort), 10_000);
    }
    const victim = nodes[2]!;
    await stopTestNode(victim, "SIGKILL");
    for (const node of nodes.slice(0, 2)) {
      await eventually(
        `${node.id} marks n3 down`,
        async () => (await clusterNodes(node.clientPort)).get("n3") === "down",
        FAILURE_TIMEOUT_MS + SLACK_MS,
      );
    }
    nodes[2] = await startTestNode(plan, "n3", args);
    for (const node of nodes) {
      await eventually(`${node.id} sees n3 up again`, () => allUp(node.clientPort), 10_000);
    }
  } finally {
    await stopTestCluster(nodes, plan);
  }
});

Deno.test("SIGTERM stops a node cleanly with exit code 0", async () => {
  const plan = await planTestCluster(1);
  const node = await startTestNode(plan, "n1");
  const status = await stopTestNode(node, "SIGTERM");
  await stopTestCluster([], plan);
  assert.equal(status.code, 0);
  assert.ok(node.lines.some((line) => line.includes("shutting down")));
});
