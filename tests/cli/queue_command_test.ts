import assert from "node:assert/strict";
import { dsyncInvocation } from "../../src/cluster/node_process.ts";
import { readLines } from "../../src/util/read_lines.ts";
import { eventually } from "../helpers/node_harness.ts";
import { err, FakeRespServer } from "../client/fake_resp_server.ts";
import { FakeQueue } from "../client/fake_queue.ts";
import { type Run, within } from "./child_run.ts";

/** No run of the subcommand in these tests takes longer; past it the process is killed. */
const RUN_TIMEOUT_MS = 30_000;

/** `dsync queue ARGS` against `endpoint`, its output collected line by line. */
function dsyncQueue(endpoint: string, args: string[]): Run {
  const [sub, ...rest] = args;
  const invocation = dsyncInvocation(["queue", sub!, "--endpoints", endpoint, ...rest]);
  const process = new Deno.Command(invocation.command, {
    args: invocation.args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const out = readLines(process.stdout, (line) => lines.push(line)).catch(() => {});
  const err = readLines(process.stderr, (line) => lines.push(line)).catch(() => {});
  const code = within(
    Promise.all([process.status, out, err]).then(([status]) => status.code),
    RUN_TIMEOUT_MS,
    process,
  );
  return { process, lines, code };
}

/** The queue commands are not served by the node in this build: these run against the contract, by hand. */
Deno.test("dsync queue push, pop, ack, stats and work against the contract's replies", async (t) => {
  const queue = new FakeQueue();
  const server = FakeRespServer.start((args) =>
    args[1] === "forbidden"
      ? err("NOPERM User bob has no permissions to run the 'queue.stats' command")
      : queue.handler(args)
  );
  try {
    await t.step(
      "push prints the id, pop the id, count and payload, ack 1, stats the counts",
      async () => {
        const push = dsyncQueue(server.endpoint, ["push", "jobs", "hello world", "--key", "k1"]);
        assert.equal(await push.code, 0);
        assert.deepEqual(push.lines, ["0-1"]);
        assert.deepEqual(server.named("QUEUE.PUSH").at(-1), [
          "QUEUE.PUSH",
          "jobs",
          "hello world",
          "KEY",
          "k1",
        ]);
        const pop = dsyncQueue(server.endpoint, ["pop", "jobs", "--wait", "100"]);
        assert.equal(await pop.code, 0);
        assert.deepEqual(pop.lines, ["0-1 1", "hello world"]);
        const stats = dsyncQueue(server.endpoint, ["stats", "jobs"]);
        assert.equal(await stats.code, 0);
        assert.deepEqual(stats.lines, ["ready 0", "inflight 1"]);
        const ack = dsyncQueue(server.endpoint, ["ack", "jobs", "0-1"]);
        assert.equal(await ack.code, 0);
        assert.deepEqual(ack.lines, ["1"]);
        const empty = dsyncQueue(server.endpoint, ["pop", "jobs"]);
        assert.equal(await empty.code, 75, "nothing within --wait");
        assert.deepEqual(empty.lines, []);
        const refused = dsyncQueue(server.endpoint, ["stats", "forbidden"]);
        assert.equal(await refused.code, 69);
        assert.match(refused.lines.join("\n"), /NOPERM User bob/);
      },
    );

    await t.step(
      "work: payload on stdin, exit 0 acks, other statuses nack, SIGTERM ends it",
      async () => {
        const good = queue.add("ok");
        const bad = queue.add("no");
        const script =
          'read p; echo "got $p $DSYNC_MESSAGE_ID $DSYNC_DELIVERY_COUNT"; [ "$p" = ok ]';
        const work = dsyncQueue(server.endpoint, [
          "work",
          "jobs",
          "--concurrency",
          "2",
          "--",
          "sh",
          "-c",
          script,
        ]);
        await eventually(
          "both messages settled",
          () => queue.acked.includes(good) && queue.nacked.includes(bad),
          20_000,
        );
        assert.ok(work.lines.includes(`got ok ${good} 1`), work.lines.join("\n"));
        assert.ok(work.lines.includes(`got no ${bad} 1`), work.lines.join("\n"));
        assert.equal(queue.nacked.includes(good), false);
        assert.equal(queue.acked.includes(bad), false);
        work.process.kill("SIGTERM");
        assert.equal(await work.code, 0);
      },
    );
  } finally {
    await server.close();
  }
});
