import type { CommandSpec } from "../commands/command_table.ts";
import type { ClientSession } from "../commands/client_session.ts";
import { keysOf } from "../commands/key_args.ts";
import type { AuditLog } from "./audit_log.ts";
import { AUDIT_NAMES_MAX, auditLine } from "./audit_record.ts";

/** What is recorded: authentication, ACL and membership changes, or also every write. */
export type AuditScope = "changes" | "all";

/** Commands recorded in every scope (besides any NOPERM refusal). */
const CHANGES = new Set([
  "auth",
  "acl|setuser",
  "acl|deluser",
  "cluster|add",
  "cluster|remove",
  "cluster|transfer",
]);

/** A record begun before its command ran: finish it with the reply's outcome. */
export interface AuditTicket {
  finish(outcome: string): void;
}

const decoder = new TextDecoder();

/**
 * Decides which client commands go to the audit log and builds their records. The connection
 * asks `begin` before it runs a command and finishes the ticket with the outcome; a refusal by
 * the ACL is recorded at once (`refused`). Never a value, a payload or a password: only the
 * command name, key names and ACL or member names.
 */
export class Auditor {
  readonly #log: AuditLog;
  readonly #scope: AuditScope;
  readonly #nodeId: string;

  constructor(log: AuditLog, scope: AuditScope, nodeId: string) {
    this.#log = log;
    this.#scope = scope;
    this.#nodeId = nodeId;
  }

  /** The log (its counters, its full policy). */
  get log(): AuditLog {
    return this.#log;
  }

  /**
   * A ticket for `spec`'s call when it is to be recorded, else null. `blocked` is set when the
   * buffer was full under the block policy: the record was still taken (one per connection at
   * most), and the connection must wait for room before its next command.
   */
  begin(
    session: ClientSession,
    command: string,
    spec: CommandSpec,
    args: Uint8Array[],
  ): { ticket: AuditTicket | null; blocked: boolean } {
    if (!this.#wants(command, spec, args)) return { ticket: null, blocked: false };
    let blocked = false;
    if (!this.#log.reserve()) {
      if (this.#log.full === "drop") {
        this.#log.countDropped();
        return { ticket: null, blocked: false };
      }
      blocked = true;
      this.#log.reserve(true);
    }
    const base = this.#fields(session, command, spec, args);
    let finished = false;
    let removeHook = () => {};
    const ticket = {
      finish: (outcome: string) => {
        if (finished) return;
        finished = true;
        removeHook();
        this.#log.fill(auditLine({ ...base, time: new Date().toISOString(), outcome }));
      },
    };
    // A connection that closes before its reply still leaves the record (and frees the slot).
    removeHook = session.onClose(() => ticket.finish("CLOSED"));
    return { ticket, blocked };
  }

  /** Records a refusal by the ACL (never blocks: dropped and counted when full). */
  refused(session: ClientSession, command: string, spec: CommandSpec, args: Uint8Array[]): void {
    if (!this.#log.reserve()) return this.#log.countDropped();
    const fields = this.#fields(session, command, spec, args);
    this.#log.fill(auditLine({ ...fields, time: new Date().toISOString(), outcome: "NOPERM" }));
  }

  #wants(command: string, spec: CommandSpec, args: Uint8Array[]): boolean {
    if (CHANGES.has(command)) return true;
    if (command === "hello") {
      return args.some((arg) => decoder.decode(arg).toUpperCase() === "AUTH");
    }
    return this.#scope === "all" && spec.flags.includes("write");
  }

  #fields(session: ClientSession, command: string, spec: CommandSpec, args: Uint8Array[]) {
    let user = session.user ?? "-";
    let target: string[] = [];
    if (command === "auth") user = args.length === 3 ? decoder.decode(args[1]) : "default";
    if (command === "hello") {
      const at = args.findIndex((arg) => decoder.decode(arg).toUpperCase() === "AUTH");
      user = decoder.decode(args[at + 1]);
    }
    if (command.startsWith("acl|") || command.startsWith("cluster|")) {
      const names = command === "acl|deluser" ? args.slice(2) : args.slice(2, 3);
      target = names.slice(0, AUDIT_NAMES_MAX).map((arg) => decoder.decode(arg));
    }
    const keys = keysOf(spec, args).slice(0, AUDIT_NAMES_MAX).map((key) => decoder.decode(key));
    return {
      node: this.#nodeId,
      client: session.address,
      clientId: session.id,
      user,
      command,
      keys,
      target,
    };
  }
}
