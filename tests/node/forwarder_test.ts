import assert from "node:assert/strict";
import { decodeFrame, encodeFrame, type PeerMessageOf } from "../../protocol/peer/mod.ts";
import { Forwarder } from "../../src/node/forwarder.ts";
import { ClusterError } from "../../src/consensus/cluster_error.ts";

const TIMEOUT_MS = 10_000;
const META = { groupId: 0, parkedWaitId: 0 };
const text = new TextEncoder();
const decoder = new TextDecoder();

type ForwardRequest = PeerMessageOf<"forwardRequest">;
type ForwardReply = PeerMessageOf<"forwardReply">;

/** One process's forwarder with a fake transport that records what it sent (through the codec). */
function processOf(requestEpoch: number) {
  const sent: { to: string; request: ForwardRequest }[] = [];
  const forwarder = new Forwarder((to, message) => {
    const decoded = decodeFrame(encodeFrame(message));
    assert.equal(decoded.type, "forwardRequest");
    sent.push({ to, request: decoded });
    return true;
  }, requestEpoch);
  return { forwarder, sent };
}

/** The leader's answer to `request`, as the peer frame it sends (through the codec). */
function replyTo(request: ForwardRequest, reply: string): ForwardReply {
  const decoded = decodeFrame(encodeFrame({
    type: "forwardReply",
    requestEpoch: request.requestEpoch,
    requestId: request.requestId,
    reply: text.encode(reply),
  }));
  assert.equal(decoded.type, "forwardReply");
  return decoded;
}

/** Hands a ForwardReply that arrived from peer `from` to the forwarder. */
function deliver(forwarder: Forwarder, from: string, reply: ForwardReply): void {
  forwarder.onReply(from, reply);
}

function argsOf(...args: string[]): Uint8Array[] {
  return args.map((arg) => text.encode(arg));
}

Deno.test("a late reply meant for the process before a restart does not answer the new one", async () => {
  // The follower's first process forwards an acquire to leader n1, then dies before the reply.
  const before = processOf(0x1111_1111);
  const acquired = before.forwarder.forward(
    "n1",
    argsOf("LOCK.ACQUIRE", "a", "w1"),
    TIMEOUT_MS,
    META,
  );
  acquired.catch(() => {});
  before.forwarder.close();
  // The restarted process forwards a release of another lock to the same leader.
  const after = processOf(0x2222_2222);
  const released = after.forwarder.forward(
    "n1",
    argsOf("LOCK.RELEASE", "b", "9"),
    TIMEOUT_MS,
    META,
  );
  const oldRequest = before.sent[0]!.request;
  const newRequest = after.sent[0]!.request;
  // The leader answers the old acquire over the new connection: a token for lock "a".
  deliver(after.forwarder, "n1", replyTo(oldRequest, ":17\r\n"));
  deliver(after.forwarder, "n1", replyTo(newRequest, ":0\r\n"));
  assert.equal(decoder.decode(await released), ":0\r\n");
  await assert.rejects(acquired, ClusterError);
});

Deno.test("a reply is accepted only from the peer the request went to", async () => {
  const node = processOf(7);
  const answer = node.forwarder.forward("n1", argsOf("LOCK.ACQUIRE", "a", "w1"), TIMEOUT_MS, META);
  const request = node.sent[0]!.request;
  assert.equal(node.sent[0]!.to, "n1");
  deliver(node.forwarder, "n2", replyTo(request, ":5\r\n"));
  deliver(node.forwarder, "n1", replyTo(request, ":6\r\n"));
  assert.equal(decoder.decode(await answer), ":6\r\n");
});

Deno.test("request ids carry the process epoch and never repeat within it", () => {
  const node = processOf(0xffff_ffff);
  const pending = [0, 1, 2].map(() =>
    node.forwarder.forward("n1", argsOf("PING"), TIMEOUT_MS, META)
  );
  for (const promise of pending) promise.catch(() => {});
  const ids = node.sent.map(({ request }) => request.requestId);
  assert.equal(new Set(ids).size, 3);
  assert.ok(node.sent.every(({ request }) => request.requestEpoch === 0xffff_ffff));
  node.forwarder.close();
});

