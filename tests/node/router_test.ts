import assert from "node:assert/strict";
import { RespWriter } from "../../protocol/resp/mod.ts";
import type { PeerMessage, PeerMessageOf } from "../../protocol/peer/mod.ts";
import { ClientSession } from "../../src/commands/client_session.ts";
import {
  type CommandCall,
  type CommandSpec,
  CommandTable,
  type ReplyFn,
} from "../../src/commands/command_table.ts";
import type { NodeServices } from "../../src/commands/node_services.ts";
import { QUEUED_REPLY, type RouteTarget } from "../../src/commands/route.ts";
import { Forwarder } from "../../src/node/forwarder.ts";
import { CommandRouter, FORWARD_ATTEMPTS_MAX, type RouteGroups } from "../../src/node/router.ts";
import { Logger } from "../../src/log/logger.ts";
import { keySlot } from "../../src/placement/key_slot.ts";

const text = new TextEncoder();
const decoder = new TextDecoder();
const SLOT_COUNT = 64;
/** Slot s lives in group 100 + s in these tests (a stand-in for the ring). */
const SLOT_GROUP_BASE = 100;

type ForwardRequest = PeerMessageOf<"forwardRequest">;

/** One node's router over fake groups and a forwarder whose frames are recorded. */
function nodeOf(
  leading: Set<number>,
  leaderId: string | null = "n2",
  others: { candidates?: string[]; down?: Set<string>; leaderOf?: () => string | null } = {},
) {
  const sent: Array<{ to: string; request: ForwardRequest }> = [];
  const forwarder = new Forwarder((to, message: PeerMessage) => {
    if (message.type === "forwardRequest") sent.push({ to, request: message });
    return true;
  }, 0x1234);
  const groups: RouteGroups = {
    metaGroupId: 0,
    groupOfSlot: (slot) => SLOT_GROUP_BASE + slot,
    status: (groupId) => ({
      role: leading.has(groupId) ? "leader" : "follower",
      leaderId: others.leaderOf?.() ?? leaderId,
    }),
    quorumReachable: () => true,
    candidates: () => others.candidates ?? [],
  };
  const router = new CommandRouter({
    slotCount: () => SLOT_COUNT,
    requestTimeoutMs: 5_000,
    groups,
    forwarder,
    isUp: (id) => !(others.down?.has(id) ?? false),
    logger: new Logger({ level: "error", format: "text", sink: () => {} }),
  });
  const seen: Array<RouteTarget | undefined> = [];
  const handler = (call: CommandCall): Promise<ReplyFn> => {
    seen.push(call.target);
    return Promise.resolve((out) => out.simple("RAN"));
  };
  const waits = { parked: 0, settled: 0, dropped: 0 };
  const specs: CommandSpec[] = [
    { name: "m", arity: 1, flags: [], summary: "meta", route: "meta", handler },
    { name: "r", arity: 1, flags: ["readonly"], summary: "read", route: "meta", handler },
    { name: "k", arity: 2, flags: [], summary: "slot", firstKey: 1, route: "slot", handler },
    { name: "here", arity: 1, flags: [], summary: "local", handler },
    {
      name: "block",
      arity: 1,
      flags: ["blocking"],
      summary: "waits",
      route: "meta",
      wait: {
        park: () => {
          waits.parked++;
          return {
            id: 99,
            settle: () => {
              waits.settled++;
              return Promise.resolve((out) => out.integer(7));
            },
            drop: () => waits.dropped++,
          };
        },
      },
      handler: (call) => {
        seen.push(call.target);
        return Promise.resolve(QUEUED_REPLY);
      },
    },
  ];
  const table = new CommandTable(specs.map((spec) => router.wrap(spec)));
  router.attach(table, {} as NodeServices);
  return { router, table, forwarder, sent, seen, waits };
}

