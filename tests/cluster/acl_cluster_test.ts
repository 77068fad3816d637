import assert from "node:assert/strict";
import type { RespValue } from "../../protocol/resp/mod.ts";
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import {
  eventually,
  planTestCluster,
  startTestNode,
  stopTestCluster,
  type TestNode,
} from "../helpers/node_harness.ts";

const ADMIN_PASSWORD = "admin-pw-4f1c";
const APP_PASSWORD = "app-pw-9d2e";
const SECRET_VALUE = "value-never-logged-77";

/** A reply as text; an array as its items' texts joined by newlines. */
function flat(value: RespValue): string {
  if (value.type === "array") return value.value.map(flat).join("\n");
  if (value.type === "bulk") return new TextDecoder().decode(value.value);
  return replyText(value);
}

/** One authenticated connection: each call returns its reply as text (errors as "-CODE ..."). */
async function connect(node: TestNode, user: string, password: string) {
  const conn = await RespConnection.open("127.0.0.1", node.clientPort);
  const auth = replyText(await conn.call(["AUTH", user, password]));
  return {
    auth,
    call: async (...args: string[]) => flat(await conn.call(args)),
    close: () => conn.close(),
  };
}

/** One AUTH on a fresh connection; its reply text. */
async function authOnce(node: TestNode, user: string, password: string): Promise<string> {
  const session = await connect(node, user, password);
  session.close();
  return session.auth;
}

/** The role of each node in the meta group, from CLUSTER INFO. */
async function roles(nodes: TestNode[]): Promise<string[]> {
  return await Promise.all(nodes.map(async (node) => {
    const admin = await connect(node, "default", ADMIN_PASSWORD);
    try {
      const info = await admin.call("CLUSTER", "INFO");
      return /role:(\w+)/.exec(info)?.[1] ?? "?";
    } finally {
      admin.close();
    }
  }));
}

async function auditRecords(path: string): Promise<Array<Record<string, unknown>>> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
}

/** Retries `run` while it answers TRYAGAIN or NOQUORUM (an election), for a while. */
async function settled(run: () => Promise<string>, timeoutMs = 15_000): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const reply = await run();
    if (!/^-(TRYAGAIN|NOQUORUM)/.test(reply) || performance.now() > deadline) return reply;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