Deno.test("a request epoch outside u32 is refused", () => {
  assert.throws(() => new Forwarder(() => true, -1), RangeError);
  assert.throws(() => new Forwarder(() => true, 2 ** 32), RangeError);
  assert.throws(() => new Forwarder(() => true, 1.5), RangeError);
});

const SLOT_GROUP = { groupId: 1003, parkedWaitId: 0 };

/** Settles `promise` into a value or the ClusterError it rejected with (no unhandled rejection). */
function outcome(promise: Promise<Uint8Array>): Promise<string | ClusterError> {
  return promise.then((bytes) => decoder.decode(bytes), (error) => error as ClusterError);
}

Deno.test("a group's new leader fails forwards pending at its silent old leader: writes TIMEOUT, reads TRYAGAIN", async () => {
  const node = processOf(5);
  const write = outcome(
    node.forwarder.forward("n1", argsOf("LOCK.ACQUIRE", "a", "w1"), TIMEOUT_MS, META),
  );
  const read = outcome(
    node.forwarder.forward("n1", argsOf("LOCK.INFO", "a"), TIMEOUT_MS, META, { readonly: true }),
  );
  const otherGroup = outcome(
    node.forwarder.forward("n1", argsOf("SET", "k", "v"), TIMEOUT_MS, SLOT_GROUP),
  );
  const atNewLeader = outcome(
    node.forwarder.forward("n3", argsOf("LOCK.RELEASE", "b", "w2"), TIMEOUT_MS, META),
  );
  const silent: string[] = [];
  const failed = node.forwarder.leaderChanged(0, "n3", (peerId) => {
    silent.push(peerId);
    return true;
  });
  assert.equal(failed, 2);
  assert.deepEqual(silent, ["n1", "n1"], "only the group's forwards at another node are judged");
  const written = await write;
  assert.ok(written instanceof ClusterError);
  assert.equal(written.code, "TIMEOUT", "a write may have been replicated: outcome unknown");
  assert.match(written.message, /outcome is unknown/);
  const readBack = await read;
  assert.ok(readBack instanceof ClusterError);
  assert.equal(readBack.code, "TRYAGAIN", "a read-only command changed nothing: safe to retry");
  // The old leader's late answer to the failed write is dropped; the others still get theirs.
  deliver(node.forwarder, "n1", replyTo(node.sent[0]!.request, ":17\r\n"));
  deliver(node.forwarder, "n1", replyTo(node.sent[2]!.request, "+OK\r\n"));
  deliver(node.forwarder, "n3", replyTo(node.sent[3]!.request, ":1\r\n"));
  assert.equal(await otherGroup, "+OK\r\n");
  assert.equal(await atNewLeader, ":1\r\n");
  assert.equal(node.forwarder.pendingCount, 0);
});

Deno.test("a replaced leader that still talks answers its pending forwards itself", async () => {
  const node = processOf(6);
  const write = outcome(
    node.forwarder.forward("n1", argsOf("CLUSTER", "TRANSFER", "n3"), TIMEOUT_MS, META),
  );
  assert.equal(node.forwarder.leaderChanged(0, "n3", () => false), 0);
  assert.equal(node.forwarder.pendingCount, 1);
  deliver(node.forwarder, "n1", replyTo(node.sent[0]!.request, "+OK\r\n"));
  assert.equal(await write, "+OK\r\n");
});

Deno.test("a peer marked down fails every forward pending there, with the outcome each may have", async () => {
  const node = processOf(7);
  const write = outcome(node.forwarder.forward("n1", argsOf("SET", "k", "v"), TIMEOUT_MS, META));
  const read = outcome(
    node.forwarder.forward("n1", argsOf("GET", "k"), TIMEOUT_MS, SLOT_GROUP, { readonly: true }),
  );
  const elsewhere = outcome(node.forwarder.forward("n2", argsOf("PING"), TIMEOUT_MS, META));
  assert.equal(node.forwarder.peerGone("n1", "n1 stopped answering"), 2);
  assert.equal((await write as ClusterError).code, "TIMEOUT");
  assert.equal((await read as ClusterError).code, "TRYAGAIN");
  deliver(node.forwarder, "n2", replyTo(node.sent[2]!.request, "+PONG\r\n"));
  assert.equal(await elsewhere, "+PONG\r\n");
});
