/**
 * `/health` is a readiness probe: a node alone (no quorum, no leader) answers 503 with the
 * reasons; once the other members start, every node answers 200, and a node cut off from the
 * rest (its peers stopped) goes back to 503.
 */
import assert from "node:assert/strict";
import { freePort } from "../../src/util/free_ports.ts";
import {
  eventually,
  planTestCluster,
  startTestNode,
  stopTestCluster,
  stopTestNode,
  type TestNode,
} from "../helpers/node_harness.ts";

async function health(port: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${port}/health`);
  return { status: response.status, body: await response.json() };
}

Deno.test("/health: 503 with reasons until the node is in a quorum with a leader", async () => {
  const plan = await planTestCluster(3);
  const metricsPorts = new Map(plan.ids.map((id) => [id, freePort()]));
  const flags = (id: string) => ["--metrics", `127.0.0.1:${metricsPorts.get(id)}`];
  const nodes: TestNode[] = [];
  try {
    nodes.push(await startTestNode(plan, "n1", flags("n1")));
    const alone = await health(metricsPorts.get("n1")!);
    assert.equal(alone.status, 503);
    assert.equal(alone.body.ready, false);
    const reasons = (alone.body.reasons as string[]).join("; ");
    assert.match(reasons, /no quorum/);
    assert.match(reasons, /no known leader/);

    nodes.push(await startTestNode(plan, "n2", flags("n2")));
    nodes.push(await startTestNode(plan, "n3", flags("n3")));
    for (const id of plan.ids) {
      await eventually(
        `${id} ready`,
        async () => {
          return (await health(metricsPorts.get(id)!)).status === 200;
        },
        20_000,
        100,
      );
    }
    const ready = await health(metricsPorts.get("n1")!);
    assert.deepEqual(ready.body.reasons, []);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPorts.get("n1")}/metrics`))
      .text();
    assert.match(metrics, /^dsync_ready 1$/m);

    // n1 cut off: both peers stopped.
    await stopTestNode(nodes[1]!);
    await stopTestNode(nodes[2]!);
    await eventually(
      "n1 not ready once alone",
      async () => {
        const verdict = await health(metricsPorts.get("n1")!);
        return verdict.status === 503 &&
          (verdict.body.reasons as string[]).some((reason) => /no quorum/.test(reason));
      },
      20_000,
      100,
    );
  } finally {
    await stopTestCluster(nodes, plan);
  }
});
