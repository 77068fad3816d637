import assert from "node:assert/strict";
import {
  type Entry,
  type Message,
  newMessage,
  newRaftConfig,
  RaftNode,
  type RaftStorageView,
  SeededRandom,
} from "../../src/raft/mod.ts";

const EMPTY = new Uint8Array(0);

function entry(index: number, term: number): Entry {
  return { index, term, kind: "normal", data: new TextEncoder().encode(`e${index}`) };
}

function storage(term: number, entries: Entry[]): RaftStorageView {
  return {
    hardState: { term, votedFor: null, commitIndex: 0 },
    snapshot: {
      index: 0,
      term: 0,
      confState: { voters: ["a", "b", "c"], learners: [] },
      data: EMPTY,
    },
    entries,
  };
}

function node(id: string, view: RaftStorageView, overrides = {}): RaftNode {
  return new RaftNode(
    newRaftConfig({ id, groupId: 1, random: new SeededRandom(1).fn(), ...overrides }),
    view,
  );
}

function msg(partial: Partial<Message> & Pick<Message, "type" | "from" | "to" | "term">): Message {
  return newMessage({ groupId: 1, ...partial });
}

/** Elects `a` by hand (no PreVote), drains its first Ready and returns its messages. */
function electA(a: RaftNode): Message[] {
  a.campaign();
  const term = a.term;
  a.step(msg({ type: "voteResponse", from: "b", to: "a", term }));
  assert.equal(a.role, "leader");
  const ready = a.ready();
  a.advance(ready);
  return [...ready.messagesNow, ...ready.messages];
}

Deno.test("raft node: Figure 8 — replicas of an old-term entry never commit it alone", () => {
  const a = node("a", storage(2, [entry(1, 1), entry(2, 2)]), { preVote: false });
  electA(a);
  const term = a.term;
  assert.equal(term, 3);
  assert.equal(a.status().lastIndex, 3, "no-op appended at index 3");
  // b acknowledges index 2 (term 2): a majority stores it, yet it is not from term 3.
  a.step(msg({ type: "appendResponse", from: "b", to: "a", term, index: 2 }));
  assert.equal(a.commitIndex, 0);
  // Once the no-op (term 3) is on a majority, everything up to it commits.
  a.step(msg({ type: "appendResponse", from: "b", to: "a", term, index: 3 }));
  assert.equal(a.commitIndex, 3);
});

Deno.test("raft node: a rejection hint skips a whole divergent term at once", () => {
  const leaderLog = [entry(1, 1)];
  for (let i = 2; i <= 50; i++) leaderLog.push(entry(i, 3));
  const a = node("a", storage(3, leaderLog), { preVote: false });
  const sent = electA(a);
  const term = a.term;
  // b has 1..50 all from term 2 (divergent from index 2). The first probe is at index 50.
  const probe = sent.find((m) => m.to === "b" && m.type === "append")!;
  assert.equal(probe.index, 50);
  a.step(msg({
    type: "appendResponse",
    from: "b",
    to: "a",
    term,
    index: probe.index,
    reject: true,
    rejectHint: 50,
    logTerm: 2,
  }));
  const next = a.ready().messagesNow.find((m) => m.to === "b" && m.type === "append")!;
  assert.equal(next.index, 1, "jumps straight to the last index with term <= 2");
  assert.equal(next.entries[0]?.index, 2);
});

Deno.test("raft node: Ready contract — messages only with their entries and hard state", () => {
  const a = node("a", storage(0, []), { preVote: false });
  a.campaign();
  const ready = a.ready();
  assert.deepEqual(ready.hardState, { term: 1, votedFor: "a", commitIndex: 0 });
  assert.equal(ready.messages.filter((m) => m.type === "vote").length, 2);
  assert.equal(a.hasReady(), false, "no new Ready before advance");
  assert.throws(() => a.ready(), /ready\(\) called twice/);
  a.advance(ready);
  assert.equal(a.hasReady(), false);
});

