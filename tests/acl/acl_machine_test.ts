import assert from "node:assert/strict";
import { BinaryWriter } from "../../protocol/binary/mod.ts";
import {
  ACL_OP_CODE,
  type AclApplyResult,
  AclMachine,
  encodeAclEntry,
} from "../../src/acl/acl_machine.ts";
import { applyRules, parseRule } from "../../src/acl/acl_rules.ts";
import { type AclUser, newUser } from "../../src/acl/acl_user.ts";
import { pbkdf2Hasher } from "../../src/acl/password_hash.ts";
import { LockMachine } from "../../src/lock_service/lock_machine.ts";
import { MetaState } from "../../src/meta/meta_state.ts";

const hasher = pbkdf2Hasher(1);

/** Applies an entry the way the meta state does: op code stripped, the result returned. */
function apply(machine: AclMachine, index: number, entry: Uint8Array): AclApplyResult {
  assert.equal(entry[0], ACL_OP_CODE);
  return machine.apply(index, entry.subarray(1)).value as AclApplyResult;
}

async function userWith(name: string, ...rules: string[]): Promise<AclUser> {
  const parsed = rules.map((rule) => {
    const result = parseRule(rule, () => true);
    if (typeof result === "string") throw new Error(result);
    return result;
  });
  const user = await applyRules(undefined, name, parsed, hasher);
  if (typeof user === "string") throw new Error(user);
  return user;
}

Deno.test("acl machine: put, revision check, delete; default cannot be deleted", async () => {
  const machine = new AclMachine();
  const bob = await userWith("bob", "on", ">pw", "~app:*", "+@cache");
  assert.deepEqual(
    apply(machine, 5, encodeAclEntry({ op: "putUser", expectedRevision: 0, user: bob })),
    {
      kind: "ok",
    },
  );
  assert.equal(machine.user("bob")!.revision, 5, "the revision is the entry's index");
  // A change made from a stale read is refused, not applied over the newer one.
  const stale = encodeAclEntry({
    op: "putUser",
    expectedRevision: 0,
    user: { ...bob, enabled: false },
  });
  assert.deepEqual(apply(machine, 6, stale), { kind: "conflict", revision: 5 });
  assert.equal(machine.user("bob")!.enabled, true);
  const fresh = encodeAclEntry({
    op: "putUser",
    expectedRevision: 5,
    user: { ...bob, enabled: false },
  });
  assert.deepEqual(apply(machine, 7, fresh), { kind: "ok" });
  assert.equal(machine.user("bob")!.enabled, false);
  const defaultUser = await userWith("default", "on", "nopass");
  apply(machine, 8, encodeAclEntry({ op: "putUser", expectedRevision: 0, user: defaultUser }));
  const deleted = apply(
    machine,
    9,
    encodeAclEntry({ op: "deleteUsers", names: ["bob", "default", "nobody", "bob"] }),
  );
  assert.deepEqual(deleted, { kind: "deleted", count: 1 });
  assert.equal(machine.user("bob"), undefined);
  assert.notEqual(machine.user("default"), undefined);
});

Deno.test("acl machine: a snapshot restores the same users on another node", async () => {
  const machine = new AclMachine();
  for (const [index, name] of ["carol", "alice", "bob"].entries()) {
    const user = await userWith(name, "on", `>${name}-pw`, `~${name}:*`, "+@lock", "-lock.info");
    apply(machine, index + 1, encodeAclEntry({ op: "putUser", expectedRevision: 0, user }));
  }
  const writer = new BinaryWriter(machine.snapshotBytesHint());
  const steps = [...{ [Symbol.iterator]: () => machine.snapshotSteps(writer, 2) }];
  assert.deepEqual(steps, [2, 1], "three users in steps of two");
  const other = new AclMachine();
  other.restore(writer.copy());
  assert.deepEqual(other.users(), machine.users());
  assert.deepEqual(other.users().map((user) => user.name), ["alice", "bob", "carol"]);
  other.restore(null);
  assert.deepEqual(other.users(), [], "an image without the section restores empty");
});

Deno.test("acl machine: an entry carries salted hashes, never the password", async () => {
  const password = "correct-horse-battery-staple";
  const user = await userWith("bob", "on", `>${password}`);
  const entry = encodeAclEntry({ op: "putUser", expectedRevision: 0, user });
  const text = new TextDecoder("latin1").decode(entry);
  assert.equal(text.includes(password), false);
  assert.equal(user.passwords.length, 1);
  assert.equal(user.passwords[0]!.salt.length, 16);
  const again = await userWith("bob", "on", `>${password}`);
  assert.notDeepEqual(again.passwords[0]!.hash, user.passwords[0]!.hash, "salted: hashes differ");
  assert.equal(await hasher.verify(password, user.passwords[0]!), true);
  assert.equal(await hasher.verify("wrong", user.passwords[0]!), false);
});

Deno.test("acl machine: describe names the user, not the rules", async () => {
  const machine = new AclMachine();
  const user = await userWith("bob", ">secret");
  const body = encodeAclEntry({ op: "putUser", expectedRevision: 0, user }).subarray(1);
  assert.deepEqual(machine.describe(body), { op: "acl", detail: "setuser bob" });
  assert.equal(newUser("x").enabled, false, "a new user is off");
});

Deno.test("acl machine inside the meta state: users survive a snapshot next to the lock table", async () => {
  const acl = new AclMachine();
  const state = new MetaState([new LockMachine(), acl]);
  const user = await userWith("bob", "on", ">pw", "~app:*", "+@lock");
  const result = state.apply(1, encodeAclEntry({ op: "putUser", expectedRevision: 0, user }));
  assert.deepEqual(result, {
    kind: "machine",
    result: { opCode: ACL_OP_CODE, value: { kind: "ok" } },
  });
  const restoredAcl = new AclMachine();
  const restored = new MetaState([new LockMachine(), restoredAcl]);
  restored.restore(state.snapshot());
  assert.deepEqual(restoredAcl.users(), acl.users());
  assert.equal(restoredAcl.user("bob")!.revision, 1);
});
