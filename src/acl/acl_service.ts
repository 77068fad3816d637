import type { AccessGate, CommandSpec, CommandTable } from "../commands/command_table.ts";
import type { AclAccess, AuthOutcome } from "../commands/node_services.ts";
import { ClusterError } from "../consensus/cluster_error.ts";
import type { MetaGroup } from "../meta/meta_group.ts";
import { type AclApplyResult, type AclMachine, encodeAclEntry } from "./acl_machine.ts";
import { type AclRule, applyRules, type PasswordHasher } from "./acl_rules.ts";
import { type AclUser, DEFAULT_USER, implicitDefaultUser, type PasswordHash } from "./acl_user.ts";
import type { AuthLimiter } from "./auth_limiter.ts";
import { identityOf, keysOf } from "./categories.ts";
import { commandAllowed, keysAllowed, unrestricted } from "./permissions.ts";

/** What the ACL service needs from the node. */
export interface AclServiceOptions {
  machine: AclMachine;
  /** The node's --requirepass, or null. */
  requirePass: string | null;
  hasher: PasswordHasher;
  limiter: AuthLimiter;
  /** Monotonic milliseconds. */
  nowMs(): number;
}

/**
 * The node's ACL: who may log in (AUTH, HELLO AUTH), what each user may run (the command
 * table's gate, on the client's node and again on the node that executes a forwarded command),
 * and the changes ACL SETUSER and DELUSER replicate through the meta group.
 */
export class AclService implements AccessGate, AclAccess {
  readonly #options: AclServiceOptions;
  /** --requirepass, hashed at start: the node keeps no plain copy to compare. */
  #requirePassHash: PasswordHash | null = null;
  /** Changes in flight on this node (the meta leader), one at a time: no lost update here. */
  #changes: Promise<unknown> = Promise.resolve();
  #meta: MetaGroup | null = null;
  #table: CommandTable | null = null;
  /** AUTH attempts that failed (wrong password, unknown or disabled user). */
  authFailures = 0;

  /** The implicit `default` (made once: the permission check runs for every command). */
  readonly #implicitDefault: AclUser;

  constructor(options: AclServiceOptions) {
    this.#options = options;
    this.#implicitDefault = implicitDefaultUser(options.requirePass !== null);
  }

  /** Proposes changes through `meta` from now on. */
  attachMeta(meta: MetaGroup): void {
    this.#meta = meta;
  }

  /** Checks every call of `table` from now on (its gate), and names its commands in rules. */
  useTable(table: CommandTable): void {
    this.#table = table;
    table.useGate(this);
  }

  /** True when `name` (`command` or `command|sub`) is a client command of the table. */
  commandKnown(name: string): boolean {
    return this.#table?.knows(name) ?? false;
  }

  /** The table's client commands (ACL CAT). */
  specs(): CommandSpec[] {
    return this.#table?.specs() ?? [];
  }

  /** The limiter of failed AUTH attempts. */
  get limiter(): AuthLimiter {
    return this.#options.limiter;
  }

  /** Hashes --requirepass (call once before clients connect). */
  async init(): Promise<void> {
    const password = this.#options.requirePass;
    if (password !== null) this.#requirePassHash = await this.#options.hasher.hash(password);
  }

  /** The user `name` as it applies now: the replicated record, or the implicit default. */
  user(name: string): AclUser | undefined {
    const replicated = this.#options.machine.user(name);
    if (replicated !== undefined || name !== DEFAULT_USER) return replicated;
    return this.#implicitDefault;
  }

  /** Every user, `default` included, sorted by name. */
  users(): AclUser[] {
    const users = this.#options.machine.users();
    if (!users.some((user) => user.name === DEFAULT_USER)) users.push(this.user(DEFAULT_USER)!);
    return users.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }

  startsAuthenticated(): boolean {
    const user = this.user(DEFAULT_USER)!;
    return user.enabled && user.nopass && this.#options.requirePass === null;
  }

  defaultHasNoPassword(): boolean {
    const user = this.user(DEFAULT_USER)!;
    return user.nopass && this.#options.requirePass === null;
  }

  async authenticate(name: string, password: string, clientAddress: string): Promise<AuthOutcome> {
    const { limiter, nowMs } = this.#options;
    const retryAfterMs = limiter.retryAfterMs(clientAddress, nowMs());
    if (retryAfterMs > 0) return { kind: "limited", retryAfterMs };
    if (await this.#passwordValid(name, password)) return { kind: "ok" };
    this.authFailures++;
    limiter.failed(clientAddress, nowMs());
    return { kind: "wrongpass" };
  }

  async #passwordValid(name: string, password: string): Promise<boolean> {
    const user = this.user(name);
    // An unknown user costs a hash too, so a timing cannot tell which names exist.
    const hashes = user?.passwords ?? [];
    const candidates = name === DEFAULT_USER && this.#requirePassHash !== null
      ? [...hashes, this.#requirePassHash]
      : hashes;
    let valid = false;
    for (const stored of candidates) {
      if (await this.#options.hasher.verify(password, stored)) valid = true;
    }
    if (candidates.length === 0) await this.#options.hasher.hash(password);
    if (user === undefined || !user.enabled) return false;
    return valid || user.nopass;
  }

  refusal(
    userName: string,
    spec: CommandSpec,
    parent: CommandSpec | null,
    args: Uint8Array[],
  ): string | null {
    const user = this.user(userName);
    if (user !== undefined && user.enabled && unrestricted(user)) return null;
    const command = identityOf(spec, parent);
    if (user === undefined || !user.enabled || !commandAllowed(user, command)) {
      return `NOPERM User ${userName} has no permissions to run the '${command.fullName}' command`;
    }
    if (!keysAllowed(user, keysOf(spec, args))) return "NOPERM No permissions to access a key";
    return null;
  }

  /** ACL SETUSER: applies `rules` to the user (or a new one) and replicates the result. */
  setUser(name: string, rules: readonly AclRule[]): Promise<void> {
    const change = this.#changes.then(async () => {
      const current = this.#options.machine.user(name) ??
        (name === DEFAULT_USER ? this.user(DEFAULT_USER) : undefined);
      const next = await applyRules(current, name, rules, this.#options.hasher);
      if (typeof next === "string") {
        throw new ClusterError(codeOf(next), next.slice(next.indexOf(" ") + 1));
      }
      const result = await this.#propose({
        op: "putUser",
        expectedRevision: current?.revision ?? 0,
        user: next,
      });
      if (result.kind === "conflict") {
        throw new ClusterError("TRYAGAIN", `user ${name} was changed meanwhile; retry`);
      }
      if (result.kind === "full") throw new ClusterError("LIMIT", "too many ACL users");
    });
    this.#changes = change.catch(() => {});
    return change;
  }

  /** ACL DELUSER: the number of users deleted. */
  async deleteUsers(names: string[]): Promise<number> {
    if (names.includes(DEFAULT_USER)) {
      throw new ClusterError("ERR", "The 'default' user cannot be removed");
    }
    const result = await this.#propose({ op: "deleteUsers", names });
    return result.kind === "deleted" ? result.count : 0;
  }

  async #propose(entry: Parameters<typeof encodeAclEntry>[0]): Promise<AclApplyResult> {
    const meta = this.#meta;
    if (meta === null) throw new ClusterError("ERR", "no meta group");
    const result = await meta.proposeMachine(encodeAclEntry(entry));
    return result.value as AclApplyResult;
  }
}

function codeOf(line: string): "ERR" | "LIMIT" {
  return line.startsWith("LIMIT ") ? "LIMIT" : "ERR";
}
