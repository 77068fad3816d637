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
