import type { RespWriter } from "../../protocol/resp/mod.ts";
import type { ClientSession } from "./client_session.ts";
import type { CommandCall, CommandSpec, ReplyFn } from "./command_table.ts";
import type { NodeServices } from "./node_services.ts";
import { printable } from "./command_table.ts";
import { DSYNC_VERSION, REDIS_COMPAT_VERSION } from "../version.ts";
import { CLIENT_NAME_BYTES_MAX, lengthProblem } from "./argument_limits.ts";

const textDecoder = new TextDecoder();

function ping(call: CommandCall): void {
  if (call.args.length === 1) call.out.simple("PONG");
  else call.out.bulk(call.args[1]!);
}

function echo(call: CommandCall): void {
  call.out.bulk(call.args[1]!);
}

function quit(call: CommandCall): void {
  call.session.closeRequested = true;
  call.out.simple("OK");
}

const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";

/**
 * Checks credentials through the ACL (a slow salted hash: asynchronous). The connection runs
 * nothing else meanwhile (`session.authenticating`), so a pipelined command after AUTH sees its
 * outcome. Resolves with the error line, or null when the session is now `user`.
 */
function checkCredentials(
  call: CommandCall,
  user: string,
  password: string,
): Promise<string | null> {
  const session = call.session;
  const attempt = call.services.acl.authenticate(user, password, session.address).then(
    (outcome) => {
      if (outcome.kind === "limited") {
        return `LIMIT too many failed authentication attempts from this address; retry in ${outcome.retryAfterMs} ms`;
      }
      if (outcome.kind === "wrongpass") return WRONGPASS;
      session.authenticated = true;
      session.user = user;
      return null;
    },
  ).finally(() => session.authenticating = null);
  session.authenticating = attempt;
  return attempt;
}

function auth(call: CommandCall): void | Promise<ReplyFn> {
  if (call.args.length > 3) return call.out.error("ERR syntax error");
  if (call.args.length === 2 && call.services.acl.defaultHasNoPassword()) {
    return call.out.error(
      "ERR AUTH <password> called without any password configured for the default user. " +
        "Are you sure your configuration is correct?",
    );
  }
  const user = call.args.length === 3 ? textDecoder.decode(call.args[1]) : "default";
  const password = textDecoder.decode(call.args[call.args.length - 1]);
  return checkCredentials(call, user, password).then((line): ReplyFn =>
    line === null ? (out) => out.simple("OK") : (out) => out.error(line)
  );
}

/** HELLO [protover [AUTH username password] [SETNAME name]] */
function hello(call: CommandCall): void | Promise<ReplyFn> {
  const { args, session } = call;
  let protocol = session.protocol;
  if (args.length >= 2) {
    const requested = Number(textDecoder.decode(args[1]));
    if (requested !== 2 && requested !== 3) {
      return call.out.error("ERR unsupported protocol version: use HELLO 2 or HELLO 3");
    }
    protocol = requested;
  }
  let name: string | undefined;
  let credentials: { user: string; password: string } | null = null;
  for (let i = 2; i < args.length; i++) {
    const option = textDecoder.decode(args[i]).toUpperCase();
    if (option === "AUTH" && i + 2 < args.length) {
      credentials = {
        user: textDecoder.decode(args[i + 1]),
        password: textDecoder.decode(args[i + 2]),
      };
      i += 2;
    } else if (option === "SETNAME" && i + 1 < args.length) {
      const problem = clientNameProblem(args[i + 1]!);
      if (problem !== null) return call.out.error(problem);
      name = textDecoder.decode(args[i + 1]);
      i += 1;
    } else {
      return call.out.error(`ERR syntax error in HELLO option '${printable(args[i]!)}'`);
    }
  }
  const services = call.services;
  const finish = (): ReplyFn | string => {
    if (!session.authenticated) {
      return "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time";
    }
    session.protocol = protocol;
    if (name !== undefined) session.name = name;
    return (out) => writeHelloMap(out, session, services);
  };
  if (credentials === null) {
    const reply = finish();
    return typeof reply === "string" ? call.out.error(reply) : reply(call.out, protocol);
  }
  return checkCredentials(call, credentials.user, credentials.password).then((line) => {
    const reply = line ?? finish();
    return typeof reply === "string" ? (out) => out.error(reply) : reply;
  });
}

