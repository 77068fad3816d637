import assert from "node:assert/strict";
import {
  type Message,
  newMessage,
  newRaftConfig,
  RaftNode,
  type RaftStorageView,
  SeededRandom,
} from "../../src/raft/mod.ts";

function follower(id: string): RaftNode {
  const view: RaftStorageView = {
    hardState: { term: 1, votedFor: null, commitIndex: 0 },
    snapshot: {
      index: 0,
      term: 0,
      confState: { voters: ["a", "b", "c"], learners: [] },
      data: new Uint8Array(0),
    },
    entries: [],
  };
  return new RaftNode(newRaftConfig({ id, groupId: 1, random: new SeededRandom(7).fn() }), view);
}

function heartbeatFromA(to: string): Message {
  return newMessage({ type: "heartbeat", groupId: 1, from: "a", to, term: 1 });
}

function drain(node: RaftNode): Message[] {
  const messages: Message[] = [];
  while (node.hasReady()) {
    const ready = node.ready();
    messages.push(...ready.messagesNow, ...ready.messages);
    node.advance(ready);
  }
  return messages;
}

Deno.test("leaderUnreachable: a follower campaigns (PreVote) within 3 ticks", () => {
  const b = follower("b");
  b.step(heartbeatFromA("b"));
  drain(b);
  assert.equal(b.leaderId, "a");
  b.leaderUnreachable("a");
  let preVotes: Message[] = [];
  for (let tick = 1; tick <= 3 && preVotes.length === 0; tick++) {
    b.tick();
    preVotes = drain(b).filter((m) => m.type === "preVote");
  }
  assert.deepEqual(preVotes.map((m) => m.to).sort(), ["a", "c"]);
  assert.equal(b.term, 1, "PreVote does not raise the term");
});

Deno.test("leaderUnreachable: a peer that is not the leader changes nothing", () => {
  const b = follower("b");
  b.step(heartbeatFromA("b"));
  drain(b);
  b.leaderUnreachable("c");
  for (let tick = 0; tick < 5; tick++) b.tick();
  assert.equal(drain(b).filter((m) => m.type === "preVote").length, 0);
  assert.equal(b.role, "follower");
});

Deno.test("leaderUnreachable: a follower still hearing the leader refuses the PreVote", () => {
  const b = follower("b");
  const c = follower("c");
  b.step(heartbeatFromA("b"));
  c.step(heartbeatFromA("c"));
  drain(b);
  drain(c);
  b.leaderUnreachable("a");
  let preVote: Message | undefined;
  for (let tick = 0; tick < 3 && preVote === undefined; tick++) {
    b.tick();
    preVote = drain(b).find((m) => m.type === "preVote" && m.to === "c");
  }
  assert.ok(preVote !== undefined);
  c.step(preVote);
  const granted = drain(c).filter((m) => m.type === "preVoteResponse" && !m.reject);
  assert.deepEqual(granted, [], "c heard from a within its lease and must not grant");
  assert.equal(c.leaderId, "a");
  assert.equal(c.term, 1);
});
