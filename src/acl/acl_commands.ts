import type { CommandCall, CommandSpec, ReplyFn } from "../commands/command_table.ts";
import { errorReply } from "../commands/replies.ts";
import { lengthProblem } from "../commands/argument_limits.ts";
import { ACL_CATEGORIES, type AclRule, parseRule } from "./acl_rules.ts";
import type { AclService } from "./acl_service.ts";
import { type AclUser, describeUser } from "./acl_user.ts";
import { identityOf } from "./categories.ts";
import { ACL_USER_NAME_BYTES_MAX } from "./limits.ts";

const decoder = new TextDecoder();

/** What the ACL commands need besides the service: the command table, once it is built. */
export interface AclCommandContext {
  service: AclService;
  /** True when `name` (`command` or `command|sub`) is a client command. */
  commandKnown(name: string): boolean;
  /** Every client command and its subcommands (ACL CAT). */
  specs(): readonly CommandSpec[];
}

/** ACL SETUSER | DELUSER | LIST | USERS | WHOAMI | GETUSER | CAT | HELP (section Security). */
export function aclCommands(context: AclCommandContext): CommandSpec[] {
  const { service } = context;

  function setUser(call: CommandCall): void | Promise<ReplyFn> {
    const name = decoder.decode(call.args[2]);
    const problem = userNameProblem(call.args[2]!);
    if (problem !== null) return call.out.error(problem);
    const rules: AclRule[] = [];
    for (const arg of call.args.slice(3)) {
      const rule = parseRule(decoder.decode(arg), context.commandKnown);
      if (typeof rule === "string") return call.out.error(rule);
      rules.push(rule);
    }
    return service.setUser(name, rules).then((): ReplyFn => (out) => out.simple("OK"), errorReply);
  }

  function delUser(call: CommandCall): void | Promise<ReplyFn> {
    for (const arg of call.args.slice(2)) {
      const problem = userNameProblem(arg);
      if (problem !== null) return call.out.error(problem);
    }
    const names = call.args.slice(2).map((arg) => decoder.decode(arg));
    return service.deleteUsers(names).then(
      (count): ReplyFn => (out) => out.integer(count),
      errorReply,
    );
  }

  function list(call: CommandCall): void {
    const users = service.users();
    call.out.arrayHeader(users.length);
    for (const user of users) call.out.bulk(describeUser(user));
  }

  function users(call: CommandCall): void {
    const all = service.users();
    call.out.arrayHeader(all.length);
    for (const user of all) call.out.bulk(user.name);
  }

  function whoami(call: CommandCall): void {
    call.out.bulk(call.session.user ?? "default");
  }

  function getUser(call: CommandCall): void {
    const problem = userNameProblem(call.args[2]!);
    if (problem !== null) return call.out.error(problem);
    const user = service.user(decoder.decode(call.args[2]));
    if (user === undefined) return call.out.nullBulk(call.session.protocol);
    writeUser(call, user);
  }

  function cat(call: CommandCall): void {
    if (call.args.length === 2) {
      call.out.arrayHeader(ACL_CATEGORIES.length);
      for (const category of ACL_CATEGORIES) call.out.bulk(category);
      return;
    }
    const category = decoder.decode(call.args[2]).toLowerCase().replace(/^@/, "");
    if (!(ACL_CATEGORIES as readonly string[]).includes(category)) {
      return call.out.error(`ERR Unknown category '${category.slice(0, 64)}'`);
    }
    const names: string[] = [];
    for (const spec of context.specs()) {
      const subs = spec.subcommands ?? [];
      if (subs.length === 0 && identityOf(spec, null).categories.includes(category)) {
        names.push(spec.name);
      }
      for (const sub of subs) {
        const identity = identityOf(sub, spec);
        if (identity.categories.includes(category)) names.push(identity.fullName);
      }
    }
    call.out.arrayHeader(names.length);
    for (const name of names) call.out.bulk(name);
  }

  function help(call: CommandCall): void {
    const lines = [
      "ACL <subcommand> [<arg> ...]. Subcommands are:",
      "SETUSER <username> [<rule> ...] -- Create or change a user (replicated).",
      "DELUSER <username> [<username> ...] -- Delete users.",
      "LIST -- One rule line per user (never a password).",
      "USERS -- User names.",
      "WHOAMI -- The user of this connection.",
      "GETUSER <username> -- A user's flags, passwords (count), commands and keys.",
      "CAT [<category>] -- Categories, or the commands in one.",
    ];
    call.out.arrayHeader(lines.length);
    for (const line of lines) call.out.simple(line);
  }

  return [{
    name: "acl",
    arity: -2,
    flags: ["stale"],
    summary: "Users and their permissions",
    subcommands: [
      {
        name: "setuser",
        arity: -3,
        flags: ["admin", "write"],
        summary: "Create or change a user",
        route: "meta",
        handler: setUser,
      },
      {
        name: "deluser",
        arity: -3,
        flags: ["admin", "write"],
        summary: "Delete users",
        route: "meta",
        handler: delUser,
      },
      // Read on the meta leader: they show a change as soon as its SETUSER answered.
      {
        name: "list",
        arity: 2,
        flags: ["admin"],
        summary: "Rules of every user",
        route: "meta",
        handler: list,
      },
      {
        name: "users",
        arity: 2,
        flags: ["admin"],
        summary: "User names",
        route: "meta",
        handler: users,
      },
      {
        name: "getuser",
        arity: 3,
        flags: ["admin"],
        summary: "One user",
        route: "meta",
        handler: getUser,
      },
      {
        name: "whoami",
        arity: 2,
        flags: ["fast"],
        categories: ["connection"],
        summary: "This connection's user",
        handler: whoami,
      },
      {
        name: "cat",
        arity: -2,
        flags: [],
        categories: ["connection"],
        summary: "Categories",
        handler: cat,
      },
      {
        name: "help",
        arity: 2,
        flags: [],
        categories: ["connection"],
        summary: "Help",
        handler: help,
      },
    ],
  }];
}

/** Why `name` cannot name a user; null when fine. */
function userNameProblem(name: Uint8Array): string | null {
  const tooLong = lengthProblem(name, "user name", ACL_USER_NAME_BYTES_MAX);
  if (tooLong !== null) return tooLong;
  if (name.length === 0) return "ERR Usernames can't be empty";
  for (const byte of name) {
    if (byte <= 32 || byte >= 127) return "ERR Usernames can't contain spaces or null characters";
  }
  return null;
}

/** ACL GETUSER's map: flags, passwords (their scheme only), commands, keys. */
function writeUser(call: CommandCall, user: AclUser): void {
  const { out } = call;
  const version = call.session.protocol;
  const commands = describeUser(user).split(" ").filter((part) => /^[+-]/.test(part)).join(" ");
  out.mapHeader(4, version);
  out.bulk("flags");
  const flags = [user.enabled ? "on" : "off", ...(user.nopass ? ["nopass"] : [])];
  out.arrayHeader(flags.length);
  for (const flag of flags) out.bulk(flag);
  out.bulk("passwords");
  out.arrayHeader(user.passwords.length);
  for (const password of user.passwords) out.bulk(`pbkdf2-sha256:${password.iterations}`);
  out.bulk("commands");
  out.bulk(commands);
  out.bulk("keys");
  out.bulk(user.keyPatterns.map((pattern) => `~${pattern}`).join(" "));
}