/** Runs `args` as a client of the node; returns the reply text. */
async function run(node: ReturnType<typeof nodeOf>, ...args: string[]): Promise<string> {
  const encoded = args.map((arg) => text.encode(arg));
  const resolution = node.table.resolve(encoded, true);
  assert.equal(resolution.error, undefined);
  const out = new RespWriter(64);
  const session = new ClientSession(1, "client", 0, true);
  const result = resolution.spec!.handler!({ args: encoded, session, out, services: {} as never });
  if (result !== undefined) (await result)(out, 2);
  return decoder.decode(out.bytes());
}

/** The leader `to` answers the last forwarded request with `reply`. */
function answer(node: ReturnType<typeof nodeOf>, reply: string): void {
  const { to, request } = node.sent.at(-1)!;
  node.forwarder.onReply(to, {
    type: "forwardReply",
    requestEpoch: request.requestEpoch,
    requestId: request.requestId,
    reply: text.encode(reply),
  });
}

Deno.test("router: a meta command runs here when this node leads the meta group", async () => {
  const node = nodeOf(new Set([0]));
  assert.equal(await run(node, "m"), "+RAN\r\n");
  assert.deepEqual(node.seen, [{ groupId: 0, parkedWaitId: 0 }]);
  assert.equal(node.sent.length, 0);
});

Deno.test("router: otherwise it forwards with the group id and relays the leader's reply", async () => {
  const node = nodeOf(new Set());
  const reply = run(node, "m");
  assert.equal(node.sent.length, 1);
  assert.equal(node.sent[0]!.to, "n2");
  assert.equal(node.sent[0]!.request.groupId, 0);
  assert.equal(node.sent[0]!.request.parkedWaitId, 0);
  answer(node, ":12\r\n");
  assert.equal(await reply, ":12\r\n");
  assert.equal(node.seen.length, 0, "the handler never ran here");
});

Deno.test("router: a slot command goes to the group of its key's slot", async () => {
  const key = "{user:7}:cart";
  const group = SLOT_GROUP_BASE + keySlot(text.encode(key), SLOT_COUNT);
  const follower = nodeOf(new Set([0]));
  const forwarded = run(follower, "k", key);
  assert.equal(follower.sent[0]!.request.groupId, group, "not the meta group it leads");
  answer(follower, "+OK\r\n");
  assert.equal(await forwarded, "+OK\r\n");
  const leader = nodeOf(new Set([group]));
  assert.equal(await run(leader, "k", key), "+RAN\r\n");
  assert.deepEqual(leader.seen, [{ groupId: group, parkedWaitId: 0 }]);
});

Deno.test("router: a local command never forwards", async () => {
  const node = nodeOf(new Set());
  assert.equal(await run(node, "here"), "+RAN\r\n");
  assert.deepEqual(node.seen, [undefined]);
  assert.equal(node.sent.length, 0);
});

Deno.test("router: a forwarded command runs for the frame's group, only while leading it", async () => {
  const frame = (groupId: number): ForwardRequest => ({
    type: "forwardRequest",
    requestEpoch: 1,
    requestId: 1,
    timeoutMs: 1_000,
    groupId,
    parkedWaitId: 42,
    args: [text.encode("m")],
    user: "",
  });
  const node = nodeOf(new Set([7]));
  assert.equal(decoder.decode(await node.router.executeForwarded("n3", frame(7))), "+RAN\r\n");
  assert.deepEqual(node.seen, [{ groupId: 7, parkedWaitId: 42 }], "the frame's group, not meta");
  const moved = decoder.decode(await node.router.executeForwarded("n3", frame(0)));
  assert.equal(moved, "-TRYAGAIN leadership moved; retry\r\n");
  assert.equal(node.sent.length, 0, "a forwarded command is never forwarded again");
});

