import assert from "node:assert/strict";
import { globMatches } from "../../src/commands/config_command.ts";
import { memberIdLengthProblem, memberProblem } from "../../src/meta/member_arguments.ts";
import { lengthProblem } from "../../src/commands/argument_limits.ts";

Deno.test("CONFIG GET globs: * and ?, case-insensitive, other characters literal", () => {
  const cases: Array<[string, string, boolean]> = [
    ["*", "maxclients", true],
    ["MAX*", "maxclients", true],
    ["*bytes", "client-output-max-bytes", true],
    ["*-max-*", "client-output-max-bytes", true],
    ["?ave", "save", true],
    ["?ave", "saves", false],
    ["a*b*c", "axxbyyc", true],
    ["a*b*c", "axxbyy", false],
    ["", "", true],
    ["", "a", false],
    ["a*", "", false],
    ["**", "", true],
    ["[a]", "[a]", true],
    ["(.*)", "maxclients", false],
  ];
  for (const [pattern, text, expected] of cases) {
    assert.equal(globMatches(pattern, text), expected, `${pattern} ~ ${text}`);
  }
});

Deno.test("a pattern of many stars is matched in linear time (it stalled a RegExp)", () => {
  // Compiled to /^.*.*...!$/, this backtracked through every split of the name: it never ended.
  assert.equal(globMatches("*".repeat(256) + "!", "client-output-max-bytes"), false);
  assert.equal(globMatches("*a".repeat(128), "a".repeat(23) + "b"), false);
});

Deno.test("member arguments: LIMIT for length, ERR for form and port range", () => {
  assert.equal(memberProblem("n4", "127.0.0.1:7104", "127.0.0.1:7004"), null);
  assert.equal(memberIdLengthProblem("n".repeat(64)), null);
  assert.equal(
    memberProblem("n".repeat(65), "h:1", "h:2"),
    "LIMIT member id length 65 exceeds maximum of 64 bytes",
  );
  assert.match(memberProblem("bad id", "h:1", "h:2")!, /^ERR invalid member id 'bad id'/);
  assert.equal(
    memberProblem("n4", `${"h".repeat(70_000)}:1`, "h:2"),
    "LIMIT peer address length 70002 exceeds maximum of 261 bytes",
  );
  assert.equal(
    memberProblem("n4", "h:1", "h:65536"),
    "ERR Invalid client address 'h:65536': port must be 1-65535",
  );
  assert.equal(memberProblem("n4", "h", "h:2"), "ERR Invalid peer address 'h': expected HOST:PORT");
});

Deno.test("lengthProblem names the argument, its length and the maximum", () => {
  assert.equal(lengthProblem(new Uint8Array(256), "client name", 256), null);
  assert.equal(
    lengthProblem(new Uint8Array(257), "client name", 256),
    "LIMIT client name length 257 exceeds maximum of 256 bytes",
  );
});
