/**
 * A lock holder run as a child process by lock_pause_test.ts:
 * `lock_holder_child.ts ENDPOINTS NAME TTL_MS PAUSE`. Takes NAME, prints `token N`, then pauses at
 * once: PAUSE `stop` sends itself SIGSTOP (the test sends SIGCONT), a number blocks its own event
 * loop for that many ms. Prints `lost <reason>` when the handle's signal fires and
 * `release <true|false>` after trying to release, then exits.
 */
import { DsyncClient, LeaseLostError } from "../../src/client/mod.ts";

const [endpoints, name, ttlText, pause] = Deno.args;
const client = new DsyncClient({ endpoints: endpoints!.split(","), retryBudgetMs: 5_000 });
const handle = await client.lock(name!, { ttlMs: Number(ttlText), waitMs: 5_000 });
if (handle === null) {
  console.log("not granted");
  Deno.exit(1);
}
console.log(`token ${handle.token}`);
if (pause === "stop") {
  // Right after the grant: however loaded the machine, the lease cannot run out before the pause.
  Deno.kill(Deno.pid, "SIGSTOP");
  console.log("continued");
} else {
  const blockMs = Number(pause);
  const until = performance.now() + blockMs;
  while (performance.now() < until) {
    // a blocked event loop: no timer, no reply is handled
  }
  console.log("unblocked");
}
const reason = await new Promise<unknown>((resolve) => {
  if (handle.signal.aborted) resolve(handle.signal.reason);
  handle.signal.addEventListener("abort", () => resolve(handle.signal.reason), { once: true });
});
const kind = reason instanceof LeaseLostError ? "LeaseLostError" : "other";
console.log(`lost ${kind} ${reason instanceof Error ? reason.message : String(reason)}`);
console.log(`release ${await handle.release()}`);
client.close();