Deno.test("raft node: restart validates storage", () => {
  assert.throws(
    () => node("a", { ...storage(1, [entry(1, 1), entry(3, 1)]) }),
    /entry index 3 where 2 was expected/,
  );
  assert.throws(
    () =>
      node("a", {
        ...storage(1, [entry(1, 1)]),
        hardState: { term: 1, votedFor: null, commitIndex: 5 },
      }),
    /commit index 5 exceeds last index 1/,
  );
  assert.throws(
    () => newRaftConfig({ id: "a", groupId: 1, random: Math.random, heartbeatTimeoutTicks: 10 }),
    /heartbeatTimeoutTicks 10 must be below electionTimeoutTicks 10/,
  );
});

Deno.test("raft node: idle follower ticks do no work and produce no Ready", () => {
  const b = node("b", storage(1, [entry(1, 1)]));
  b.step(msg({ type: "heartbeat", from: "a", to: "b", term: 1, commitIndex: 1 }));
  b.advance(b.ready());
  for (let i = 0; i < 9; i++) {
    b.tick();
    assert.equal(b.hasReady(), false);
  }
});

Deno.test("raft node: misrouted messages are refused with a clear error", () => {
  const b = node("b", storage(1, []));
  assert.throws(
    () => b.step(msg({ type: "heartbeat", from: "a", to: "c", term: 1 })),
    /addressed to c, this node is b/,
  );
  assert.throws(
    () => b.step({ ...msg({ type: "heartbeat", from: "a", to: "b", term: 1 }), groupId: 9 }),
    /group 9 is not group 1/,
  );
});

Deno.test("raft node: a leader's appends leave before its fsync; its copy counts after it", () => {
  const a = node("a", storage(1, [entry(1, 1)]), { preVote: false });
  electA(a); // the no-op (index 2) is persisted and counted; nobody acknowledged it yet
  const term = a.term;
  a.step(msg({ type: "appendResponse", from: "b", to: "a", term, index: 2 }));
  assert.equal(a.commitIndex, 2);
  a.advance(a.ready()); // the commit notices
  const proposed = a.propose(new TextEncoder().encode("x"));
  assert.ok(proposed.ok);
  const ready = a.ready();
  assert.deepEqual(ready.entries.map((e) => e.index), [3]);
  // The append carrying index 3 may go out while the leader's own write runs (c, silent so
  // far, is still being probed).
  const appends = ready.messagesNow.filter((m) => m.type === "append" && m.entries.length > 0);
  assert.deepEqual(appends.map((m) => [m.to, m.entries.at(-1)?.index]), [["b", 3]]);
  assert.equal(ready.messages.some((m) => m.type === "append"), false);
  // b has it on disk, the leader not yet: one copy of three is not a majority.
  a.step(msg({ type: "appendResponse", from: "b", to: "a", term, index: 3 }));
  assert.equal(a.commitIndex, 2, "the leader's unpersisted copy must not count");
  a.advance(ready); // the leader's fsync completed
  assert.equal(a.commitIndex, 3);
});

Deno.test("raft node: followers alone can commit while the leader is still writing", () => {
  const a = node("a", storage(1, [entry(1, 1)]), { preVote: false });
  electA(a);
  const term = a.term;
  a.propose(new TextEncoder().encode("x"));
  const ready = a.ready();
  a.step(msg({ type: "appendResponse", from: "b", to: "a", term, index: 3 }));
  assert.equal(a.commitIndex, 2, "b has 1..3 and the leader 1..2 on disk: 2 commits, 3 not");
  a.step(msg({ type: "appendResponse", from: "c", to: "a", term, index: 3 }));
  assert.equal(a.commitIndex, 3, "b and c are a majority without the leader");
  a.advance(ready);
  assert.equal(a.commitIndex, 3);
});

Deno.test("raft node: votes and acknowledgements wait for the fsync", () => {
  const b = node("b", storage(1, [entry(1, 1)]), { preVote: false, checkQuorum: false });
  b.step(msg({ type: "vote", from: "a", to: "b", term: 2, index: 1, logTerm: 1 }));
  const voted = b.ready();
  assert.deepEqual(voted.messagesNow, []);
  assert.equal(voted.messages[0]?.type, "voteResponse");
  b.advance(voted);
  b.step(msg({
    type: "append",
    from: "a",
    to: "b",
    term: 2,
    index: 1,
    logTerm: 1,
    entries: [entry(2, 2)],
  }));
  const appended = b.ready();
  assert.deepEqual(appended.messagesNow, []);
  assert.equal(appended.messages[0]?.type, "appendResponse");
});
