import assert from "node:assert/strict";
import { DsyncClient } from "../../src/client/mod.ts";
import { dsyncInvocation } from "../../src/cluster/node_process.ts";
import { readLines } from "../../src/util/read_lines.ts";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  stopTestCluster,
} from "../helpers/node_harness.ts";
import { waitForLeader } from "../helpers/resp_call.ts";
import { lockHolders } from "../client/lock_info.ts";
import { type Run, within } from "./child_run.ts";

/** No run of the subcommand in these tests takes longer; past it the process is killed. */
const RUN_TIMEOUT_MS = 30_000;

/** Starts `dsync lock ARGS` with its output collected line by line. */
function dsyncLock(endpoints: string, args: string[]): Run {
  const invocation = dsyncInvocation(["lock", "--endpoints", endpoints, ...args]);
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

function valueOf(run: Run, prefix: string): string | undefined {
  return run.lines.find((line) => line.startsWith(prefix))?.slice(prefix.length);
}

Deno.test("dsync lock: held exactly while the command runs, exit statuses, the kill on a lost lease", async (t) => {
  const plan = await planTestCluster(3);
  const nodes = await startTestCluster(plan);
  const endpoints = nodes.map((node) => `127.0.0.1:${node.clientPort}`).join(",");
  const port = nodes[1]!.clientPort;
  const client = new DsyncClient({ endpoints: endpoints.split(","), retryBudgetMs: 5_000 });
  const dir = await Deno.makeTempDir();
  try {
    await waitForLeader(nodes);

    await t.step("the command's own status, DSYNC_LOCK_TOKEN, released at its end", async () => {
      const go = `${dir}/go`;
      const script = `echo token=$DSYNC_LOCK_TOKEN; echo name=$DSYNC_LOCK_NAME; ` +
        `while [ ! -e ${go} ]; do sleep 0.05; done; exit 7`;
      const run = dsyncLock(endpoints, ["--ttl", "3000", "job", "--", "sh", "-c", script]);
      await eventually("the command runs", () => valueOf(run, "name=") !== undefined, 20_000);
      const token = Number(valueOf(run, "token="));
      assert.ok(Number.isSafeInteger(token) && token >= 1, `token ${valueOf(run, "token=")}`);
      assert.equal(valueOf(run, "name="), "job");
      // Held under that token while it runs, for two TTLs.
      for (let i = 0; i < 6; i++) {
        const holders = await lockHolders(port, "job");
        assert.equal(holders.length, 1, `try ${i}: ${run.lines.join("\n")}`);
        assert.match(holders[0]!, new RegExp(` ${token}$`));
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      await Deno.writeTextFile(go, "");
      assert.equal(await run.code, 7);
      assert.deepEqual(await lockHolders(port, "job"), []);
    });

    await t.step(
      "75 when the lock is not had within --wait; the command does not run",
      async () => {
        const held = await client.lock("busy", { ttlMs: 30_000 });
        assert.ok(held !== null);
        const startedAt = performance.now();
        const run = dsyncLock(endpoints, ["--wait", "300", "busy", "--", "sh", "-c", "echo ran"]);
        assert.equal(await run.code, 75);
        assert.equal(run.lines.includes("ran"), false);
        assert.ok(performance.now() - startedAt >= 300);
        assert.equal(await held.release(), true);
        // Waiting for ever (no --wait): it runs once the lock is free.
        const again = await client.lock("busy", { ttlMs: 30_000 });
        const waiting = dsyncLock(endpoints, ["busy", "--", "sh", "-c", "echo ran"]);
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        assert.equal(waiting.lines.includes("ran"), false, "it waits while the lock is held");
        assert.equal(await again!.release(), true);
        assert.equal(await waiting.code, 0);
        assert.ok(waiting.lines.includes("ran"));
      },
    );

    await t.step(
      "SIGTERM to dsync lock goes to the command; the lock is released after it",
      async () => {
        const script =
          `trap 'echo got-term; exit 3' TERM; echo pid=$$; while :; do sleep 0.1; done`;
        const run = dsyncLock(endpoints, ["--ttl", "3000", "forwarded", "--", "sh", "-c", script]);
        await eventually("the command runs", () => valueOf(run, "pid=") !== undefined, 20_000);
        assert.equal((await lockHolders(port, "forwarded")).length, 1);
        run.process.kill("SIGTERM");
        assert.equal(await run.code, 3, "the command's own status");
        assert.ok(run.lines.includes("got-term"));
        assert.deepEqual(await lockHolders(port, "forwarded"), []);
      },
    );

    await t.step("a lost lease: SIGTERM, then SIGKILL after --grace, exit 70", async () => {
      const script = `trap 'echo got-term' TERM; echo pid=$$; while :; do sleep 0.1; done`;
      const run = dsyncLock(endpoints, [
        ...["--ttl", "3000", "--grace", "1000", "lost", "--", "sh", "-c", script],
      ]);
      await eventually("the command runs", () => valueOf(run, "pid=") !== undefined, 20_000);
      const pid = Number(valueOf(run, "pid="));
      const [holder] = await lockHolders(port, "lost");
      // Pause `dsync lock` itself (its command keeps running) until another client has the lock.
      run.process.kill("SIGSTOP");
      const taken = await client.lock("lost", { ttlMs: 30_000, waitMs: 30_000 });
      assert.ok(taken !== null, "the paused holder's lease ran out");
      assert.ok(taken.token > Number(holder!.split(" ")[1]));
      const resumedAt = performance.now();
      run.process.kill("SIGCONT");
      assert.equal(await run.code, 70);
      const elapsedMs = performance.now() - resumedAt;
      assert.ok(run.lines.includes("got-term"), run.lines.join("\n"));
      // The shell ignored SIGTERM (its trap), so only SIGKILL, a grace later, ended it.
      assert.ok(elapsedMs >= 1_000, `ended ${elapsedMs} ms after resuming`);
      assert.ok(elapsedMs < 10_000, `ended ${elapsedMs} ms after resuming`);
      assert.equal(await processAlive(pid), false);
      assert.deepEqual(await lockHolders(port, "lost"), [`${taken.owner} ${taken.token}`]);
      assert.equal(await taken.release(), true);
    });
  } finally {
    client.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await stopTestCluster(nodes, plan);
  }
});

async function processAlive(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}
