import assert from "node:assert/strict";
import { newMessage } from "../../src/raft/mod.ts";
import { Logger } from "../../src/log/logger.ts";
import type { ReplicatedStateMachine } from "../../src/consensus/raft_host.ts";
import { openSoloRaftHost } from "../helpers/solo_raft_host.ts";
import { eventually } from "../helpers/node_harness.ts";

const machine: ReplicatedStateMachine = {
  apply: () => null,
  skip: () => {},
  snapshot: () => new Uint8Array(0),
  restore: () => {},
};

Deno.test("a leader reports a message from a member it removed, with the committed removal's index", async () => {
  const dir = await Deno.makeTempDir();
  const logger = new Logger({ level: "error", format: "text", sink: () => {} });
  const { wal, host } = await openSoloRaftHost(dir, machine, logger);
  const reported: Array<[string, number]> = [];
  host.onNonMember = (from, configIndex) => reported.push([from, configIndex]);
  // A removed member that never learned it campaigns with its old membership.
  const preVoteFrom = (from: string) =>
    newMessage({ type: "preVote", groupId: 1, from, to: "n1", term: host.status().term + 1 });
  try {
    host.tick();
    await eventually("n1 leads", () => host.leading, 2_000, 5);
    await eventually(
      "n1 committed in its term",
      () => {
        const status = host.status();
        return status.commitIndex === status.lastIndex;
      },
      2_000,
      5,
    );
    await host.proposeConfChange({ type: "addLearner", nodeId: "z" });
    host.receive(preVoteFrom("z"));
    assert.deepEqual(reported, [], "a member is not reported");
    const removedAt = await host.proposeConfChange({ type: "removeNode", nodeId: "z" });
    assert.ok(removedAt > 0);
    await eventually("the removal commits", () => host.status().commitIndex >= removedAt, 2_000, 5);
    host.receive(preVoteFrom("z"));
    assert.deepEqual(reported, [["z", removedAt]]);
    assert.ok(host.leading, "the stranger's message changed nothing else");
  } finally {
    host.close();
    await wal.close();
    await Deno.remove(dir, { recursive: true });
  }
});
