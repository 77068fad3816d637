import assert from "node:assert/strict";
import { RespWriter } from "../../protocol/resp/mod.ts";
import type { PeerMessage, PeerMessageOf } from "../../protocol/peer/mod.ts";
import { AclMachine, encodeAclEntry } from "../../src/acl/acl_machine.ts";
import { applyRules, parseRule } from "../../src/acl/acl_rules.ts";
import { AclService } from "../../src/acl/acl_service.ts";
import { AuthLimiter } from "../../src/acl/auth_limiter.ts";
import { pbkdf2Hasher } from "../../src/acl/password_hash.ts";
import { ClientSession } from "../../src/commands/client_session.ts";
import {
  type CommandCall,
  type CommandSpec,
  CommandTable,
  type ReplyFn,
} from "../../src/commands/command_table.ts";
import type { NodeServices } from "../../src/commands/node_services.ts";
import { Forwarder } from "../../src/node/forwarder.ts";
import { CommandRouter } from "../../src/node/router.ts";
import { Logger } from "../../src/log/logger.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const hasher = pbkdf2Hasher(1);

const ran: string[] = [];
const handler = (call: CommandCall): Promise<ReplyFn> => {
  ran.push(decoder.decode(call.args[0]));
  return Promise.resolve((out) => out.simple("RAN"));
};
const key = { firstKey: 1, lastKey: 1, keyStep: 1 } as const;

/** A table shaped like the node's: cache, lock, admin and connection commands, and a share. */
function specs(): CommandSpec[] {
  return [
    { name: "ping", arity: -1, flags: [], categories: ["connection"], summary: "", handler },
    {
      name: "get",
      arity: 2,
      flags: ["readonly"],
      categories: ["cache"],
      summary: "",
      ...key,
      handler,
    },
    {
      name: "set",
      arity: -3,
      flags: ["write"],
      categories: ["cache"],
      summary: "",
      ...key,
      handler,
    },
    {
      name: "mset",
      arity: -3,
      flags: ["write"],
      categories: ["cache"],
      summary: "",
      firstKey: 1,
      lastKey: -1,
      keyStep: 2,
      handler,
    },
    {
      name: "lock.acquire",
      arity: -3,
      flags: ["write"],
      categories: ["lock"],
      summary: "",
      ...key,
      route: "meta",
      handler,
    },
    {
      name: "cluster",
      arity: -2,
      flags: [],
      summary: "",
      subcommands: [
        { name: "info", arity: 2, flags: [], summary: "", handler },
        { name: "add", arity: 5, flags: ["admin", "write"], summary: "", handler },
      ],
    },
    {
      name: "kv.share",
      arity: -3,
      flags: ["internal"],
      aclChecksInner: true,
      summary: "",
      firstKey: 2,
      lastKey: 2,
      handler,
    },
  ];
}

/** A table gated by an ACL service whose machine holds `users` (name → rules). */
async function gated(users: Record<string, string[]>, requirePass: string | null = null) {
  const machine = new AclMachine();
  let index = 1;
  for (const [name, texts] of Object.entries(users)) {
    const rules = texts.map((text) => parseRule(text, () => true));
    const user = await applyRules(undefined, name, rules as never, hasher);
    if (typeof user === "string") throw new Error(user);
    machine.apply(
      index++,
      encodeAclEntry({ op: "putUser", expectedRevision: 0, user }).subarray(1),
    );
  }
  const service = new AclService({
    machine,
    requirePass,
    hasher,
    limiter: new AuthLimiter({ failuresBurst: 2, refillMs: 60_000, addressesMax: 16 }),
    nowMs: () => 0,
  });
  await service.init();
  const table = new CommandTable(specs());
  service.useTable(table);
  return { table, service, machine };
}

function refusal(table: CommandTable, user: string | null, ...args: string[]): string | undefined {
  return table.resolve(args.map((arg) => encoder.encode(arg)), true, false, user).error;
}

const APP_USER = ["on", ">pw", "~app:*", "+@cache", "+@lock", "+ping", "-set"];

Deno.test("acl check: commands and categories outside the user's rules get Redis' NOPERM", async () => {
  const { table } = await gated({ bob: APP_USER });
  assert.equal(refusal(table, "bob", "get", "app:1"), undefined);
  assert.equal(refusal(table, "bob", "lock.acquire", "app:lock", "o1"), undefined);
  assert.equal(refusal(table, "bob", "ping"), undefined);
  assert.equal(
    refusal(table, "bob", "set", "app:1", "v"),
    "NOPERM User bob has no permissions to run the 'set' command",
    "-set after +@cache: the later rule wins",
  );
  assert.equal(
    refusal(table, "bob", "cluster", "info"),
    "NOPERM User bob has no permissions to run the 'cluster|info' command",
  );
  assert.equal(
    refusal(table, "bob", "cluster", "add", "n4", "h:1", "h:2"),
    "NOPERM User bob has no permissions to run the 'cluster|add' command",
  );
});

Deno.test("acl check: keys outside the user's patterns get NOPERM, every key of the call counts", async () => {
  const { table } = await gated({ bob: [...APP_USER, "+mset"] });
  assert.equal(refusal(table, "bob", "get", "other:1"), "NOPERM No permissions to access a key");
  assert.equal(
    refusal(table, "bob", "lock.acquire", "payroll", "o1"),
    "NOPERM No permissions to access a key",
  );
  assert.equal(refusal(table, "bob", "mset", "app:1", "x", "app:2", "y"), undefined);
  assert.equal(
    refusal(table, "bob", "mset", "app:1", "x", "secret", "y"),
    "NOPERM No permissions to access a key",
  );
  assert.equal(
    refusal(table, "bob", "mset", "app:1", "secret", "app:2", "y"),
    undefined,
    "values are not keys",
  );
});

