import assert from "node:assert/strict";
import { encodeMetaCommand } from "../../src/meta/meta_command.ts";
import { META_MEMBERS_MAX, MetaState } from "../../src/meta/meta_state.ts";

Deno.test("meta snapshot: members and locks survive restore, and re-encode byte for byte", () => {
  const state = new MetaState();
  const member = {
    id: "n1",
    peerAddress: "127.0.0.1:7101",
    clientAddress: "127.0.0.1:7001",
    incarnationId: "inc-1",
  };
  state.apply(1, encodeMetaCommand({ op: "setMember", member }));
  const lockCount = 2_000;
  for (let i = 0; i < lockCount; i++) {
    const lock = {
      op: "acquire" as const,
      name: `lock-${i}`,
      owner: `owner-${i % 7}`,
      mode: i % 3 === 0 ? "shared" as const : "exclusive" as const,
      ttlMs: 1_000 + i,
      wait: false,
      waiterId: i,
    };
    state.apply(i + 2, encodeMetaCommand({ op: "lock", lock, waitMs: 0 }));
  }
  const image = state.snapshot();
  const restored = new MetaState();
  restored.restore(image);
  assert.deepEqual(restored.members(), [member]);
  assert.equal(restored.appliedIndex, lockCount + 1);
  assert.deepEqual(restored.locks.stats(), state.locks.stats());
  assert.deepEqual(restored.locks.info("lock-1999"), state.locks.info("lock-1999"));
  assert.deepEqual(restored.snapshot(), image);
});

Deno.test("meta apply: refusals are typed values (code and message), not text to split", () => {
  const state = new MetaState();
  let index = 0;
  for (let i = 0; i < META_MEMBERS_MAX; i++) {
    const member = { id: `n${i}`, peerAddress: "h:1", clientAddress: "h:2", incarnationId: "" };
    assert.deepEqual(state.apply(++index, encodeMetaCommand({ op: "setMember", member })), {
      kind: "ok",
    });
  }
  const extra = { id: "extra", peerAddress: "h:1", clientAddress: "h:2", incarnationId: "" };
  assert.deepEqual(state.apply(++index, encodeMetaCommand({ op: "setMember", member: extra })), {
    kind: "refused",
    refusal: { code: "LIMIT", message: `cluster already has ${META_MEMBERS_MAX} members` },
  });
  const garbage = state.apply(++index, new Uint8Array([250]));
  assert.equal(garbage.kind === "refused" && garbage.refusal.code, "ERR");
});
