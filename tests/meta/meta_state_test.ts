import assert from "node:assert/strict";
import { encodeMetaCommand } from "../../src/meta/meta_command.ts";
import { META_MEMBERS_MAX, MetaState } from "../../src/meta/meta_state.ts";
import {
  META_SECTION,
  META_SNAPSHOT_VERSION,
  readMetaSnapshot,
  writeMetaSnapshot,
} from "../../src/meta/meta_snapshot.ts";

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

const fixture = (name: string) =>
  Deno.readTextFileSync(new URL(`./fixtures/${name}`, import.meta.url)).replace(/\s/g, "");
const fromHex = (hex: string) =>
  new Uint8Array(hex.match(/../g)!.map((pair) => parseInt(pair, 16)));

Deno.test("meta snapshot: an image of the format before sections still restores", () => {
  // Written by the code before the versioned format: 2 members, 3 locks, applied index 5.
  const legacy = fromHex(fixture("meta_snapshot_legacy.hex"));
  assert.equal(legacy[0], 0, "the legacy image starts with the u53 index's zero high byte");
  const state = new MetaState();
  state.restore(legacy);
  assert.equal(state.appliedIndex, 5);
  assert.deepEqual(state.members().map((member) => member.id), ["n1", "n2"]);
  assert.equal(state.member("n1")?.incarnationId, "inc-1");
  assert.equal(state.locks.stats().holders, 3);
  assert.equal(state.locks.info("lock-1").mode, "shared");
  assert.equal(state.slotCount, 0, "no placement section: not recorded");
  // Written again, it is a version-1 image that restores to the same state.
  const image = state.snapshot();
  assert.equal(image[0], META_SNAPSHOT_VERSION);
  const again = new MetaState();
  again.restore(image);
  assert.deepEqual(again.members(), state.members());
  assert.deepEqual(again.locks.info("lock-2"), state.locks.info("lock-2"));
  assert.deepEqual(again.snapshot(), image);
});

Deno.test("meta snapshot: version byte, then tagged length-prefixed sections in tag order", () => {
  const state = new MetaState();
  state.apply(1, encodeMetaCommand({ op: "setPlacement", slotCount: 64 }));
  const parts = readMetaSnapshot(state.snapshot());
  assert.equal(parts.appliedIndex, 1);
  assert.deepEqual([...parts.sections.keys()], [
    META_SECTION.members,
    META_SECTION.placement,
    META_SECTION.locks,
  ]);
  assert.deepEqual(parts.sections.get(META_SECTION.members), new Uint8Array([0, 0, 0, 0]));
  assert.deepEqual(parts.sections.get(META_SECTION.placement), new Uint8Array([0, 0, 0, 64]));
});

Deno.test("meta snapshot: a missing section restores empty; an unknown one is refused", () => {
  const membersOnly = writeMetaSnapshot(7, [[META_SECTION.members, (w) => w.u32(0)]], 64);
  const state = new MetaState();
  state.restore(membersOnly);
  assert.equal(state.appliedIndex, 7);
  assert.equal(state.slotCount, 0);
  assert.equal(state.locks.stats().locks, 0);
  const future = writeMetaSnapshot(7, [[200, (w) => w.u32(1)]], 64);
  assert.throws(() => new MetaState().restore(future), /section 200 is unknown to this version/);
  const version9 = new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.throws(() => new MetaState().restore(version9), /unknown version 9/);
});

Deno.test("meta placement: the first recorded slot count stays; a different one is refused", () => {
  const state = new MetaState();
  assert.equal(state.slotCount, 0);
  const record = (index: number, slotCount: number) =>
    state.apply(index, encodeMetaCommand({ op: "setPlacement", slotCount }));
  assert.deepEqual(record(1, 128), { kind: "ok" });
  assert.deepEqual(record(2, 128), { kind: "ok" }, "the same count again is harmless");
  assert.deepEqual(record(3, 64), {
    kind: "refused",
    refusal: { code: "ERR", message: "the cluster's slot count is already 128" },
  });
  assert.equal(state.slotCount, 128);
  const restored = new MetaState();
  restored.restore(state.snapshot());
  assert.equal(restored.slotCount, 128);
});
