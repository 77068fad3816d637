import assert from "node:assert/strict";
import { globMatch } from "../../src/acl/glob.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const matches = (pattern: string, text: string) => globMatch(bytes(pattern), bytes(text));

Deno.test("glob: literal, star and question mark as Redis key patterns", () => {
  assert.equal(matches("app:*", "app:1"), true);
  assert.equal(matches("app:*", "app:"), true);
  assert.equal(matches("app:*", "ap"), false);
  assert.equal(matches("app:*", "other:1"), false);
  assert.equal(matches("*:lock", "a:b:lock"), true);
  assert.equal(matches("*:lock", "a:b:locks"), false);
  assert.equal(matches("a?c", "abc"), true);
  assert.equal(matches("a?c", "ac"), false);
  assert.equal(matches("*", ""), true);
  assert.equal(matches("", ""), true);
  assert.equal(matches("", "a"), false);
  assert.equal(matches("a*b*c", "aXbYc"), true);
  assert.equal(matches("a*b*c", "aXbY"), false);
});

Deno.test("glob: classes, ranges, negation and escapes", () => {
  assert.equal(matches("[ab]x", "bx"), true);
  assert.equal(matches("[ab]x", "cx"), false);
  assert.equal(matches("v[0-9]", "v7"), true);
  assert.equal(matches("v[0-9]", "vx"), false);
  assert.equal(matches("v[^0-9]", "vx"), true);
  assert.equal(matches("v[^0-9]", "v7"), false);
  assert.equal(matches("a\\*", "a*"), true);
  assert.equal(matches("a\\*", "ab"), false);
  assert.equal(matches("[", "["), true, "an unterminated class is a literal [");
});

Deno.test("glob: many stars against a long text stay bounded (no exponential backtracking)", () => {
  const pattern = "*a".repeat(20) + "b";
  const text = "a".repeat(5_000);
  const started = performance.now();
  assert.equal(matches(pattern, text), false);
  assert.ok(performance.now() - started < 2_000, "matched in well under two seconds");
});
