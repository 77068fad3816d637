import assert from "node:assert/strict";
import { Logger } from "../../src/log/logger.ts";
import type { RaftHost, ReplicatedStateMachine } from "../../src/consensus/raft_host.ts";
import { openSoloRaftHost } from "../helpers/solo_raft_host.ts";
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
  const { wal, host } = await openSoloRaftHost(dir, machine, logger, {
    bootstrap: { voters, learners: [] },
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
