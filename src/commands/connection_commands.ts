import type { CommandCall, CommandSpec } from "./command_table.ts";
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

/** Checks credentials against --requirepass; the only user is `default`. */
function credentialsValid(call: CommandCall, user: string, password: string): boolean {
  const required = call.services.config.requirePass;
  return required !== null && user === "default" && timingSafeEqual(password, required);
}

function timingSafeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  }
  return diff === 0;
}

function auth(call: CommandCall): void {
  if (call.args.length > 3) return call.out.error("ERR syntax error");
  if (call.services.config.requirePass === null) {
    return call.out.error(
      "ERR AUTH <password> called without any password configured for the default user. " +
        "Are you sure your configuration is correct?",
    );
  }
  const user = call.args.length === 3 ? textDecoder.decode(call.args[1]) : "default";
  const password = textDecoder.decode(call.args[call.args.length - 1]);
  if (!credentialsValid(call, user, password)) return call.out.error(WRONGPASS);
  call.session.authenticated = true;
  call.out.simple("OK");
}

/** HELLO [protover [AUTH username password] [SETNAME name]] */
function hello(call: CommandCall): void {
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
  let authenticated = session.authenticated;
  for (let i = 2; i < args.length; i++) {
    const option = textDecoder.decode(args[i]).toUpperCase();
    if (option === "AUTH" && i + 2 < args.length) {
      const user = textDecoder.decode(args[i + 1]);
      const password = textDecoder.decode(args[i + 2]);
      if (!credentialsValid(call, user, password)) return call.out.error(WRONGPASS);
      authenticated = true;
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
  if (!authenticated) {
    return call.out.error(
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
    );
  }
  session.authenticated = authenticated;
  session.protocol = protocol;
  if (name !== undefined) session.name = name;
  writeHelloMap(call);
}

function writeHelloMap(call: CommandCall): void {
  const { out, session, services } = call;
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
  { name: "ping", arity: -1, flags: ["fast", "stale"], summary: "Ping the server", handler: ping },
  {
    name: "echo",
    arity: 2,
    flags: ["fast", "stale"],
    summary: "Return the given string",
    handler: echo,
  },
  {
    name: "quit",
    arity: -1,
    flags: ["fast", "noauth", "stale"],
    summary: "Close the connection",
    handler: quit,
  },
  {
    name: "auth",
    arity: -2,
    flags: ["fast", "noauth", "stale"],
    summary: "Authenticate to the server",
    handler: auth,
  },
  {
    name: "hello",
    arity: -1,
    flags: ["fast", "noauth", "stale"],
    summary: "Handshake: protocol version, authentication, client name",
    handler: hello,
  },
  {
    name: "client",
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
