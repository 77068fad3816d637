import { runSeed } from "../tests/sim/random_run.ts";
import { SimCluster } from "../tests/sim/cluster.ts";

let seed = 1;

Deno.bench("raft sim: one random seed (3000 ms virtual faults + liveness)", async () => {
  const result = await runSeed(seed++);
  if (result.error !== null) throw new Error(`seed ${result.seed}: ${result.error}`);
});

Deno.bench("raft: 3-node simulated cluster commits 1000 proposals", async (b) => {
  const c = await SimCluster.create({ seed: 1, recordValues: false });
  if (!await c.runUntil(() => c.leader() !== null, 5000)) throw new Error("no leader");
  const leader = c.leader()!;
  const payload = new TextEncoder().encode("x".repeat(64));
  b.start();
  let last = 0;
  for (let i = 0; i < 1000; i++) {
    const result = c.act(leader, (raft) => raft.propose(payload));
    if (!result.ok) throw new Error(result.message);
    last = result.index;
  }
  if (!await c.runUntil(() => c.ids.every((id) => c.host(id).sm.index >= last), 10_000)) {
    throw new Error("proposals not applied");
  }
  b.end();
});
