import assert from "node:assert/strict";
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import { planTestCluster, startTestCluster, stopTestCluster } from "../helpers/node_harness.ts";
import { waitForLeader } from "../helpers/resp_call.ts";

const CLIENT_COUNT = 4;
/** Lock cycles every client completes before the leader is stopped (the load runs). */
const WARM_CYCLES = 5;
/** The node's request timeout (its default): a forward left at a stopped leader waited this. */
const REQUEST_TIMEOUT_MS = 10_000;
/**
 * The bound on the first cycle after the stop: an election (0.5-1 s) and a retry, with a factor of
 * safety for a loaded machine, and still half of the request timeout the old code waited out.
 */
const FIRST_CYCLE_AFTER_STOP_MS_MAX = 5_000;
/** Each client gives up on a call only after this (far above the node's own bound). */
const CALL_TIMEOUT_MS = 15_000;

/** One client's sequential lock cycles through `port`, recording completion times and errors. */
async function cycles(
  port: number,
  index: number,
  running: () => boolean,
  doneAtMs: number[],
  errors: string[],
): Promise<void> {
  const connection = await RespConnection.open("127.0.0.1", port);
  const call = async (args: string[]) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${args[0]} took ${CALL_TIMEOUT_MS} ms`)),
        CALL_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([connection.call(args), late]);
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    while (running()) {
      const name = `forward-${index}`;
      const acquired = await call(["LOCK.ACQUIRE", name, `owner-${index}`, "TTL", "30000"]);
      if (acquired.type !== "integer") {
        errors.push(replyText(acquired));
        continue;
      }
      const released = await call(["LOCK.RELEASE", name, `owner-${index}`]);
      if (released.type !== "integer") {
        errors.push(replyText(released));
        continue;
      }
      doneAtMs.push(performance.now());
    }
  } finally {
    connection.close();
  }
}

Deno.test("a lock cycle through a follower completes soon after the meta leader is stopped (SIGSTOP), not after the request timeout", async () => {
  const plan = await planTestCluster(3);
  const nodes = await startTestCluster(plan);
  let stoppedPid: number | null = null;
  try {
    const leader = await waitForLeader(nodes);
    const entry = nodes.find((node) => node !== leader)!;
    const doneAtMs: number[] = [];
    const errors: string[] = [];
    let running = true;
    const clients = Array.from(
      { length: CLIENT_COUNT },
      (_, i) => cycles(entry.clientPort, i, () => running, doneAtMs, errors),
    );
    const warmDeadline = performance.now() + 10_000;
    while (doneAtMs.length < CLIENT_COUNT * WARM_CYCLES && performance.now() < warmDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(doneAtMs.length >= CLIENT_COUNT * WARM_CYCLES, "the load runs before the stop");

    // Every client has a cycle forwarded to the leader at almost any moment: stop it there.
    const stoppedAtMs = performance.now();
    leader.process.kill("SIGSTOP");
    stoppedPid = leader.process.pid;
    const giveUpAtMs = stoppedAtMs + REQUEST_TIMEOUT_MS + 2_000;
    while (!doneAtMs.some((atMs) => atMs > stoppedAtMs) && performance.now() < giveUpAtMs) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    running = false;
    leader.process.kill("SIGCONT");
    stoppedPid = null;
    await Promise.all(clients);

    const first = doneAtMs.find((atMs) => atMs > stoppedAtMs);
    const gapMs = first === undefined ? Infinity : first - stoppedAtMs;
    console.log(`first lock cycle through ${entry.id} ${gapMs.toFixed(0)} ms after SIGSTOP`);
    assert.ok(
      gapMs < FIRST_CYCLE_AFTER_STOP_MS_MAX,
      `first cycle after the stop took ${gapMs.toFixed(0)} ms (errors: ${errors.join(" | ")})`,
    );
    // A call left at the stopped leader is answered with the contract's codes for an unknown
    // outcome or a retry, never with a wrong result.
    for (const error of errors) assert.match(error, /^-(TIMEOUT|TRYAGAIN|NOQUORUM) /);
  } finally {
    if (stoppedPid !== null) Deno.kill(stoppedPid, "SIGCONT");
    await stopTestCluster(nodes, plan);
  }
});
