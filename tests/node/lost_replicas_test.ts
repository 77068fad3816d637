import assert from "node:assert/strict";
import { IncarnationWatch, LostReplicas } from "../../src/node/lost_replicas.ts";

Deno.test("incarnation watch: reports a member only when its recorded incarnation changes", () => {
  const watch = new IncarnationWatch();
  assert.deepEqual(
    watch.changed([{ id: "n1", incarnationId: "a" }, { id: "n2", incarnationId: "b" }]),
    [],
  );
  assert.deepEqual(
    watch.changed([{ id: "n1", incarnationId: "a" }, { id: "n2", incarnationId: "b" }]),
    [],
  );
  // n2 removed (record forgotten), added back unregistered, then registered with a new disk.
  assert.deepEqual(watch.changed([{ id: "n1", incarnationId: "a" }]), []);
  assert.deepEqual(watch.changed([{ id: "n2", incarnationId: "" }]), []);
  assert.deepEqual(
    watch.changed([{ id: "n1", incarnationId: "a" }, { id: "n2", incarnationId: "c" }]),
    ["n2"],
  );
  assert.deepEqual(watch.changed([{ id: "n2", incarnationId: "c" }]), []);
  // A member first seen now (a node that joined, or this node restarted) is no change.
  assert.deepEqual(watch.changed([{ id: "n4", incarnationId: "d" }]), []);
});

Deno.test("lost replicas: a marked voter is removed until it is no voter any more", () => {
  const lost = new LostReplicas();
  assert.equal(lost.toRemove(3, ["n1", "n2", "n3"]), null);
  lost.mark(3, "n2");
  assert.ok(lost.hasVoter(3, ["n1", "n2", "n3"]));
  assert.ok(!lost.hasVoter(4, ["n1", "n2", "n3"]));
  assert.equal(lost.toRemove(3, ["n1", "n2", "n3"]), "n2");
  assert.equal(lost.toRemove(3, ["n1", "n2", "n3"]), "n2", "again until the removal applied");
  // Removed (or back as a learner): the mark is gone, the placement re-adds it as usual.
  assert.equal(lost.toRemove(3, ["n1", "n3"]), null);
  assert.ok(!lost.has(3));
  assert.ok(!lost.hasVoter(3, ["n1", "n2", "n3"]));
  lost.mark(5, "n2");
  lost.forget(5);
  assert.ok(!lost.has(5));
});
