import type { RespVersion, RespWriter } from "../../protocol/resp/mod.ts";
import type { ClientSession } from "./client_session.ts";
import type { NodeServices } from "./node_services.ts";
import type { BlockingWait, RouteSpec, RouteTarget } from "./route.ts";

/** What a command is allowed to do; checked before dispatch and shown by COMMAND. */
export type CommandFlag =
  | "readonly"
  | "write"
  | "admin"
  | "blocking"
  | "fast"
  | "noauth" // may run before AUTH
  | "stale" // may run without a quorum
  | "internal"; // sent by another node only (forwarded); unknown to clients

/** Writes an asynchronous command's reply once its outcome is known. */
export type ReplyFn = (out: RespWriter, version: RespVersion) => void;

/** One call of a command. `args` are views valid only during the synchronous part of the handler. */
export interface CommandCall {
  /** args[0] is the command name as sent; for a subcommand args[1] is its name. */
  args: Uint8Array[];
  session: ClientSession;
  /** Synchronous replies are written here. */
  out: RespWriter;
  services: NodeServices;
  /**
   * `performance.now()` read by the client connection after this command's bytes arrived and
   * before it ran, shared by the commands it runs in one synchronous slice (absent elsewhere).
   */
  nowMs?: number;
  /** Set by the router for a routed command on the node that executes it. */
  target?: RouteTarget;
  /**
   * Called by the router when a blocking command's wait was committed and queued: its reply now
   * waits on other clients (a release, a timeout), no longer on a proposal of this client.
   */
  onQueued?: () => void;
}

/** Replies synchronously into `call.out`, or returns a promise of a reply. */
export type CommandHandler = (call: CommandCall) => void | Promise<ReplyFn>;

/** One entry of the command table, as redis has it. */
export interface CommandSpec {
  /** Lower-case name. */
  name: string;
  /**
   * Exact argument count including the name when positive; at least -arity when negative.
   * A subcommand's arity counts the whole call (`CLIENT SETNAME x` is 3).
   */
  arity: number;
  flags: readonly CommandFlag[];
  /** One-line summary (COMMAND DOCS, docs). */
  summary: string;
  /** Key positions for COMMAND INFO (1-based; 0 when the command takes no key). */
  firstKey?: number;
  lastKey?: number;
  keyStep?: number;
  /** Where the command runs (`local` when absent); the node's router resolves it once. */
  route?: RouteSpec;
  /** A blocking command's wait, parked on the client's node (routed commands only). */
  wait?: BlockingWait;
  /**
   * ACL categories besides those its flags give (`write`, `readonly` → `read`, `admin`), without
   * `@`; a subcommand inherits its parent's. Every command is in `all`.
   */
  categories?: readonly string[];
  /**
   * An internal command that carries a client command in args[1..] (a slot's share of it): the
   * ACL checks that command and its keys instead.
   */
  aclChecksInner?: true;
  /** Either a handler, or subcommands dispatched on args[1]. */
  handler?: CommandHandler;
  subcommands?: readonly CommandSpec[];
}

/**
 * Outcome of looking a call up: the spec to run, or the exact error to send (with, for a refusal
 * by the ACL, what was refused: the audit log records it).
 */
export type Resolution = { spec: CommandSpec; error?: undefined } | {
  spec?: undefined;
  error: string;
  denied?: { command: string; spec: CommandSpec };
};

/** The ACL as the table checks it before dispatch (src/acl/ implements it). */
export interface AccessGate {
  /**
   * The refusal line (`NOPERM ...`) for `user` running `spec` (a subcommand of `parent`, else
   * null) with `args`, or null when allowed.
   */
  refusal(
    user: string,
    spec: CommandSpec,
    parent: CommandSpec | null,
    args: Uint8Array[],
  ): string | null;
}

/**
 * The single table every client command goes through: lookup, authentication, arity, the ACL,
 * then the handler.
 */
export class CommandTable {
  readonly #byName = new Map<string, CommandSpec>();
  /** The bytes of the last command name looked up (NAME_MEMO_BYTES_MAX at most), and its name. */
  readonly #memoBytes = new Uint8Array(NAME_MEMO_BYTES_MAX);
  #memoLength = -1;
  #memoName = "";
  readonly #subByName = new Map<string, Map<string, CommandSpec>>();
  #gate: AccessGate | null = null;

  constructor(specs: readonly CommandSpec[]) {
    for (const spec of specs) this.#add(spec);
  }

