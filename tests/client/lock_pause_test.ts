import assert from "node:assert/strict";
import { DsyncClient } from "../../src/client/mod.ts";
import { readLines } from "../../src/util/read_lines.ts";
import {
  eventually,
  planTestCluster,
  startTestCluster,
  stopTestCluster,
} from "../helpers/node_harness.ts";
import { waitForLeader } from "../helpers/resp_call.ts";
import { lockHolders } from "./lock_info.ts";

const TTL_MS = 1_500;
/**
 * The longest the other client waits for the lock: the lease must run out and the leader commit the
 * expiry and the grant. A bound, not a sleep: a quiet machine takes about one TTL.
 */
const TAKEOVER_WAIT_MS = 20_000;
const CHILD = new URL("./lock_holder_child.ts", import.meta.url).pathname;

interface Holder {
  process: Deno.ChildProcess;
  lines: string[];
}

function startHolder(endpoints: string, name: string, pause: string): Holder {
  const process = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-run",
      CHILD,
      endpoints,
      name,
      String(TTL_MS),
      pause,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  void readLines(process.stdout, (line) => lines.push(line)).catch(() => {});
  void readLines(process.stderr, (line) => lines.push(line)).catch(() => {});
  return { process, lines };
}

function lineStarting(holder: Holder, prefix: string): string | undefined {
  return holder.lines.find((line) => line.startsWith(prefix));
}

/** The state letter of process `pid` from `ps` (`T` stopped, `S` sleeping, ...). */
async function processState(pid: number): Promise<string> {
  const output = await new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] })
    .output();
  return new TextDecoder().decode(output.stdout).trim().slice(0, 1);
}

/** Waits for the holder's `token N` line; returns N. */
async function holderToken(holder: Holder): Promise<number> {
  await eventually(
    "the child holds the lock",
    () => lineStarting(holder, "token") !== undefined,
    20_000,
  );
  return Number(lineStarting(holder, "token")!.split(" ")[1]);
}

Deno.test("a holder paused past its lease sees its signal fire; the lock went to another client", async (t) => {
  const plan = await planTestCluster(3);
  const nodes = await startTestCluster(plan);
  const endpoints = nodes.map((node) => `127.0.0.1:${node.clientPort}`);
  const other = new DsyncClient({ endpoints, retryBudgetMs: 5_000 });
  try {
    await waitForLeader(nodes);
    const port = nodes[2]!.clientPort;

    await t.step("SIGSTOP of the holder's process", async () => {
      // The holder stops itself with SIGSTOP right after the grant.
      const holder = startHolder(endpoints.join(","), "paused", "stop");
      try {
        const token = await holderToken(holder);
        await eventually(
          "the holder is stopped",
          async () => await processState(holder.process.pid) === "T",
          10_000,
        );
        // While it cannot refresh, its lease runs out and a waiting client is granted the lock.
        const taken = await other.lock("paused", { ttlMs: 30_000, waitMs: TAKEOVER_WAIT_MS });
        assert.ok(taken !== null, "the lease of the stopped holder ran out");
        assert.ok(taken.token > token, `new token ${taken.token} after ${token}`);
        assert.equal(await processState(holder.process.pid), "T", "still stopped");
        assert.equal(lineStarting(holder, "lost"), undefined, "stopped: it cannot have noticed");
        const resumedAt = performance.now();
        holder.process.kill("SIGCONT");
        await eventually(
          "the resumed holder's signal fires",
          () => lineStarting(holder, "release") !== undefined,
          5_000,
        );
        const noticedMs = performance.now() - resumedAt;
        // It noticed from its own clock (no refresh confirmed in time), not from a refresh's 0.
        assert.match(lineStarting(holder, "lost")!, /^lost LeaseLostError .*no refresh confirmed/);
        assert.equal(lineStarting(holder, "release"), "release false");
        assert.deepEqual(await lockHolders(port, "paused"), [`${taken.owner} ${taken.token}`]);
        assert.ok(noticedMs < 5_000, `noticed ${noticedMs} ms after SIGCONT`);
        assert.equal(await taken.release(), true);
      } finally {
        try {
          holder.process.kill("SIGKILL");
        } catch {
          // exited
        }
        await holder.process.status;
      }
    });

    await t.step("a holder whose event loop is blocked past its lease", async () => {
      const holder = startHolder(endpoints.join(","), "blocked", String(4 * TTL_MS));
      try {
        const token = await holderToken(holder);
        const taken = await other.lock("blocked", { ttlMs: 30_000, waitMs: TAKEOVER_WAIT_MS });
        assert.ok(taken !== null, "the lease of the blocked holder ran out");
        assert.ok(taken.token > token);
        await eventually(
          "the unblocked holder's signal fires",
          () => lineStarting(holder, "release") !== undefined,
          10_000,
        );
        assert.match(lineStarting(holder, "lost")!, /^lost LeaseLostError .*no refresh confirmed/);
        assert.equal(lineStarting(holder, "release"), "release false");
        assert.deepEqual(await lockHolders(port, "blocked"), [`${taken.owner} ${taken.token}`]);
        assert.equal(await taken.release(), true);
        assert.equal((await holder.process.status).code, 0);
      } finally {
        try {
          holder.process.kill("SIGKILL");
        } catch {
          // exited
        }
        await holder.process.status;
      }
    });
  } finally {
    other.close();
    await stopTestCluster(nodes, plan);
  }
});
