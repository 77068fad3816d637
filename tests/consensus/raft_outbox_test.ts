import assert from "node:assert/strict";
import type { PeerMessage } from "../../protocol/peer/mod.ts";
import { decodeRaftMessage, newMessage } from "../../src/raft/mod.ts";
import { OUTBOX_MESSAGES_PER_PEER_MAX, RaftOutbox } from "../../src/consensus/raft_outbox.ts";

function heartbeat(groupId: number, to: string) {
  return newMessage({ type: "heartbeat", groupId, from: "n1", to, term: 3 });
}

Deno.test("messages of many groups queued in one turn leave as one frame per destination", async () => {
  const sent: Array<{ to: string; frame: PeerMessage }> = [];
  const outbox = new RaftOutbox((to, frame) => {
    sent.push({ to, frame });
    return true;
  });
  for (let group = 1; group <= 100; group++) {
    outbox.enqueue(heartbeat(group, "n2"));
    outbox.enqueue(heartbeat(group, "n3"));
  }
  assert.equal(sent.length, 0, "nothing leaves before the turn ends");
  await Promise.resolve();
  assert.deepEqual(sent.map((s) => s.to).sort(), ["n2", "n3"]);
  for (const { frame } of sent) {
    assert.equal(frame.type, "raftBatch");
    if (frame.type !== "raftBatch") continue;
    assert.deepEqual(
      frame.items.map((item) => item.groupId),
      [...Array(100).keys()].map((i) => i + 1),
    );
    assert.equal(decodeRaftMessage(frame.items[41]!.payload).groupId, 42);
  }
  assert.equal(outbox.framesSent, 2);
  assert.equal(outbox.messagesSent, 200);
});

Deno.test("a lone message leaves as a plain Raft frame", async () => {
  const sent: PeerMessage[] = [];
  const outbox = new RaftOutbox((_to, frame) => sent.push(frame) > 0);
  outbox.enqueue(heartbeat(7, "n2"));
  await Promise.resolve();
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.type, "raft");
  assert.equal(sent[0]!.type === "raft" && sent[0]!.groupId, 7);
});

Deno.test("a refused frame reports every group in it as unreachable, once each", async () => {
  const unreachable: string[] = [];
  const outbox = new RaftOutbox(() => false);
  outbox.onUnreachable = (to, groupId) => unreachable.push(`${to}/${groupId}`);
  outbox.enqueue(heartbeat(1, "n2"));
  outbox.enqueue(heartbeat(1, "n2"));
  outbox.enqueue(heartbeat(2, "n2"));
  await Promise.resolve();
  assert.deepEqual(unreachable.sort(), ["n2/1", "n2/2"]);
  assert.equal(outbox.framesSent, 0);
});

Deno.test("the queue per destination is bounded", () => {
  const outbox = new RaftOutbox(() => true);
  for (let i = 0; i < OUTBOX_MESSAGES_PER_PEER_MAX; i++) {
    assert.equal(outbox.enqueue(heartbeat(1, "n2")), true);
  }
  assert.equal(outbox.enqueue(heartbeat(1, "n2")), false);
  assert.equal(outbox.enqueue(heartbeat(1, "n3")), true);
  outbox.flush();
});
