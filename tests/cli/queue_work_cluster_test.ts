import assert from "node:assert/strict";
import { dsyncInvocation } from "../../src/cluster/node_process.ts";
import { DsyncClient } from "../../src/client/mod.ts";
import { partitionOfKey } from "../../src/queues/mod.ts";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  stopTestCluster,
  stopTestNode,
} from "../helpers/node_harness.ts";
import { waitForLeader } from "../helpers/resp_call.ts";
import { partitionLeader, queueClient, slotLeadersKnown } from "../queue_service/queue_helpers.ts";

const SLOTS = 16;
const ARGS = ["--slots", String(SLOTS), "--request-timeout-ms", "2000"];
/** Pushed before the worker starts. */
const EARLY_COUNT = 60;
/** Pushed (each awaited) while the partition leader is killed. */
const LATE_COUNT = 30;
const MESSAGE_COUNT = EARLY_COUNT + LATE_COUNT;
/** Partitions per queue (the node's default). */
const PARTITIONS = 8;
/** The worker's runs before the kill; its 2 runs at a time of >= 0.2 s each leave most to do. */
const RUNS_BEFORE_KILL = 8;
/** Bound on the whole drain after the kill, ms. */
const DRAIN_TIMEOUT_MS = 60_000;

/** Payloads the command has run on so far: one file per run, the payload its content. */
async function runsSoFar(dir: string): Promise<string[]> {
  const payloads: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    payloads.push(await Deno.readTextFile(`${dir}/${entry.name}`));
  }
  return payloads;
}

