import assert from "node:assert/strict";
import { CommandTable, type ReplyFn } from "../../src/commands/command_table.ts";
import { newServerStats, type NodeServices } from "../../src/commands/node_services.ts";
import { errorLine, errorReply, hasContractCode } from "../../src/commands/replies.ts";
import { buildNodeConfig } from "../../src/config/node_config.ts";
import { ClusterError } from "../../src/consensus/cluster_error.ts";
import { Logger } from "../../src/log/logger.ts";
import { ClientServer } from "../../src/server/client_server.ts";
import { ContractRespWriter } from "../../src/server/contract_writer.ts";
import { freePort } from "../../src/util/free_ports.ts";
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";

Deno.test("only the contract's codes pass as they are", () => {
  for (const line of ["ERR x", "LIMIT x", "TRYAGAIN x", "NOQUORUM x", "NOSPACE x"]) {
    assert.ok(hasContractCode(line), line);
  }
  for (const line of ["Cannot encode lock op: x", "ERR", "err x", "MOVED 1 x", " ERR x"]) {
    assert.ok(!hasContractCode(line), line);
  }
  const rewritten: string[] = [];
  const writer = new ContractRespWriter(64, (line) => rewritten.push(line));
  writer.error("LIMIT lock name length 300 exceeds maximum of 256 bytes");
  writer.error("Cannot encode lock op: owner length 2000 exceeds maximum of 256 bytes");
  writer.value({ type: "error", value: "WRONGTYPE relayed from a peer" }, 2);
  assert.equal(
    new TextDecoder().decode(writer.bytes()),
    "-LIMIT lock name length 300 exceeds maximum of 256 bytes\r\n" +
      "-ERR internal error: Cannot encode lock op: owner length 2000 exceeds maximum of 256 bytes\r\n" +
      "-ERR internal error: WRONGTYPE relayed from a peer\r\n",
  );
  assert.equal(rewritten.length, 2);
});

Deno.test("errorLine and errorReply keep ClusterError lines; other failures are internal errors", () => {
  assert.equal(errorLine(new ClusterError("TRYAGAIN", "election")), "TRYAGAIN election");
  assert.equal(errorLine(new Error("Cannot encode x")), "ERR internal error: Cannot encode x");
  assert.equal(typeof errorReply(new ClusterError("LIMIT", "x")), "function");
  assert.throws(() => errorReply(new RangeError("boom")), /boom/);
});

/** Handlers that fail the ways a bug would; each must still answer with a contract code. */
function brokenTable(): CommandTable {
  const later = <T>(value: T, ms: number) =>
    new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));
  return new CommandTable([
    { name: "ping", arity: -1, flags: [], summary: "", handler: (c) => c.out.simple("PONG") },
    {
      name: "throws",
      arity: 1,
      flags: [],
      summary: "",
      handler: () => {
        throw new RangeError("Cannot encode string: length 70000 exceeds maximum of 65535 bytes");
      },
    },
    {
      name: "rejects",
      arity: 1,
      flags: [],
      summary: "",
      handler: () => Promise.reject(new Error("Cannot encode lock op: owner too long")),
    },
    {
      name: "slowok",
      arity: 1,
      flags: [],
      summary: "",
      handler: () => later<ReplyFn>((out) => out.simple("SLOW"), 100),
    },
    {
      name: "foreign",
      arity: 1,
      flags: [],
      summary: "",
      handler: (c) => c.out.error("Cannot decode frame: truncated"),
    },
    {
      name: "partial",
      arity: 1,
      flags: [],
      summary: "",
      handler: (c) => {
        c.out.arrayHeader(2);
        throw new Error("half a reply");
      },
    },
  ]);
}

async function withServer(body: (port: number, logs: string[]) => Promise<void>): Promise<void> {
  const port = freePort();
  const peerPort = freePort();
  const config = buildNodeConfig({
    id: "n1",
    client: `127.0.0.1:${port}`,
    peer: `127.0.0.1:${peerPort}`,
    peers: `n1=127.0.0.1:${peerPort}`,
    data: "./unused",
  });
  const logs: string[] = [];
  const logger = new Logger({ level: "error", format: "text", sink: (line) => logs.push(line) });
  const acl = { startsAuthenticated: () => true };
  const services = { stats: newServerStats(), nowMs: () => performance.now(), acl };
  const server = new ClientServer(
    config,
    brokenTable(),
    services as unknown as NodeServices,
    logger,
  );
  await server.listen();
  try {
    await body(port, logs);
  } finally {
    server.close();
  }
}

Deno.test("a handler that throws, rejects or writes a foreign code answers -ERR internal error", async () => {
  await withServer(async (port, logs) => {
    const client = await RespConnection.open("127.0.0.1", port);
    try {
      const call = async (name: string) => replyText(await client.call([name]));
      assert.equal(
        await call("throws"),
        "-ERR internal error: Cannot encode string: length 70000 exceeds maximum of 65535 bytes",
      );
      assert.equal(
        await call("rejects"),
        "-ERR internal error: Cannot encode lock op: owner too long",
      );
      assert.equal(await call("foreign"), "-ERR internal error: Cannot decode frame: truncated");
      assert.equal(await call("ping"), "PONG", "the connection stays usable");
    } finally {
      client.close();
    }
    assert.equal(logs.filter((line) => line.includes("command failed unexpectedly")).length, 2);
    assert.equal(logs.filter((line) => line.includes("non-contract error code")).length, 1);
  });
});

Deno.test("a rejection queued behind a slow reply is answered in order, the node keeps running", async () => {
  await withServer(async (port) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      const request = "*1\r\n$6\r\nslowok\r\n*1\r\n$7\r\nrejects\r\n*1\r\n$4\r\nping\r\n";
      await conn.write(new TextEncoder().encode(request));
      const expected = "+SLOW\r\n-ERR internal error: Cannot encode lock op: owner too long\r\n" +
        "+PONG\r\n";
      let received = "";
      const buffer = new Uint8Array(1024);
      while (received.length < expected.length) {
        const count = await conn.read(buffer);
        if (count === null) break;
        received += new TextDecoder().decode(buffer.subarray(0, count));
      }
      assert.equal(received, expected);
    } finally {
      conn.close();
    }
  });
});

Deno.test("a handler that throws after writing part of its reply closes only that client", async () => {
  await withServer(async (port) => {
    const client = await RespConnection.open("127.0.0.1", port);
    const other = await RespConnection.open("127.0.0.1", port);
    try {
      await assert.rejects(client.call(["partial"]), /closed by the server/);
      assert.equal(replyText(await other.call(["ping"])), "PONG");
    } finally {
      client.close();
      other.close();
    }
  });
});
