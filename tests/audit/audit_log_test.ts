import assert from "node:assert/strict";
import { AuditLog } from "../../src/audit/audit_log.ts";
import { Auditor } from "../../src/audit/auditor.ts";
import { outcomeOf } from "../../src/audit/audit_record.ts";
import { ClientSession } from "../../src/commands/client_session.ts";
import type { CommandSpec } from "../../src/commands/command_table.ts";
import { Logger } from "../../src/log/logger.ts";

const encoder = new TextEncoder();
const logger = new Logger({ level: "error", format: "text", sink: () => {} });
const args = (...words: string[]) => words.map((word) => encoder.encode(word));
const spec = (name: string, flags: CommandSpec["flags"], firstKey = 0): CommandSpec => ({
  name,
  arity: -1,
  flags,
  summary: "",
  firstKey,
  lastKey: firstKey,
  handler: () => {},
});

async function lines(path: string): Promise<Array<Record<string, unknown>>> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
}

async function withLog(
  options: { recordsMax: number; full: "block" | "drop" },
  body: (log: AuditLog, path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/audit.log`;
  const log = new AuditLog({ path, ...options }, logger);
  await log.open();
  try {
    await body(log, path);
  } finally {
    await log.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("audit: records name the command, keys and outcome, never a password or value", async () => {
  await withLog({ recordsMax: 16, full: "drop" }, async (log, path) => {
    const auditor = new Auditor(log, "all", "n1");
    const session = new ClientSession(7, "127.0.0.1:5000", 0, true);
    auditor.begin(session, "auth", spec("auth", ["noauth"]), args("AUTH", "bob", "hunter2"))
      .ticket!.finish("WRONGPASS");
    auditor.begin(
      session,
      "acl|setuser",
      spec("setuser", ["admin"]),
      args("ACL", "SETUSER", "carol", ">s3cret-pass", "~app:*"),
    ).ticket!.finish("OK");
    session.user = "bob";
    auditor.begin(session, "set", spec("set", ["write"], 1), args("SET", "app:1", "payload-xyz"))
      .ticket!.finish("OK");
    assert.equal(
      auditor.begin(session, "get", spec("get", ["readonly"], 1), args("GET", "app:1")).ticket,
      null,
      "reads are not audited",
    );
    await log.close();
    const text = await Deno.readTextFile(path);
    for (const secret of ["hunter2", "s3cret-pass", "payload-xyz"]) {
      assert.equal(text.includes(secret), false, `${secret} is not in the log`);
    }
    const records = await lines(path);
    assert.deepEqual(records.map((record) => [record.command, record.user, record.outcome]), [
      ["auth", "bob", "WRONGPASS"],
      ["acl|setuser", "default", "OK"],
      ["set", "bob", "OK"],
    ]);
    assert.deepEqual(records[1]!.target, ["carol"]);
    assert.deepEqual(records[2]!.keys, ["app:1"]);
    assert.equal(records[2]!.node, "n1");
    assert.equal(records[2]!.client, "127.0.0.1:5000");
    assert.equal(records[2]!.client_id, 7);
    assert.ok(!Number.isNaN(Date.parse(records[2]!.time as string)));
  });
});

Deno.test("audit: 'changes' scope skips writes; a closed connection still leaves its record", async () => {
  await withLog({ recordsMax: 16, full: "drop" }, async (log, path) => {
    const auditor = new Auditor(log, "changes", "n1");
    const session = new ClientSession(1, "c:1", 0, true);
    assert.equal(
      auditor.begin(session, "set", spec("set", ["write"], 1), args("SET", "k", "v")).ticket,
      null,
    );
    const { ticket } = auditor.begin(
      session,
      "cluster|remove",
      spec("remove", ["admin"]),
      args("CLUSTER", "REMOVE", "n3"),
    );
    assert.notEqual(ticket, null);
    session.closed();
    await log.close();
    const records = await lines(path);
    assert.deepEqual(records.map((record) => [record.command, record.outcome]), [
      ["cluster|remove", "CLOSED"],
    ]);
  });
});

Deno.test("audit: drop policy counts what did not fit; block policy waits for room", async () => {
  await withLog({ recordsMax: 2, full: "drop" }, async (log) => {
    assert.equal(log.reserve(), true);
    assert.equal(log.reserve(), true);
    assert.equal(log.reserve(), false, "full: buffered plus reserved never exceed the bound");
    const auditor = new Auditor(log, "changes", "n1");
    const session = new ClientSession(1, "c:1", 0, true);
    const begun = auditor.begin(session, "auth", spec("auth", []), args("AUTH", "pw"));
    assert.deepEqual(begun, { ticket: null, blocked: false });
    assert.equal(log.stats.dropped, 1);
    log.fill("{}\n");
    log.fill(null);
    await log.roomAvailable();
  });
  await withLog({ recordsMax: 1, full: "block" }, async (log) => {
    const auditor = new Auditor(log, "changes", "n1");
    const session = new ClientSession(1, "c:1", 0, true);
    const first = auditor.begin(session, "auth", spec("auth", []), args("AUTH", "pw"));
    const second = auditor.begin(session, "auth", spec("auth", []), args("AUTH", "pw"));
    assert.equal(first.blocked, false);
    assert.equal(second.blocked, true, "taken past the bound once; the connection must wait");
    let roomed = false;
    const room = log.roomAvailable().then(() => roomed = true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(roomed, false, "no room while both are pending");
    first.ticket!.finish("OK");
    second.ticket!.finish("OK");
    await room;
    assert.equal(log.stats.dropped, 0, "block never drops");
  });
});

Deno.test("audit: reopen writes to a new file at the path after the old one was moved", async () => {
  await withLog({ recordsMax: 16, full: "drop" }, async (log, path) => {
    const write = (text: string) => {
      assert.equal(log.reserve(), true);
      log.fill(`{"n":"${text}"}\n`);
    };
    const written = async (count: number) => {
      const deadline = performance.now() + 5_000;
      while (log.stats.written < count) {
        assert.ok(performance.now() < deadline, `${count} records written within 5 s`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    write("before");
    await written(1);
    await Deno.rename(path, `${path}.1`);
    write("moved"); // still goes to the moved file: the handle is the same until reopened
    await written(2);
    log.reopen();
    write("after");
    await written(3);
    assert.deepEqual((await lines(`${path}.1`)).map((line) => line.n), ["before", "moved"]);
    assert.deepEqual((await lines(path)).map((line) => line.n), ["after"]);
    assert.equal(log.stats.reopened, 1);
  });
});

Deno.test("audit: the outcome is OK or the reply's error code", () => {
  assert.equal(outcomeOf(encoder.encode("+OK\r\n")), "OK");
  assert.equal(outcomeOf(encoder.encode(":1\r\n")), "OK");
  assert.equal(outcomeOf(encoder.encode("-NOPERM No permissions to access a key\r\n")), "NOPERM");
  assert.equal(outcomeOf(encoder.encode("-WRONGPASS invalid\r\n")), "WRONGPASS");
});