Deno.test("dsync queue work: kill -9 of a partition leader loses nothing acknowledged", async () => {
  const plan = await planTestCluster(3);
  const nodes = await startTestCluster(plan, ARGS);
  const runDir = await Deno.makeTempDir();
  const admin = queueClient(nodes[0]!);
  let worker: Deno.ChildProcess | undefined;
  let producer: DsyncClient | undefined;
  try {
    await waitForLeader(nodes);
    await slotLeadersKnown(admin, SLOTS);
    const victimId = await partitionLeader(admin, "work", 0);
    admin.disconnect();
    const victim = nodes.find((node) => node.id === victimId)!;
    const survivors = nodes.filter((node) => node !== victim);
    producer = new DsyncClient({
      endpoints: survivors.map((node) => `127.0.0.1:${node.clientPort}`),
    });
    // Each payload is its own KEY, so the messages spread over all partitions (the victim's too).
    const payloads = Array.from({ length: MESSAGE_COUNT }, (_, i) => `job-${i}`);
    // DEDUP makes a push whose reply was lost safe to send again (the client then retries it).
    const push = (payload: string) =>
      producer!.queue.push("work", payload, { key: payload, dedupId: payload });
    for (const payload of payloads.slice(0, EARLY_COUNT)) await push(payload);
    const encoder = new TextEncoder();
    const onVictim = payloads.filter((p) => partitionOfKey(encoder.encode(p), PARTITIONS) === 0);
    assert.ok(onVictim.length >= 3, `${onVictim.length} messages on partition 0`);

    // The worker talks to the victim first; each run writes its payload to a file of its own.
    const command = 'sleep 0.2; f=$(mktemp "$RUN_DIR/run.XXXXXX"); cat > "$f"';
    const endpoints = [victim, ...survivors].map((node) => `127.0.0.1:${node.clientPort}`);
    const invocation = dsyncInvocation([
      ...["queue", "work", "work", "--endpoints", endpoints.join(",")],
      ...["--concurrency", "2", "--visibility", "3000", "--", "sh", "-c", command],
    ]);
    worker = new Deno.Command(invocation.command, {
      args: invocation.args,
      env: { RUN_DIR: runDir },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const workerErrors: string[] = [];
    const errorText = new Response(worker.stderr).text().then((text) => workerErrors.push(text));

    await eventually(`${RUNS_BEFORE_KILL} runs`, async () => {
      return (await runsSoFar(runDir)).length >= RUNS_BEFORE_KILL;
    }, 30_000);
    const before = new Set(await runsSoFar(runDir));
    const victimLeft = onVictim.filter((payload) => !before.has(payload));
    assert.ok(victimLeft.length > 0, "the victim's partition still had work when it was killed");
    const late = (async () => {
      for (const payload of payloads.slice(EARLY_COUNT)) await push(payload);
    })();
    await stopTestNode(victim, "SIGKILL");
    await late; // every push acknowledged, or the test fails here

    // Wait until the queue counts every message acked (an ACK that finds its message already acked
    // answers 0 and counts nothing), then check nothing is left in it and every payload ran.
    let last = new Map<string, number>();
    await eventually(
      "the queue drained by the worker",
      async () => {
        last = await producer!.queue.stats("work").catch(() => last);
        return (last.get("acked") ?? 0) >= MESSAGE_COUNT;
      },
      DRAIN_TIMEOUT_MS,
      200,
    );
    worker.kill("SIGTERM");
    assert.equal((await worker.status).code, 0);
    await errorText;
    const stats = await producer.queue.stats("work");
    assert.equal(stats.get("pushed"), MESSAGE_COUNT, JSON.stringify([...stats]));
    assert.equal(stats.get("acked"), MESSAGE_COUNT, JSON.stringify([...stats]));
    for (const name of ["ready", "inflight", "delayed", "dead"]) {
      assert.equal(stats.get(name), 0, `${name}: ${JSON.stringify([...stats])}`);
    }
    const runs = await runsSoFar(runDir);
    const ran = new Set(runs);
    assert.deepEqual([...ran].sort(), [...payloads].sort(), "every message ran");
    console.log(
      `kill -9 of ${victimId} after ${before.size} runs: ${MESSAGE_COUNT} messages acked once, ` +
        `${runs.length - MESSAGE_COUNT} runs repeated; worker said:\n${workerErrors.join("")}`,
    );
  } finally {
    try {
      worker?.kill("SIGKILL");
    } catch {
      // exited
    }
    await worker?.status;
    producer?.close();
    admin.disconnect();
    await stopTestCluster(nodes, plan);
    await Deno.remove(runDir, { recursive: true });
  }
});

/** `dsync queue ARGS --endpoints ENDPOINTS`: its exit code and output lines (30 s bound). */
async function dsyncQueue(endpoints: string, args: string[]) {
  const [sub, ...rest] = args;
  const invocation = dsyncInvocation(["queue", sub!, "--endpoints", endpoints, ...rest]);
  const output = await new Deno.Command(invocation.command, {
    args: invocation.args,
    stdin: "null",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  return { code: output.code, lines: text.split("\n").filter((line) => line !== "") };
}

Deno.test("dsync queue push, pop, ack, stats against 3 real nodes", async () => {
  const plan = await planTestCluster(3);
  const nodes = await startTestCluster(plan, ARGS);
  const admin = queueClient(nodes[0]!);
  try {
    await waitForLeader(nodes);
    await slotLeadersKnown(admin, SLOTS);
    const endpoints = nodes.map((node) => `127.0.0.1:${node.clientPort}`).join(",");
    const push = await dsyncQueue(endpoints, ["push", "jobs", "hello world", "--key", "k1"]);
    assert.equal(push.code, 0, push.lines.join("\n"));
    const [id] = push.lines;
    assert.match(id!, /^\S+$/);
    const pop = await dsyncQueue(endpoints, ["pop", "jobs", "--wait", "2000"]);
    assert.equal(pop.code, 0, pop.lines.join("\n"));
    assert.deepEqual(pop.lines, [`${id} 1`, "hello world"]);
    const stats = await dsyncQueue(endpoints, ["stats", "jobs"]);
    assert.equal(stats.code, 0);
    assert.ok(
      stats.lines.includes("inflight 1") && stats.lines.includes("ready 0"),
      stats.lines.join("\n"),
    );
    assert.deepEqual((await dsyncQueue(endpoints, ["ack", "jobs", id!])).lines, ["1"]);
    assert.deepEqual((await dsyncQueue(endpoints, ["ack", "jobs", id!])).lines, ["0"]);
    const empty = await dsyncQueue(endpoints, ["pop", "jobs", "--wait", "200"]);
    assert.equal(empty.code, 75, "nothing within --wait");
    const after = await dsyncQueue(endpoints, ["stats", "jobs"]);
    assert.ok(
      after.lines.includes("acked 1") && after.lines.includes("pushed 1"),
      after.lines.join("\n"),
    );
  } finally {
    admin.disconnect();
    await stopTestCluster(nodes, plan);
  }
});