Deno.test("acl check: a slot's share is checked as the command it carries", async () => {
  const { table } = await gated({ bob: APP_USER });
  const share = (...args: string[]) =>
    table.resolve(["KV.SHARE", ...args].map((arg) => encoder.encode(arg)), true, true, "bob").error;
  assert.equal(share("get", "app:1"), undefined);
  assert.equal(share("get", "other"), "NOPERM No permissions to access a key");
  assert.equal(
    share("set", "app:1", "v"),
    "NOPERM User bob has no permissions to run the 'set' command",
  );
});

Deno.test("acl check: unknown or disabled users have no permissions; the node's own calls are unchecked", async () => {
  const { table } = await gated({ bob: APP_USER, eve: ["off", "allcommands", "allkeys"] });
  assert.equal(
    refusal(table, "mallory", "ping"),
    "NOPERM User mallory has no permissions to run the 'ping' command",
  );
  assert.equal(
    refusal(table, "eve", "ping"),
    "NOPERM User eve has no permissions to run the 'ping' command",
  );
  assert.equal(refusal(table, null, "cluster", "add", "n4", "h:1", "h:2"), undefined);
  assert.equal(
    refusal(table, "default", "cluster", "add", "n4", "h:1", "h:2"),
    undefined,
    "implicit default: everything",
  );
  assert.equal(
    table.resolve([encoder.encode("get"), encoder.encode("k")], false, false, "default").error,
    "NOAUTH Authentication required.",
  );
});

Deno.test("acl auth: passwords, --requirepass for default, disabled users, and the failure limit", async () => {
  const { service } = await gated({ bob: APP_USER, eve: ["off", ">pw"] }, "letmein");
  assert.equal(service.startsAuthenticated(), false, "with --requirepass a client must AUTH");
  assert.deepEqual(await service.authenticate("default", "letmein", "1.1.1.1:1"), { kind: "ok" });
  assert.deepEqual(await service.authenticate("bob", "pw", "1.1.1.1:1"), { kind: "ok" });
  assert.deepEqual(await service.authenticate("eve", "pw", "2.2.2.2:1"), { kind: "wrongpass" });
  assert.deepEqual(await service.authenticate("bob", "nope", "2.2.2.2:2"), { kind: "wrongpass" });
  // Two failures from host 2.2.2.2: the next attempt is refused before any check, right password
  // or not.
  const limited = await service.authenticate("bob", "pw", "2.2.2.2:3");
  assert.equal(limited.kind, "limited");
  assert.deepEqual(await service.authenticate("bob", "pw", "3.3.3.3:1"), { kind: "ok" });
  assert.equal(service.authFailures, 2);
});

Deno.test("acl check: a forwarded command carries the user and is checked again where it runs", async () => {
  const sent: PeerMessageOf<"forwardRequest">[] = [];
  const forwarder = new Forwarder((_to, message: PeerMessage) => {
    if (message.type === "forwardRequest") sent.push(message);
    return true;
  }, 1);
  const leading = new Set<number>();
  const router = new CommandRouter({
    slotCount: () => 16,
    requestTimeoutMs: 1_000,
    groups: {
      metaGroupId: 0,
      groupOfSlot: (slot) => 100 + slot,
      status: (groupId) => ({ role: leading.has(groupId) ? "leader" : "follower", leaderId: "n2" }),
      quorumReachable: () => true,
    },
    forwarder,
    isUp: () => true,
    logger: new Logger({ level: "error", format: "text", sink: () => {} }),
  });
  const wrapped = new CommandTable(specs().map((spec) => router.wrap(spec)));
  const { service } = await gated({ bob: APP_USER });
  service.useTable(wrapped);
  router.attach(wrapped, {} as NodeServices);
  // On the client's node (a follower): allowed here, so it is forwarded with the user.
  const session = new ClientSession(1, "127.0.0.1:5000", 0, true);
  session.user = "bob";
  const args = ["lock.acquire", "app:l", "o1"].map((arg) => encoder.encode(arg));
  const resolution = wrapped.resolve(args, true, false, "bob");
  assert.equal(resolution.error, undefined);
  void resolution.spec!.handler!({ args, session, out: new RespWriter(64), services: {} as never });
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.user, "bob");
  forwarder.close();
  // On the executing node: a request for a forbidden lock, sent by a peer that skipped the check
  // (or whose replica was older), is refused there with the same user.
  leading.add(0);
  const run = async (user: string, ...words: string[]) =>
    decoder.decode(
      await router.executeForwarded("n1", {
        type: "forwardRequest",
        requestEpoch: 1,
        requestId: 1,
        timeoutMs: 1_000,
        groupId: 0,
        parkedWaitId: 0,
        args: words.map((word) => encoder.encode(word)),
        user,
      }),
    );
  ran.length = 0;
  assert.equal(
    await run("bob", "lock.acquire", "payroll", "o1"),
    "-NOPERM No permissions to access a key\r\n",
  );
  assert.equal(
    await run("bob", "cluster", "add", "n4", "h:1", "h:2"),
    "-NOPERM User bob has no permissions to run the 'cluster|add' command\r\n",
  );
  assert.deepEqual(ran, [], "nothing ran for the refused requests");
  assert.equal(await run("bob", "lock.acquire", "app:l", "o1"), "+RAN\r\n");
  assert.equal(await run("", "lock.acquire", "payroll", "o1"), "+RAN\r\n", "the node's own call");
});