Deno.test("router: a blocking call parks here; +QUEUED settles the parked wait", async () => {
  const node = nodeOf(new Set());
  const reply = run(node, "block");
  assert.equal(node.sent[0]!.request.parkedWaitId, 99);
  answer(node, "+QUEUED\r\n");
  assert.equal(await reply, ":7\r\n");
  assert.deepEqual(node.waits, { parked: 1, settled: 1, dropped: 0 });
  const immediate = run(node, "block");
  answer(node, ":3\r\n");
  assert.equal(await immediate, ":3\r\n");
  assert.deepEqual(node.waits, { parked: 2, settled: 1, dropped: 1 });
  // On the leader itself the handler's QUEUED_REPLY settles the same way.
  const leader = nodeOf(new Set([0]));
  assert.equal(await run(leader, "block"), ":7\r\n");
  assert.deepEqual(leader.seen, [{ groupId: 0, parkedWaitId: 99 }]);
});

Deno.test("router: no leader to forward to answers TRYAGAIN", async () => {
  const node = nodeOf(new Set(), null);
  assert.equal(await run(node, "m"), "-TRYAGAIN no leader elected yet\r\n");
  assert.equal(node.sent.length, 0);
});

/** Lets the router's awaited forward continue (it sends the next attempt in a later turn). */
function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("router: a refusal from the named leader moves on to the group's other members", async () => {
  const node = nodeOf(new Set(), "n2", { candidates: ["n3", "n4"] });
  const reply = run(node, "m");
  answer(node, "-TRYAGAIN leadership moved; retry\r\n");
  await turn();
  assert.deepEqual(node.sent.map(({ to }) => to), ["n2", "n3"]);
  answer(node, "+OK\r\n");
  assert.equal(await reply, "+OK\r\n");
});

Deno.test("router: a leader that is down is skipped; the command goes to another member", async () => {
  const node = nodeOf(new Set(), "n2", { candidates: ["n3"], down: new Set(["n2"]) });
  const reply = run(node, "m");
  await turn();
  assert.deepEqual(node.sent.map(({ to }) => to), ["n3"]);
  answer(node, ":5\r\n");
  assert.equal(await reply, ":5\r\n");
});

Deno.test("router: at most FORWARD_ATTEMPTS_MAX members are tried; then the refusal is the answer", async () => {
  const node = nodeOf(new Set(), "n2", { candidates: ["n3", "n4", "n5", "n6"] });
  const reply = run(node, "m");
  for (let i = 0; i < FORWARD_ATTEMPTS_MAX; i++) {
    await turn();
    answer(node, "-TRYAGAIN leadership moved; retry\r\n");
  }
  assert.equal(await reply, "-TRYAGAIN leadership moved; retry\r\n");
  assert.deepEqual(node.sent.map(({ to }) => to), ["n2", "n3", "n4"]);
});

Deno.test("router: an unknown outcome (connection lost) is not sent elsewhere", async () => {
  const node = nodeOf(new Set(), "n2", { candidates: ["n3"] });
  const reply = run(node, "m");
  node.forwarder.peerGone("n2", "lost the connection to n2");
  assert.match(await reply, /^-TIMEOUT lost the connection to n2/);
  assert.deepEqual(node.sent.map(({ to }) => to), ["n2"]);
});

Deno.test("router: a read-only command left unanswered by a replaced, silent leader goes to the new one", async () => {
  let leader = "n2";
  const node = nodeOf(new Set(), "n2", { candidates: ["n3"], leaderOf: () => leader });
  const reply = run(node, "r");
  leader = "n4";
  assert.equal(node.forwarder.leaderChanged(0, "n4", () => true), 1);
  await turn();
  assert.deepEqual(node.sent.map(({ to }) => to), ["n2", "n4"]);
  answer(node, ":3\r\n");
  assert.equal(await reply, ":3\r\n");
});

Deno.test("router: a write left unanswered by a replaced, silent leader is answered TIMEOUT, not sent again", async () => {
  let leader = "n2";
  const node = nodeOf(new Set(), "n2", { candidates: ["n3"], leaderOf: () => leader });
  const reply = run(node, "m");
  leader = "n4";
  node.forwarder.leaderChanged(0, "n4", () => true);
  assert.match(await reply, /^-TIMEOUT .*outcome is unknown/);
  assert.deepEqual(node.sent.map(({ to }) => to), ["n2"]);
});
