import assert from "node:assert/strict";
import { SeededRandom } from "../../src/raft/mod.ts";
import { openSingleGroup } from "../storage/helpers.ts";
import { Logger } from "../../src/log/logger.ts";
import { RaftHost, type ReplicatedStateMachine } from "../../src/consensus/raft_host.ts";
import { eventually } from "../helpers/node_harness.ts";

const machine: ReplicatedStateMachine = {
  apply: () => null,
  skip: () => {},
  snapshot: () => new Uint8Array(0),
  restore: () => {},
};

async function withHost(voters: string[], run: (host: RaftHost) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const logger = new Logger({ level: "error", format: "text", sink: () => {} });
  const wal = await openSingleGroup(dir, { clusterId: "c", nodeId: "n1", log: logger });
  const host = await RaftHost.open({
    nodeId: "n1",
    groupId: 1,
    bootstrap: { voters, learners: [] },
    wal,
    machine,
    send: () => true,
    quorumReachable: () => true,
    logger,
    random: new SeededRandom(1).fn(),
    snapshotEntriesMax: 1_000,
    requestTimeoutMs: 30_000,
  });
  try {
    await run(host);
  } finally {
    host.close();
    await wal.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a sole voter leads after its first tick, not after an election timeout", async () => {
  await withHost(["n1"], async (host) => {
    host.tick();
    await eventually("n1 leads", () => host.leading, 2_000, 5);
    assert.equal(host.status().term, 1);
  });
});

Deno.test("one of three voters does not campaign on its first tick", async () => {
  await withHost(["n1", "n2", "n3"], (host) => {
    host.tick();
    // A campaign (PreVote included) changes the role within tick() itself.
    assert.equal(host.status().role, "follower");
    assert.equal(host.status().term, 0);
    return Promise.resolve();
  });
});
