import assert from "node:assert/strict";
import { MembershipWatch } from "../../src/cache_service/membership_watch.ts";

const BOUND_MS = 2500;

Deno.test("membership watch: nothing known until it has watched for the whole bound", () => {
  const watch = new MembershipWatch(BOUND_MS);
  watch.observe([], 0); // membership not known yet: the watch has not started
  watch.observe(["a", "b"], 100);
  assert.equal(watch.known(2599), null);
  assert.ok(!watch.covers(["a", "b"], 2599), "a node that cannot tell never vouches");
  assert.deepEqual(watch.known(2600), ["a", "b"]);
  assert.ok(watch.isMember("a"));
  assert.ok(!watch.isMember("z"));
});

Deno.test("membership watch: a removed node stays known for the bound, then is forgotten", () => {
  const watch = new MembershipWatch(BOUND_MS);
  watch.observe(["a", "b", "c"], 0);
  watch.observe(["a", "b"], 3000);
  assert.ok(!watch.isMember("c"), "no longer served");
  assert.deepEqual(watch.known(3000), ["a", "b", "c"], "it may still hold a live line");
  assert.ok(!watch.covers(["a", "b"], 3000));
  assert.ok(watch.covers(["a", "b", "c", "d"], 3000));
  watch.observe(["a", "b"], 5500);
  assert.deepEqual(watch.known(5500), ["a", "b", "c"]);
  watch.observe(["a", "b"], 5501);
  assert.deepEqual(watch.known(5501), ["a", "b"]);
  // A node removed and added back is a member again, not a leaver.
  watch.observe(["a"], 6000);
  watch.observe(["a", "b"], 6001);
  watch.observe(["a", "b"], 9000);
  assert.deepEqual(watch.known(9000), ["a", "b"]);
});
