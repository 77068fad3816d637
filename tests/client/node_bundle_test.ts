import assert from "node:assert/strict";
import { planTestCluster, startTestCluster, stopTestCluster } from "../helpers/node_harness.ts";
import { waitForLeader } from "../helpers/resp_call.ts";
import { lockHolders } from "./lock_info.ts";

const MOD = new URL("../../src/client/mod.ts", import.meta.url).pathname;

/** A Node script: a lock held for 2.3 TTLs, then the cache, printing what it saw as JSON. */
const SCRIPT = `
import { DsyncClient } from "./dsync-client.mjs";
const dsync = new DsyncClient({ endpoints: process.argv.slice(2) });
const lock = await dsync.withLock("from-node", async (lock) => {
  await new Promise((resolve) => setTimeout(resolve, 7000));
  const reason = lock.signal.aborted ? String(lock.signal.reason) : null;
  return { token: lock.token, held: lock.held, refreshes: lock.refreshCount, reason };
}, { ttlMs: 3000 });
const set = await dsync.cache.set("greeting", "hej från node");
const value = await dsync.cache.getText("greeting");
dsync.close();
console.log(JSON.stringify({ lock, set, value }));
`;

Deno.test("the bundled client runs under Node: keeps a lease past its TTL, reads back a value", async () => {
  const dir = await Deno.makeTempDir();
  const plan = await planTestCluster(3);
  const nodes = await startTestCluster(plan);
  try {
    const bundle = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform", "node", MOD, "-o", `${dir}/dsync-client.mjs`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(bundle.code, 0, new TextDecoder().decode(bundle.stderr));
    await Deno.writeTextFile(`${dir}/smoke.mjs`, SCRIPT);
    await waitForLeader(nodes);
    const endpoints = nodes.map((node) => `127.0.0.1:${node.clientPort}`);
    const run = await new Deno.Command("node", {
      args: [`${dir}/smoke.mjs`, ...endpoints],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 0, stderr);
    const seen = JSON.parse(new TextDecoder().decode(run.stdout));
    assert.equal(seen.lock.held, true, `held for 2.3 TTLs: ${seen.lock.reason}`);
    assert.ok(seen.lock.refreshes >= 3, `refreshes: ${seen.lock.refreshes}`);
    assert.ok(Number.isSafeInteger(seen.lock.token) && seen.lock.token >= 1);
    assert.equal(seen.set, true);
    assert.equal(seen.value, "hej från node");
    assert.deepEqual(await lockHolders(nodes[0]!.clientPort, "from-node"), []);
  } finally {
    await stopTestCluster(nodes, plan);
    await Deno.remove(dir, { recursive: true });
  }
});
