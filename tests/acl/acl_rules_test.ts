import assert from "node:assert/strict";
import { type AclRule, applyRules, parseRule } from "../../src/acl/acl_rules.ts";
import { type AclUser, describeUser } from "../../src/acl/acl_user.ts";
import { pbkdf2Hasher } from "../../src/acl/password_hash.ts";

const hasher = pbkdf2Hasher(1);
const known = (name: string) => ["get", "set", "lock.acquire", "cluster|add"].includes(name);

function parse(...texts: string[]): AclRule[] {
  return texts.map((text) => {
    const rule = parseRule(text, known);
    if (typeof rule === "string") throw new Error(rule);
    return rule;
  });
}

async function build(user: AclUser | undefined, ...texts: string[]): Promise<AclUser> {
  const result = await applyRules(user, "bob", parse(...texts), hasher);
  if (typeof result === "string") throw new Error(result);
  return result;
}

Deno.test("acl rules: a new user is off with no commands and no keys", async () => {
  const user = await build(undefined);
  assert.equal(describeUser(user), "user bob off resetpass resetkeys -@all");
});

Deno.test("acl rules: rules apply in order; +@all and -@all restart the command list", async () => {
  let user = await build(undefined, "on", "+@cache", "-set", "~app:*", "~jobs:*");
  assert.equal(describeUser(user), "user bob on resetpass ~app:* ~jobs:* -@all +@cache -set");
  user = await build(user, "+set");
  assert.deepEqual(user.commandRules, ["+@cache", "+set"], "a later rule for one name replaces");
  user = await build(user, "allcommands", "-@admin");
  assert.deepEqual(user.commandRules, ["+@all", "-@admin"]);
  user = await build(user, "nocommands", "allkeys");
  assert.deepEqual(user.commandRules, []);
  assert.deepEqual(user.keyPatterns, ["*"]);
  user = await build(user, "resetkeys", "off", "reset");
  assert.equal(describeUser(user), "user bob off resetpass resetkeys -@all");
});

Deno.test("acl rules: passwords are added hashed, removed by value, reset by nopass/resetpass", async () => {
  let user = await build(undefined, ">one", ">two");
  assert.equal(user.passwords.length, 2);
  assert.equal(describeUser(user).includes("one"), false, "ACL LIST never shows a password");
  user = await build(user, "<one");
  assert.equal(user.passwords.length, 1);
  assert.equal(await hasher.verify("two", user.passwords[0]!), true);
  const missing = await applyRules(user, "bob", parse("<nope"), hasher);
  assert.equal(missing, "ERR Error in ACL SETUSER modifier '<...>': no such password");
  user = await build(user, "nopass");
  assert.equal(user.nopass, true);
  assert.equal(user.passwords.length, 0);
  user = await build(user, ">three");
  assert.equal(user.nopass, false, "a password ends nopass");
  user = await build(user, "resetpass");
  assert.equal(user.passwords.length, 0);
  assert.equal(user.nopass, false);
});

Deno.test("acl rules: unknown commands, categories and rules are refused as Redis words it", () => {
  assert.equal(
    parseRule("+fly", known),
    "ERR Error in ACL SETUSER modifier '+fly': Unknown command or category name in ACL",
  );
  assert.equal(
    parseRule("+@bogus", known),
    "ERR Error in ACL SETUSER modifier '+@bogus': Unknown command or category name in ACL",
  );
  assert.equal(
    parseRule("whatever", known),
    "ERR Error in ACL SETUSER modifier 'whatever': Syntax error",
  );
  assert.deepEqual(parseRule("+CLUSTER|ADD", known), {
    kind: "command",
    allow: true,
    name: "cluster|add",
  });
  assert.deepEqual(parseRule("-@Admin", known), {
    kind: "category",
    allow: false,
    category: "admin",
  });
  assert.equal(
    parseRule(">" + "x".repeat(513), known),
    "LIMIT password length 513 exceeds maximum of 512 bytes",
  );
});
