import { pingNode, spawnDsync } from "../../src/cluster/node_process.ts";
import { freePort } from "../../src/util/free_ports.ts";

/** A node process started by a test; stopped by its PID through the process handle. */
export interface TestNode {
  id: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  process: Deno.ChildProcess;
  /** Every stderr/stdout line so far. */
  lines: string[];
  /** Resolves with the exit status. */
  exited: Promise<Deno.CommandStatus>;
}

/** Addresses of a cluster to be started with `startTestNode`. */
export interface TestClusterPlan {
  ids: string[];
  clientPorts: Map<string, number>;
  peerPorts: Map<string, number>;
  peersFlag: string;
  dataRoot: string;
}

const READY_TIMEOUT_MS = 15_000;

/** Plans `count` nodes on free loopback ports under a fresh temporary directory. */
export async function planTestCluster(count: number): Promise<TestClusterPlan> {
  const ids = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const clientPorts = new Map(ids.map((id) => [id, freePort()]));
  const peerPorts = new Map(ids.map((id) => [id, freePort()]));
  const peersFlag = ids.map((id) => `${id}=127.0.0.1:${peerPorts.get(id)}`).join(",");
  return { ids, clientPorts, peerPorts, peersFlag, dataRoot: await Deno.makeTempDir() };
}

/** Starts node `id` of `plan` and waits until it answers PING. */
export async function startTestNode(
  plan: TestClusterPlan,
  id: string,
  extraArgs: string[] = [],
  options: { join?: string } = {},
): Promise<TestNode> {
  const clientPort = plan.clientPorts.get(id)!;
  const peerPort = plan.peerPorts.get(id)!;
  const dataDir = `${plan.dataRoot}/${id}`;
  const lines: string[] = [];
  const process = spawnDsync([
    "node",
    ...["--id", id, "--client", `127.0.0.1:${clientPort}`, "--peer", `127.0.0.1:${peerPort}`],
    ...(options.join === undefined ? ["--peers", plan.peersFlag] : ["--join", options.join]),
    ...["--data", dataDir, ...extraArgs],
  ], (line) => lines.push(line));
  const node = { id, clientPort, peerPort, dataDir, process, lines, exited: process.status };
  await waitUntilPing(node);
  return node;
}

/** Starts a whole planned cluster. */
export async function startTestCluster(plan: TestClusterPlan, extraArgs: string[] = []) {
  return await Promise.all(plan.ids.map((id) => startTestNode(plan, id, extraArgs)));
}

async function waitUntilPing(node: TestNode): Promise<void> {
  let exited = false;
  void node.exited.then(() => exited = true);
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (performance.now() < deadline && !exited) {
    // A TLS client port cannot answer a plain PING: its start line counts too.
    if (node.lines.some((line) => line.includes("node started"))) return;
    if (await pingNode("127.0.0.1", node.clientPort, 500)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stopTestNode(node);
  throw new Error(`node ${node.id} did not start:\n${node.lines.slice(-10).join("\n")}`);
}

/** SIGTERM (or `signal`) to the node's PID, then waits for it to exit. */
export async function stopTestNode(
  node: TestNode,
  signal: Deno.Signal = "SIGTERM",
): Promise<Deno.CommandStatus> {
  try {
    node.process.kill(signal);
  } catch {
    // already exited
  }
  return await node.exited;
}

/** Stops every node and removes the data directory. */
export async function stopTestCluster(nodes: TestNode[], plan: TestClusterPlan): Promise<void> {
  await Promise.all(nodes.map((node) => stopTestNode(node, "SIGKILL")));
  await Deno.remove(plan.dataRoot, { recursive: true }).catch(() => {});
}

/** Polls `condition` every `intervalMs` until true or `timeoutMs` passes (then throws `what`). */
export async function eventually(
  what: string,
  condition: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 50,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${what}`);
}
