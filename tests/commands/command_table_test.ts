import assert from "node:assert/strict";
import { CommandTable } from "../../src/commands/command_table.ts";

const enc = (...args: string[]) => args.map((arg) => new TextEncoder().encode(arg));
const noop = () => {};
const table = new CommandTable([
  { name: "ping", arity: -1, flags: ["fast"], summary: "", handler: noop },
  { name: "auth", arity: -2, flags: ["noauth"], summary: "", handler: noop },
  { name: "echo", arity: 2, flags: [], summary: "", handler: noop },
  {
    name: "client",
    arity: -2,
    flags: [],
    summary: "",
    subcommands: [{ name: "setname", arity: 3, flags: [], summary: "", handler: noop }],
  },
]);

Deno.test("lookup is case-insensitive and checks exact and minimum arity", () => {
  assert.equal(table.resolve(enc("PiNg"), true).error, undefined);
  assert.equal(table.resolve(enc("ECHO", "a"), true).error, undefined);
  assert.equal(
    table.resolve(enc("echo"), true).error,
    "ERR wrong number of arguments for 'echo' command",
  );
  assert.equal(
    table.resolve(enc("echo", "a", "b"), true).error,
    "ERR wrong number of arguments for 'echo' command",
  );
});

Deno.test("unknown commands and subcommands get redis' error text", () => {
  assert.equal(
    table.resolve(enc("FLY", "to", "moon"), true).error,
    "ERR unknown command 'FLY', with args beginning with: 'to' 'moon' ",
  );
  assert.equal(
    table.resolve(enc("client", "dance"), true).error,
    "ERR unknown subcommand 'dance'. Try CLIENT HELP.",
  );
  assert.equal(
    table.resolve(enc("client", "setname"), true).error,
    "ERR wrong number of arguments for 'client|setname' command",
  );
  assert.equal(table.resolve(enc("client", "SETNAME", "x"), true).spec?.name, "setname");
});

Deno.test("authentication is checked before arity, except for noauth commands", () => {
  assert.equal(table.resolve(enc("echo"), false).error, "NOAUTH Authentication required.");
  assert.equal(table.resolve(enc("auth", "pw"), false).error, undefined);
});

Deno.test("error text never carries CR or LF from the client's bytes", () => {
  const error = table.resolve(enc("a\r\nb"), true).error!;
  assert.ok(!/[\r\n]/.test(error));
});

Deno.test("a table refuses duplicate names and specs without a handler", () => {
  assert.throws(() =>
    new CommandTable([
      { name: "x", arity: 1, flags: [], summary: "", handler: noop },
      { name: "x", arity: 1, flags: [], summary: "", handler: noop },
    ]), /registered twice/);
  assert.throws(
    () => new CommandTable([{ name: "y", arity: 1, flags: [], summary: "" }]),
    /exactly one/,
  );
});

Deno.test("the remembered last name never answers for a different name of the same length", () => {
  // The same buffer rewritten in place, as a connection's read buffer is between commands.
  const name = new TextEncoder().encode("ECHO");
  const args = [name, new TextEncoder().encode("a")];
  assert.equal(table.resolve(args, true).spec?.name, "echo");
  name.set(new TextEncoder().encode("ECHX"));
  assert.match(table.resolve(args, true).error ?? "", /^ERR unknown command 'ECHX'/);
  name.set(new TextEncoder().encode("echo"));
  assert.equal(table.resolve(args, true).spec?.name, "echo");
  assert.equal(table.resolve(enc("ping"), true).spec?.name, "ping");
  assert.equal(table.resolve(enc("PING"), true).spec?.name, "ping");
  const long = "x".repeat(40); // beyond what is remembered
  assert.match(table.resolve(enc(long), true).error ?? "", /^ERR unknown command/);
  assert.equal(table.resolve(enc("Ping"), true).spec?.name, "ping");
});