Deno.test("acl: a limited user is refused outside its keys and commands on every node, forwarded or not; AUTH loops are rate-limited; the audit log records it without secrets and rotates on SIGHUP", async () => {
  const plan = await planTestCluster(3);
  const auditPath = (id: string) => `${plan.dataRoot}/audit-${id}.log`;
  const started = await Promise.allSettled(plan.ids.map((id) =>
    startTestNode(plan, id, [
      ...["--slots", "8", "--requirepass", ADMIN_PASSWORD],
      ...["--audit-log", auditPath(id), "--audit", "all"],
    ])
  ));
  const nodes = started.flatMap((result) => result.status === "fulfilled" ? [result.value] : []);
  if (nodes.length < plan.ids.length) {
    await stopTestCluster(nodes, plan);
    throw (started.find((result) => result.status === "rejected") as PromiseRejectedResult).reason;
  }
  try {
    await eventually("one meta leader, two followers", async () => {
      const seen = await roles(nodes).catch(() => []);
      return seen.filter((role) => role === "leader").length === 1 &&
        seen.filter((role) => role === "follower").length === 2;
    }, 20_000);
    const [n1, n2, n3] = nodes as [TestNode, TestNode, TestNode];

    // Without AUTH nothing runs; a wrong admin password is refused as Redis words it.
    const anonymous = await RespConnection.open("127.0.0.1", n1.clientPort);
    assert.equal(
      replyText(await anonymous.call(["GET", "app:1"])),
      "-NOAUTH Authentication required.",
    );
    anonymous.close();
    assert.equal(
      await authOnce(n1, "default", "guess"),
      "-WRONGPASS invalid username-password pair or user is disabled.",
    );

    // The admin creates a user on n1 (forwarded to the meta leader when n1 is not it).
    const admin = await connect(n1, "default", ADMIN_PASSWORD);
    assert.equal(admin.auth, "OK");
    const created = await settled(() =>
      admin.call(
        "ACL",
        "SETUSER",
        "app",
        "on",
        `>${APP_PASSWORD}`,
        "~app:*",
        "+@cache",
        "+@lock",
        "+ping",
      )
    );
    assert.equal(created, "OK");
    const list = await admin.call("ACL", "LIST");
    assert.ok(list.includes("user app on ~app:* -@all +@cache +@lock +ping"), list);
    assert.equal(list.includes(APP_PASSWORD), false, "ACL LIST shows no password");
    admin.close();

    // Replicated: the user logs in on every node, and is held to its rules on every node.
    const metaRoles = await roles(nodes);
    for (const [index, node] of nodes.entries()) {
      await eventually(
        `user app replicated to ${node.id}`,
        async () => (await authOnce(node, "app", APP_PASSWORD)) === "OK",
        10_000,
      );
      const app = await connect(node, "app", APP_PASSWORD);
      try {
        assert.equal(
          await app.call("ACL", "WHOAMI"),
          "-NOPERM User app has no permissions to run the 'acl|whoami' command",
        );
        assert.equal(await app.call("PING"), "PONG");
        // Keys over all 8 slots: most shares run on another node's slot leader (forwarded).
        for (let i = 0; i < 8; i++) {
          assert.equal(
            await settled(() => app.call("SET", `app:${node.id}:${i}`, SECRET_VALUE)),
            "OK",
          );
          assert.equal(await settled(() => app.call("GET", `app:${node.id}:${i}`)), SECRET_VALUE);
        }
        assert.equal(await app.call("GET", "billing:1"), "-NOPERM No permissions to access a key");
        assert.equal(
          await app.call("MSET", "app:a", "1", "billing:1", "2"),
          "-NOPERM No permissions to access a key",
          "one forbidden key refuses the whole call",
        );
        // Locks run on the meta leader: from the two followers these are forwarded.
        const token = await settled(() => app.call("LOCK.ACQUIRE", `app:lock:${index}`, "worker"));
        assert.match(token, /^\d+$/, `${node.id} (${metaRoles[index]}) grants an allowed lock`);
        assert.equal(
          await app.call("LOCK.ACQUIRE", "payroll", "worker"),
          "-NOPERM No permissions to access a key",
        );
        for (
          const [command, args] of [
            ["cluster|add", ["CLUSTER", "ADD", "n9", "127.0.0.1:1", "127.0.0.1:2"]],
            ["cluster|info", ["CLUSTER", "INFO"]],
            ["acl|setuser", ["ACL", "SETUSER", "app", "allkeys"]],
            ["config|get", ["CONFIG", "GET", "*"]],
            ["debug|propose", ["DEBUG", "PROPOSE", "x"]],
            ["info", ["INFO"]],
          ] as const
        ) {
          assert.equal(
            await app.call(...args),
            `-NOPERM User app has no permissions to run the '${command}' command`,
          );
        }
      } finally {
        app.close();
      }
    }
    // The forbidden writes changed nothing.
    const check = await connect(n2, "default", ADMIN_PASSWORD);
    assert.equal(await settled(() => check.call("GET", "billing:1")), '{"type":"null"}');
    assert.equal(
      await settled(() => check.call("LOCK.INFO", "payroll")),
      "none\n\n",
      "mode none, no holders, no waiters",
    );
    check.close();

    // A password-guessing loop against n3: ten WRONGPASS, then LIMIT, even for the right password.
    const replies: string[] = [];
    const loopStartedMs = performance.now();
    for (let i = 0; i < 30; i++) replies.push(await authOnce(n3, "app", `guess-${i}`));
    const loopMs = performance.now() - loopStartedMs;
    const wrong = replies.filter((reply) => reply.startsWith("-WRONGPASS")).length;
    const limited = replies.filter((reply) => reply.startsWith("-LIMIT")).length;
    assert.equal(wrong + limited, 30);
    assert.ok(
      wrong >= 10 && wrong <= 12,
      `${wrong} guesses checked (burst 10, one more per second)`,
    );
    assert.match(
      await authOnce(n3, "app", APP_PASSWORD),
      /^-LIMIT too many failed authentication attempts/,
    );
    assert.equal(
      await authOnce(n1, "app", APP_PASSWORD),
      "OK",
      "the limit is per node and address",
    );
    console.log(
      `auth loop: 30 attempts in ${loopMs.toFixed(0)} ms, ${wrong} checked, ${limited} limited`,
    );

    // The audit log: authentication, the ACL change, refusals and writes; never a secret.
    const records = await auditRecords(auditPath(n1.id));
    const text = (await Promise.all(plan.ids.map((id) => Deno.readTextFile(auditPath(id))))).join(
      "",
    );
    for (const secret of [ADMIN_PASSWORD, APP_PASSWORD, SECRET_VALUE, "guess-1"]) {
      assert.equal(text.includes(secret), false, `${secret} appears in no audit log`);
    }
    const find = (command: string, outcome: string) =>
      records.find((record) => record.command === command && record.outcome === outcome);
    assert.deepEqual(find("acl|setuser", "OK")?.target, ["app"]);
    assert.equal(find("acl|setuser", "OK")?.user, "default");
    assert.equal(find("auth", "WRONGPASS")?.user, "default");
    assert.equal(find("auth", "OK")?.node, "n1");
    assert.deepEqual(find("lock.acquire", "NOPERM")?.keys, ["payroll"]);
    assert.equal(find("cluster|add", "NOPERM")?.user, "app");
    assert.deepEqual(find("set", "OK")?.keys, ["app:n1:0"]);
    for (
      const field of ["time", "node", "client", "client_id", "user", "command", "keys", "outcome"]
    ) {
      assert.ok(records.every((record) => field in record), `every record has ${field}`);
    }
    const n3Records = await auditRecords(auditPath(n3.id));
    assert.ok(n3Records.filter((record) => record.outcome === "LIMIT").length >= 18);
    assert.ok(n3Records.filter((record) => record.outcome === "WRONGPASS").length >= 10);

    // Rotation: move the file away, SIGHUP, and the next records go to a new file at the path.
    await Deno.rename(auditPath(n1.id), `${auditPath(n1.id)}.1`);
    n1.process.kill("SIGHUP");
    await eventually("n1 writes audit records to a new file after SIGHUP", async () => {
      await authOnce(n1, "app", APP_PASSWORD);
      return (await auditRecords(auditPath(n1.id))).some((record) => record.command === "auth");
    }, 10_000);
    const rotated = await auditRecords(`${auditPath(n1.id)}.1`);
    assert.ok(
      rotated.some((record) => record.command === "acl|setuser"),
      "old records stay in the moved file",
    );
    const info = await connect(n1, "default", ADMIN_PASSWORD);
    const security = await info.call("INFO", "security");
    info.close();
    assert.match(security, /audit_reopened:1/);
    assert.match(security, /audit_records_dropped:0/);
  } finally {
    await stopTestCluster(nodes, plan);
  }
});