  /** All top-level specs clients can call, in registration order. */
  specs(): CommandSpec[] {
    return [...this.#byName.values()].filter((spec) => !spec.flags.includes("internal"));
  }

  /** Checks every call of an ACL user with `gate` from now on. */
  useGate(gate: AccessGate): void {
    this.#gate = gate;
  }

  /** True when `name` (`command` or `command|subcommand`, lower case) is a client command. */
  knows(name: string): boolean {
    const [top, sub] = name.split("|", 2) as [string, string | undefined];
    const spec = this.#byName.get(top);
    if (spec === undefined || spec.flags.includes("internal")) return false;
    return sub === undefined || (this.#subByName.get(top)?.has(sub) ?? false);
  }

  /**
   * Finds the spec for a call and checks authentication, arity and the ACL of `user` (null: the
   * node's own call, never checked). `internal` commands exist only for calls forwarded by another
   * node (`fromPeer`).
   */
  resolve(
    args: Uint8Array[],
    authenticated: boolean,
    fromPeer = false,
    user: string | null = null,
  ): Resolution {
    const name = this.#nameOf(args[0]!);
    const spec = this.#byName.get(name);
    if (spec === undefined || (!fromPeer && spec.flags.includes("internal"))) {
      return { error: unknownCommandError(args) };
    }
    if (!authenticated && !spec.flags.includes("noauth")) {
      return { error: "NOAUTH Authentication required." };
    }
    if (!arityMatches(spec.arity, args.length)) return { error: arityError(spec.name) };
    const subs = this.#subByName.get(name);
    if (subs === undefined) return this.#checked({ spec }, null, args, user);
    const subName = lowerAscii(args[1]!);
    const sub = subs.get(subName);
    if (sub === undefined) {
      return {
        error: `ERR unknown subcommand '${printable(args[1]!)}'. Try ${name.toUpperCase()} HELP.`,
      };
    }
    if (!arityMatches(sub.arity, args.length)) {
      return { error: arityError(`${name}|${sub.name}`) };
    }
    return this.#checked({ spec: sub }, spec, args, user);
  }

  /**
   * `lowerAscii(bytes)`, remembered for the last name: a pipeline repeats one command, and
   * building the name's string per call was a visible part of a cache hit.
   */
  #nameOf(bytes: Uint8Array): string {
    const length = bytes.length;
    const memo = this.#memoBytes;
    if (length === this.#memoLength) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (bytes[i] !== memo[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.#memoName;
    }
    const name = lowerAscii(bytes);
    if (length <= NAME_MEMO_BYTES_MAX) {
      memo.set(bytes);
      this.#memoLength = length;
      this.#memoName = name;
    }
    return name;
  }

  /** The resolution, or the ACL's refusal of it. */
  #checked(
    resolution: { spec: CommandSpec },
    parent: CommandSpec | null,
    args: Uint8Array[],
    user: string | null,
  ): Resolution {
    const gate = this.#gate;
    if (user === null || gate === null || resolution.spec.flags.includes("noauth")) {
      return resolution;
    }
    let refusal: string | null;
    if (resolution.spec.aclChecksInner === true) {
      const inner = args.length > 1 ? this.#byName.get(lowerAscii(args[1]!)) : undefined;
      refusal = inner === undefined || inner.subcommands !== undefined
        ? "NOPERM this internal command carries no client command"
        : gate.refusal(user, inner, null, args.slice(1));
    } else {
      refusal = gate.refusal(user, resolution.spec, parent, args);
    }
    if (refusal === null) return resolution;
    const command = parent === null
      ? resolution.spec.name
      : `${parent.name}|${resolution.spec.name}`;
    return { error: refusal, denied: { command, spec: resolution.spec } };
  }

  #add(spec: CommandSpec): void {
    if (this.#byName.has(spec.name)) throw new Error(`Command '${spec.name}' registered twice`);
    if ((spec.handler === undefined) === (spec.subcommands === undefined)) {
      throw new Error(`Command '${spec.name}' needs exactly one of handler or subcommands`);
    }
    if (spec.route === "slot" && (spec.firstKey ?? 0) < 1) {
      throw new Error(`Command '${spec.name}' routes by slot but names no key position`);
    }
    this.#byName.set(spec.name, spec);
    if (spec.subcommands !== undefined) {
      this.#subByName.set(spec.name, new Map(spec.subcommands.map((sub) => [sub.name, sub])));
    }
  }
}

/** Longest command name (in bytes) the table remembers between calls. */
const NAME_MEMO_BYTES_MAX = 32;

function arityMatches(arity: number, count: number): boolean {
  return arity >= 0 ? count === arity : count >= -arity;
}

function arityError(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}

function unknownCommandError(args: Uint8Array[]): string {
  const rest = args.slice(1, 8).map((arg) => `'${printable(arg)}' `).join("");
  return `ERR unknown command '${printable(args[0]!)}', with args beginning with: ${rest}`;
}

const ARG_PREVIEW_BYTES_MAX = 128;
const decoder = new TextDecoder();

/** Text of an argument safe to echo inside an error line (no CR/LF, bounded). */
export function printable(arg: Uint8Array): string {
  const text = decoder.decode(arg.subarray(0, ARG_PREVIEW_BYTES_MAX));
  return text.replace(/[\r\n]/g, " ");
}

/** Lower-cases an ASCII name without allocating more than the result string. */
export function lowerAscii(bytes: Uint8Array): string {
  let text = "";
  const count = Math.min(bytes.length, 64);
  for (let i = 0; i < count; i++) {
    const code = bytes[i]!;
    text += String.fromCharCode(code >= 65 && code <= 90 ? code + 32 : code);
  }
  return text;
}
