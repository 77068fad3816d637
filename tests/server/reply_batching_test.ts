import assert from "node:assert/strict";
import type { ReplyFn } from "../../src/commands/command_table.ts";
import { CommandTable } from "../../src/commands/command_table.ts";
import { ClientSession } from "../../src/commands/client_session.ts";
import type { NodeServices } from "../../src/commands/node_services.ts";
import { newServerStats } from "../../src/commands/node_services.ts";
import { Logger } from "../../src/log/logger.ts";
import { ClientConnection } from "../../src/server/client_connection.ts";

/** A socket that yields `input` once, records every write, and ends when `end()` is called. */
class FakeConn {
  readonly writes: string[] = [];
  #input: Uint8Array | null;
  #end: (() => void) | null = null;
  constructor(input: string) {
    this.#input = new TextEncoder().encode(input);
  }
  read(target: Uint8Array): Promise<number | null> {
    const input = this.#input;
    if (input !== null) {
      this.#input = null;
      target.set(input);
      return Promise.resolve(input.length);
    }
    return new Promise((resolve) => this.#end = () => resolve(null));
  }
  write(bytes: Uint8Array): Promise<number> {
    this.writes.push(new TextDecoder().decode(bytes));
    return Promise.resolve(bytes.length);
  }
  close(): void {}
  end(): void {
    this.#end?.();
  }
}

Deno.test("replies that settle in one turn leave in one write, in request order", async () => {
  const settle: Array<() => void> = [];
  const table = new CommandTable([
    {
      name: "slow",
      arity: 2,
      flags: [],
      summary: "answers when the test says so",
      handler: (call) => {
        const text = new TextDecoder().decode(call.args[1]);
        return new Promise<ReplyFn>((resolve) =>
          settle.push(() => resolve((out) => out.simple(text)))
        );
      },
    },
    {
      name: "fast",
      arity: 2,
      flags: [],
      summary: "answers at once",
      handler: (call) => void call.out.simple(new TextDecoder().decode(call.args[1])),
    },
  ]);
  const services = { stats: newServerStats() } as unknown as NodeServices;
  const request = (name: string, arg: string) => `*2\r\n$4\r\n${name}\r\n$1\r\n${arg}\r\n`;
  const conn = new FakeConn(
    request("slow", "a") + request("fast", "b") + request("slow", "c") + request("slow", "d"),
  );
  const connection = new ClientConnection(
    conn as unknown as Deno.Conn,
    new ClientSession(1, "test", 0, true),
    table,
    services,
    new Logger({ level: "error", format: "text", sink: () => {} }),
    { resp: {}, outputBytesMax: 1 << 20 },
  );
  const serving = connection.serve();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(settle.length, 3, "every slow command dispatched");
  assert.deepEqual(conn.writes, [], "nothing to write before the first reply settles");
  settle[2]!(); // d settles first: it must wait behind a and c
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(conn.writes, []);
  settle[0]!();
  settle[1]!(); // a and c settle in the same turn (one applied Raft batch)
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(conn.writes, ["+a\r\n+b\r\n+c\r\n+d\r\n"]);
  conn.end();
  await serving;
});
