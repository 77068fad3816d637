import assert from "node:assert/strict";
import { type Message, newMessage, SeededRandom } from "../../src/raft/mod.ts";
import { openSingleGroup } from "../storage/helpers.ts";
import { Logger } from "../../src/log/logger.ts";
import { RaftHost, type ReplicatedStateMachine } from "../../src/consensus/raft_host.ts";
import { randomReadIdStart } from "../../src/consensus/read_ids.ts";
import { eventually } from "../helpers/node_harness.ts";

const GROUP_ID = 1;
const WAIT_MS = 5_000;

const machine: ReplicatedStateMachine = {
  apply: () => null,
  skip: () => {},
  snapshot: () => new Uint8Array(0),
  restore: () => {},
};

/** One process of follower n2 of {n1, n2, n3}: a RaftHost on the WAL in `dir`, sends recorded. */
async function startFollower(dir: string, readIdStart: number) {
  const logger = new Logger({ level: "error", format: "text", sink: () => {} });
  const wal = await openSingleGroup(dir, { clusterId: "c", nodeId: "n2", log: logger });
  const sent: Message[] = [];
  const host = await RaftHost.open({
    nodeId: "n2",
    groupId: GROUP_ID,
    bootstrap: { voters: ["n1", "n2", "n3"], learners: [] },
    wal,
    machine,
    send: (message) => {
      sent.push(message);
      return true;
    },
    quorumReachable: () => true,
    logger,
    random: new SeededRandom(1).fn(),
    snapshotEntriesMax: 1_000,
    requestTimeoutMs: 30_000,
    readIdStart,
  });
  // n1 leads term 1 (the host is never ticked, so n2 does not campaign).
  host.receive(newMessage({ type: "heartbeat", groupId: GROUP_ID, from: "n1", to: "n2", term: 1 }));
  await eventually("n2 follows n1", () => host.status().leaderId === "n1", WAIT_MS, 5);

  /** Starts a read; resolves with the read's promise and the context n2 sent to the leader. */
  const read = async () => {
    const sentBefore = sent.length;
    const done = host.readBarrier();
    const outcome: { settled: boolean } = { settled: false };
    done.then(() => outcome.settled = true, () => outcome.settled = true);
    const forwarded = () =>
      sent.slice(sentBefore).find((message) => message.type === "readIndex" && message.to === "n1");
    await eventually("the read goes to n1", () => forwarded() !== undefined, WAIT_MS, 5);
    return { done, outcome, context: forwarded()!.context };
  };
  /** Delivers a readIndexResponse from `from` for `context` at read index 0 (already applied). */
  const answer = (from: string, context: number) =>
    host.receive(newMessage({
      type: "readIndexResponse",
      groupId: GROUP_ID,
      from,
      to: "n2",
      term: 1,
      index: 0,
      context,
    }));
  const stop = async () => {
    host.close();
    await wal.close();
  };
  return { host, read, answer, stop };
}

Deno.test("a late read response meant for the process before a restart completes no new read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const before = await startFollower(dir, 1_000);
    const oldRead = await before.read();
    oldRead.done.catch(() => {});
    await before.stop();

    const after = await startFollower(dir, 7_000_000);
    const newRead = await after.read();
    const marker = await after.read();
    assert.notEqual(newRead.context, oldRead.context);
    // The leader confirms the old process's read (at its older index) after the restart...
    after.answer("n1", oldRead.context);
    // ...then a later read; responses are served in order, so once it is done the old one was seen.
    after.answer("n1", marker.context);
    await marker.done;
    assert.equal(newRead.outcome.settled, false, "the new read waits for its own confirmation");
    after.answer("n1", newRead.context);
    await newRead.done;
    await after.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a read response is accepted only from the node the read was sent to", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const follower = await startFollower(dir, 5);
    const read = await follower.read();
    const marker = await follower.read();
    follower.answer("n3", read.context);
    follower.answer("n1", marker.context);
    await marker.done;
    assert.equal(read.outcome.settled, false, "n3 was not asked");
    follower.answer("n1", read.context);
    await read.done;
    await follower.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("read ids count up from the start the host was given", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const follower = await startFollower(dir, Number.MAX_SAFE_INTEGER - 1);
    const contexts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const read = await follower.read();
      read.done.catch(() => {});
      contexts.push(read.context);
    }
    // Ids wrap to 0 after the largest safe integer instead of leaving the u53 range.
    assert.deepEqual(contexts, [Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER, 0]);
    await follower.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("random read id starts are safe integers below 2^52 and differ", () => {
  const starts = Array.from({ length: 64 }, randomReadIdStart);
  for (const start of starts) {
    assert.ok(Number.isSafeInteger(start) && start >= 0 && start < 2 ** 52, `${start}`);
  }
  assert.ok(new Set(starts).size > 60, "64 draws of 52 bits are practically all distinct");
  assert.ok(starts.some((start) => start >= 2 ** 51), "the high bits are used");
});
