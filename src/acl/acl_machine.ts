import { BinaryReader, BinaryWriter } from "../../protocol/binary/mod.ts";
import { META_SECTION } from "../meta/meta_snapshot.ts";
import type { MachineResult, MetaMachine } from "../meta/meta_machine.ts";
import { type AclUser, DEFAULT_USER, readUser, writeUser } from "./acl_user.ts";
import { ACL_USER_NAME_BYTES_MAX, ACL_USERS_MAX } from "./limits.ts";

/** Meta command op code of ACL entries. */
export const ACL_OP_CODE = 7;

/**
 * An ACL entry. `putUser` replaces one user if its revision is still `expectedRevision` (0: the
 * user must not exist yet), so two SETUSERs racing on one user cannot lose either's rules
 * silently. Passwords arrive already hashed: the log never holds a password.
 */
export type AclEntry =
  | { op: "putUser"; expectedRevision: number; user: AclUser }
  | { op: "deleteUsers"; names: string[] };

/** What applying an ACL entry produced. */
export type AclApplyResult =
  | { kind: "ok" }
  | { kind: "conflict"; revision: number }
  | { kind: "full" }
  | { kind: "deleted"; count: number };

const OPS = { putUser: 1, deleteUsers: 2 } as const;

/** Encodes an ACL entry as a meta group entry (op code first). */
export function encodeAclEntry(entry: AclEntry): Uint8Array {
  const writer = new BinaryWriter(256);
  writer.u8(ACL_OP_CODE).u8(OPS[entry.op]);
  if (entry.op === "putUser") {
    writer.u53(entry.expectedRevision);
    writeUser(writer, entry.user);
  } else {
    writer.u32(entry.names.length);
    for (const name of entry.names) writer.u16String(name);
  }
  return writer.copy();
}

/** Decodes an entry's body (the bytes after the op code); DecodeError when malformed. */
export function decodeAclEntry(body: Uint8Array): AclEntry {
  const reader = new BinaryReader(body, "acl entry");
  const op = reader.u8();
  let entry: AclEntry;
  if (op === OPS.putUser) {
    entry = { op: "putUser", expectedRevision: reader.u53(), user: readUser(reader) };
  } else if (op === OPS.deleteUsers) {
    entry = { op: "deleteUsers", names: reader.list((r) => r.u16String(), ACL_USERS_MAX, 2) };
  } else {
    throw reader.error(`unknown acl op ${op}`);
  }
  reader.expectEnd();
  return entry;
}

/**
 * The ACL users as a meta group state machine (pure). Users live in the meta group so that one
 * created on any node can log in on every node. The `default` user is absent until an ACL SETUSER
 * changes it; nodes then use their implicit one (acl_user.ts).
 */
export class AclMachine implements MetaMachine {
  readonly name = "acl";
  readonly opCode = ACL_OP_CODE;
  readonly sectionTag = META_SECTION.acl;
  #users = new Map<string, AclUser>();
  /** Called after each applied entry (audit, caches). */
  onApplied: (entry: AclEntry, result: AclApplyResult) => void = () => {};

  /** A user by name, if replicated. */
  user(name: string): AclUser | undefined {
    return this.#users.get(name);
  }

  /** Every replicated user, sorted by name. */
  users(): AclUser[] {
    return [...this.#users.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }

  apply(index: number, body: Uint8Array): MachineResult {
    const entry = decodeAclEntry(body);
    const result = this.#apply(index, entry);
    this.onApplied(entry, result);
    return { opCode: ACL_OP_CODE, value: result };
  }

  #apply(index: number, entry: AclEntry): AclApplyResult {
    if (entry.op === "deleteUsers") {
      let count = 0;
      for (const name of new Set(entry.names)) {
        if (name !== DEFAULT_USER && this.#users.delete(name)) count++;
      }
      return { kind: "deleted", count };
    }
    const current = this.#users.get(entry.user.name);
    const revision = current?.revision ?? 0;
    if (revision !== entry.expectedRevision) return { kind: "conflict", revision };
    if (current === undefined && this.#users.size >= ACL_USERS_MAX) return { kind: "full" };
    if (new TextEncoder().encode(entry.user.name).length > ACL_USER_NAME_BYTES_MAX) {
      return { kind: "full" };
    }
    this.#users.set(entry.user.name, { ...entry.user, revision: index });
    return { kind: "ok" };
  }

  snapshotBytesHint(): number {
    return 64 + this.#users.size * 512;
  }

  *snapshotSteps(writer: BinaryWriter, itemsPerStep: number): Generator<number, void, void> {
    const users = this.users();
    writer.u32(users.length);
    let inStep = 0;
    for (const user of users) {
      writeUser(writer, user);
      if (++inStep === itemsPerStep) {
        yield inStep;
        inStep = 0;
      }
    }
    if (inStep > 0) yield inStep;
  }

  restore(body: Uint8Array | null): void {
    this.#users = new Map();
    if (body === null) return;
    const reader = new BinaryReader(body, "acl snapshot");
    const count = reader.count(ACL_USERS_MAX, 16);
    for (let i = 0; i < count; i++) {
      const user = readUser(reader);
      this.#users.set(user.name, user);
    }
    reader.expectEnd();
  }

  describe(body: Uint8Array): { op: string; detail: string } {
    const entry = decodeAclEntry(body);
    return entry.op === "putUser"
      ? { op: "acl", detail: `setuser ${entry.user.name}` }
      : { op: "acl", detail: `deluser ${entry.names.join(" ")}` };
  }
}
