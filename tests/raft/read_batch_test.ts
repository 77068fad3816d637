import assert from "node:assert/strict";
import {
  type Message,
  newMessage,
  newRaftConfig,
  RaftNode,
  type Ready,
  SeededRandom,
} from "../../src/raft/mod.ts";

const EMPTY = new Uint8Array(0);

function msg(partial: Partial<Message> & Pick<Message, "type" | "from" | "to" | "term">): Message {
  return newMessage({ groupId: 1, ...partial });
}

function drain(a: RaftNode): Ready {
  const ready = a.ready();
  a.advance(ready);
  return ready;
}

function heartbeats(ready: Ready): Message[] {
  return [...ready.messagesNow, ...ready.messages].filter((m) => m.type === "heartbeat");
}

/** `a` leads {a, b, c} (safe reads, no lease) with its term's no-op committed. */
function leaderA(): RaftNode {
  const a = new RaftNode(
    newRaftConfig({
      id: "a",
      groupId: 1,
      random: new SeededRandom(1).fn(),
      preVote: false,
      readOnly: "safe",
    }),
    {
      hardState: { term: 1, votedFor: null, commitIndex: 0 },
      snapshot: {
        index: 0,
        term: 0,
        confState: { voters: ["a", "b", "c"], learners: [] },
        data: EMPTY,
      },
      entries: [],
    },
  );
  a.campaign();
  a.step(msg({ type: "voteResponse", from: "b", to: "a", term: a.term }));
  assert.equal(a.role, "leader");
  drain(a);
  a.step(msg({ type: "appendResponse", from: "b", to: "a", term: a.term, index: 1 }));
  drain(a);
  assert.equal(a.status().commitIndex, 1);
  return a;
}

Deno.test("read index: reads between two Readies share one heartbeat round", () => {
  const a = leaderA();
  for (let id = 1; id <= 10; id++) assert.ok(a.readIndex(id).ok);
  const ready = drain(a);
  const sent = heartbeats(ready);
  assert.deepEqual(sent.map((m) => m.to).sort(), ["b", "c"], "one heartbeat per follower");
  assert.equal(ready.readStates.length, 0, "no read completes before a quorum answers");
  a.step(
    msg({ type: "heartbeatResponse", from: "c", to: "a", term: a.term, context: sent[0]!.context }),
  );
  const done = drain(a).readStates.map((read) => read.requestId);
  assert.deepEqual(done, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

Deno.test("read index: a read after the round left is not confirmed by that round", () => {
  const a = leaderA();
  assert.ok(a.readIndex(1).ok);
  const first = heartbeats(drain(a));
  assert.equal(first.length, 2);
  // The round is on the wire now; a read arriving after it needs a newer round.
  assert.ok(a.readIndex(2).ok);
  const second = heartbeats(drain(a));
  assert.equal(second.length, 2, "a new round for the later read");
  assert.ok(second[0]!.context > first[0]!.context);
  a.step(
    msg({
      type: "heartbeatResponse",
      from: "b",
      to: "a",
      term: a.term,
      context: first[0]!.context,
    }),
  );
  assert.deepEqual(drain(a).readStates.map((read) => read.requestId), [1]);
  a.step(
    msg({
      type: "heartbeatResponse",
      from: "b",
      to: "a",
      term: a.term,
      context: second[0]!.context,
    }),
  );
  assert.deepEqual(drain(a).readStates.map((read) => read.requestId), [2]);
});