function writeHelloMap(out: RespWriter, session: ClientSession, services: NodeServices): void {
  const version = session.protocol;
  out.mapHeader(8, version);
  out.bulk("server");
  out.bulk("dsync");
  out.bulk("version");
  out.bulk(REDIS_COMPAT_VERSION);
  out.bulk("dsync_version");
  out.bulk(DSYNC_VERSION);
  out.bulk("proto");
  out.integer(version);
  out.bulk("id");
  out.integer(session.id);
  out.bulk("mode");
  out.bulk("standalone");
  out.bulk("role");
  out.bulk(services.cluster.info().role === "leader" ? "master" : "replica");
  out.bulk("modules");
  out.arrayHeader(0);
}

const CLIENT_NAME_ERROR = "ERR Client names cannot contain spaces, newlines or special characters.";

/** Why `name` cannot name a connection (`LIMIT` oversize, `ERR` bad bytes); null when fine. */
function clientNameProblem(name: Uint8Array): string | null {
  const tooLong = lengthProblem(name, "client name", CLIENT_NAME_BYTES_MAX);
  if (tooLong !== null) return tooLong;
  for (const byte of name) {
    if (byte < 33 || byte > 126) return CLIENT_NAME_ERROR;
  }
  return null;
}

function clientId(call: CommandCall): void {
  call.out.integer(call.session.id);
}

function clientSetName(call: CommandCall): void {
  const problem = clientNameProblem(call.args[2]!);
  if (problem !== null) return call.out.error(problem);
  call.session.name = textDecoder.decode(call.args[2]);
  call.out.simple("OK");
}

function clientGetName(call: CommandCall): void {
  if (call.session.name === "") call.out.nullBulk(call.session.protocol);
  else call.out.bulk(call.session.name);
}

function clientList(call: CommandCall): void {
  const now = call.services.nowMs();
  const lines: string[] = [];
  for (const session of call.services.sessions()) {
    const ageSeconds = Math.floor((now - session.connectedAtMs) / 1000);
    lines.push(
      `id=${session.id} addr=${session.address} name=${session.name} age=${ageSeconds} ` +
        `resp=${session.protocol} cmd=${session.lastCommand || "NULL"}`,
    );
  }
  call.out.verbatim("txt", lines.join("\n") + "\n", call.session.protocol);
}

function clientInfo(call: CommandCall): void {
  const session = call.session;
  call.out.verbatim(
    "txt",
    `id=${session.id} addr=${session.address} name=${session.name} resp=${session.protocol}\n`,
    session.protocol,
  );
}

function clientHelp(call: CommandCall): void {
  const lines = [
    "CLIENT <subcommand> [<arg> ...]. Subcommands are:",
    "ID -- Return the ID of the current connection.",
    "GETNAME -- Return the name of the current connection.",
    "SETNAME <name> -- Assign the name <name> to the current connection.",
    "INFO -- Return information about the current client connection.",
    "LIST -- Return information about client connections.",
  ];
  call.out.arrayHeader(lines.length);
  for (const line of lines) call.out.simple(line);
}

/** PING, ECHO, QUIT, AUTH, HELLO and CLIENT. */
export const CONNECTION_COMMANDS: readonly CommandSpec[] = [
  {
    name: "ping",
    arity: -1,
    flags: ["fast", "stale"],
    categories: ["connection"],
    summary: "Ping the server",
    handler: ping,
  },
  {
    name: "echo",
    categories: ["connection"],
    arity: 2,
    flags: ["fast", "stale"],
    summary: "Return the given string",
    handler: echo,
  },
  {
    name: "quit",
    categories: ["connection"],
    arity: -1,
    flags: ["fast", "noauth", "stale"],
    summary: "Close the connection",
    handler: quit,
  },
  {
    name: "auth",
    categories: ["connection"],
    arity: -2,
    flags: ["fast", "noauth", "stale"],
    summary: "Authenticate to the server",
    handler: auth,
  },
  {
    name: "hello",
    categories: ["connection"],
    arity: -1,
    flags: ["fast", "noauth", "stale"],
    summary: "Handshake: protocol version, authentication, client name",
    handler: hello,
  },
  {
    name: "client",
    categories: ["connection"],
    arity: -2,
    flags: ["stale"],
    summary: "Connection commands",
    subcommands: [
      { name: "id", arity: 2, flags: ["fast"], summary: "Connection id", handler: clientId },
      {
        name: "setname",
        arity: 3,
        flags: ["fast"],
        summary: "Name the connection",
        handler: clientSetName,
      },
      {
        name: "getname",
        arity: 2,
        flags: ["fast"],
        summary: "The connection's name",
        handler: clientGetName,
      },
      { name: "list", arity: -2, flags: [], summary: "List connections", handler: clientList },
      { name: "info", arity: 2, flags: [], summary: "This connection", handler: clientInfo },
      { name: "help", arity: 2, flags: [], summary: "Help", handler: clientHelp },
    ],
  },
];
