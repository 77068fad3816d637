import assert from "node:assert/strict";
import { DsyncClient, DsyncError } from "../../src/client/mod.ts";
import { planTestCluster, startTestCluster, stopTestCluster } from "../helpers/node_harness.ts";

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "no error";
  } catch (error) {
    return error instanceof DsyncError ? error.code : String(error);
  }
}

Deno.test("the client authenticates every connection it opens; refusals are typed", async () => {
  const plan = await planTestCluster(1);
  const nodes = await startTestCluster(plan, ["--requirepass", "s3cret"]);
  const endpoints = [`127.0.0.1:${nodes[0]!.clientPort}`];
  const options = { endpoints, retryBudgetMs: 5_000 };
  const good = new DsyncClient({ ...options, password: "s3cret" });
  const named = new DsyncClient({ ...options, user: "default", password: "s3cret" });
  const none = new DsyncClient(options);
  const wrong = new DsyncClient({ ...options, password: "guess" });
  try {
    const lock = await good.lock("guarded", { ttlMs: 5_000, waitMs: 5_000 });
    assert.ok(lock !== null);
    assert.equal(await lock.release(), true);
    assert.equal(await named.cache.set("k", "v"), true);
    assert.equal(await named.cache.getText("k"), "v");
    assert.equal(await codeOf(none.lock("guarded")), "NOAUTH");
    assert.equal(await codeOf(wrong.lock("guarded")), "WRONGPASS");
  } finally {
    for (const client of [good, named, none, wrong]) client.close();
    await stopTestCluster(nodes, plan);
  }
});
