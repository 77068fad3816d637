import assert from "node:assert/strict";
import { AuditLog } from "../../src/audit/audit_log.ts";
import { Auditor } from "../../src/audit/auditor.ts";
import { CommandTable } from "../../src/commands/command_table.ts";
import { newServerStats, type NodeServices } from "../../src/commands/node_services.ts";
import { buildNodeConfig } from "../../src/config/node_config.ts";
import { Logger } from "../../src/log/logger.ts";
import { ClientServer } from "../../src/server/client_server.ts";
import { freePort } from "../../src/util/free_ports.ts";
import { encodeCommand } from "../../protocol/resp/mod.ts";

const logger = new Logger({ level: "error", format: "text", sink: () => {} });

/** A server whose one write command `W key` answers +OK, audited with `--audit all`. */
async function withAuditedServer(
  full: "block" | "drop",
  body: (port: number, log: AuditLog, path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/audit.log`;
  const log = new AuditLog({ path, recordsMax: 2, full }, logger);
  await log.open();
  const port = freePort();
  const peerPort = freePort();
  const config = buildNodeConfig({
    id: "n1",
    client: `127.0.0.1:${port}`,
    peer: `127.0.0.1:${peerPort}`,
    peers: `n1=127.0.0.1:${peerPort}`,
    data: "./unused",
  });
  const table = new CommandTable([{
    name: "w",
    arity: 2,
    flags: ["write"],
    summary: "",
    firstKey: 1,
    lastKey: 1,
    handler: (call) => call.out.simple("OK"),
  }]);
  const services = {
    stats: newServerStats(),
    nowMs: () => performance.now(),
    acl: { startsAuthenticated: () => true },
  } as unknown as NodeServices;
  const server = new ClientServer(config, table, services, logger, new Auditor(log, "all", "n1"));
  await server.listen();
  try {
    await body(port, log, path);
  } finally {
    server.close();
    await log.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Collects everything `conn` sends; `okCount()` is the `+OK` replies so far. */
function collect(conn: Deno.TcpConn) {
  let text = "";
  void (async () => {
    const buffer = new Uint8Array(4096);
    for (;;) {
      const read = await conn.read(buffer).catch(() => null);
      if (read === null) return;
      text += new TextDecoder().decode(buffer.subarray(0, read));
    }
  })();
  return { okCount: () => text.split("+OK").length - 1 };
}

/** Waits until `condition` or `waitMs` passed. */
async function until(condition: () => boolean, waitMs: number): Promise<void> {
  const deadline = performance.now() + waitMs;
  while (!condition() && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("audit block: a full buffer stops the connection after one command until there is room", async () => {
  await withAuditedServer("block", async (port, log) => {
    // Hold both slots: the disk "cannot keep up".
    assert.equal(log.reserve(), true);
    assert.equal(log.reserve(), true);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      const pipeline = [
        encodeCommand(["W", "a"]),
        encodeCommand(["W", "b"]),
        encodeCommand(["W", "c"]),
      ];
      const replies = collect(conn);
      for (const request of pipeline) await conn.write(request);
      await until(() => replies.okCount() >= 1, 5_000);
      // Given time, nothing more runs while the buffer stays full.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(replies.okCount(), 1, "one command ran, then the connection waits");
      assert.equal(log.stats.dropped, 0);
      log.fill(null);
      log.fill(null);
      await until(() => replies.okCount() === 3, 5_000);
      assert.equal(replies.okCount(), 3, "room again: the rest run");
    } finally {
      conn.close();
    }
  });
});

Deno.test("audit drop: a full buffer drops the records and counts them; commands run", async () => {
  await withAuditedServer("drop", async (port, log) => {
    assert.equal(log.reserve(), true);
    assert.equal(log.reserve(), true);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      const replies = collect(conn);
      for (const key of ["a", "b", "c"]) await conn.write(encodeCommand(["W", key]));
      await until(() => replies.okCount() === 3, 5_000);
      assert.equal(replies.okCount(), 3);
      assert.equal(log.stats.dropped, 3);
    } finally {
      conn.close();
    }
  });
});
