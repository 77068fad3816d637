import { computePlacement, encodePlacement, placementsEqual } from "../../src/placement/mod.ts";
import assert from "node:assert/strict";
import { encodeMetaCommand } from "../../src/meta/meta_command.ts";
import { META_MEMBERS_MAX, MetaState } from "../../src/meta/meta_state.ts";
import { encodeLockEntry, LockMachine } from "../../src/lock_service/lock_machine.ts";

/** A meta state with the lock subsystem's machine registered, as the node builds it. */
function metaWithLocks(): { state: MetaState; locks: LockMachine } {
  const locks = new LockMachine();
  return { state: new MetaState([locks]), locks };
}
import {
  META_SECTION,
  META_SNAPSHOT_VERSION,
  readMetaSnapshot,
  writeMetaSnapshot,
} from "../../src/meta/meta_snapshot.ts";

Deno.test("meta snapshot: members and locks survive restore, and re-encode byte for byte", () => {
  const { state, locks } = metaWithLocks();
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
    const result = state.apply(i + 2, encodeLockEntry({ lock, waitMs: 0 }));
    assert.equal(result.kind, "machine");
  }
  const image = state.snapshot();
  const restored = metaWithLocks();
  restored.state.restore(image);
  assert.deepEqual(restored.state.members(), [member]);
  assert.equal(restored.state.appliedIndex, lockCount + 1);
  assert.deepEqual(restored.locks.table.stats(), locks.table.stats());
  assert.deepEqual(restored.locks.table.info("lock-1999"), locks.table.info("lock-1999"));
  assert.deepEqual(restored.state.snapshot(), image);
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
  const { state, locks } = metaWithLocks();
  state.restore(legacy);
  assert.equal(state.appliedIndex, 5);
  assert.deepEqual(state.members().map((member) => member.id), ["n1", "n2"]);
  assert.equal(state.member("n1")?.incarnationId, "inc-1");
  assert.equal(locks.table.stats().holders, 3);
  assert.equal(locks.table.info("lock-1").mode, "shared");
  assert.equal(state.slotCount, 0, "no placement section: not recorded");
  // Written again, it is a version-1 image that restores to the same state.
  const image = state.snapshot();
  assert.equal(image[0], META_SNAPSHOT_VERSION);
  const again = metaWithLocks();
  again.state.restore(image);
  assert.deepEqual(again.state.members(), state.members());
  assert.deepEqual(again.locks.table.info("lock-2"), locks.table.info("lock-2"));
  assert.deepEqual(again.state.snapshot(), image);
});

Deno.test("meta snapshot: version byte, then tagged length-prefixed sections in tag order", () => {
  const { state } = metaWithLocks();
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
  const membersOnly = writeMetaSnapshot(7, [[META_SECTION.members, (w) => void w.u32(0)]], 64);
  const { state, locks } = metaWithLocks();
  locks.apply(1, encodeLockEntry({ lock: lockOf("held"), waitMs: 0 }).subarray(1));
  state.restore(membersOnly);
  assert.equal(state.appliedIndex, 7);
  assert.equal(state.slotCount, 0);
  assert.equal(locks.table.stats().locks, 0, "no locks section: the table is emptied");
  const future = writeMetaSnapshot(7, [[200, (w) => void w.u32(1)]], 64);
  const withLocks = writeMetaSnapshot(
    7,
    [[META_SECTION.locks, (w) => locks.snapshotSteps(w, 64)]],
    64,
  );
  assert.throws(() => new MetaState().restore(withLocks), /no machine for section 3/);
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

function lockOf(name: string) {
  return {
    op: "acquire" as const,
    name,
    owner: "me",
    mode: "exclusive" as const,
    ttlMs: 1_000,
    wait: false,
    waiterId: 1,
  };
}

Deno.test("meta machines: entries with a machine's op code go to it; codes are not shared", () => {
  const { state, locks } = metaWithLocks();
  const result = state.apply(1, encodeLockEntry({ lock: lockOf("a"), waitMs: 0 }));
  assert.equal(result.kind === "machine" && result.result.opCode, 4);
  assert.equal(locks.table.stats().holders, 1);
  assert.throws(() => new MetaState([new LockMachine(), new LockMachine()]), /op code 4 is taken/);
  const stealsNoop = Object.assign(new LockMachine(), { opCode: 3 });
  assert.throws(() => new MetaState([stealsNoop]), /op code 3 is taken/);
  // Without the lock machine a lock entry is not a meta command: refused, nothing applied.
  const bare = new MetaState();
  const refused = bare.apply(1, encodeLockEntry({ lock: lockOf("a"), waitMs: 0 }));
  assert.equal(refused.kind === "refused" && refused.refusal.code, "ERR");
});

Deno.test("lock entries keep the bytes they had as a meta command (logs written before replay)", () => {
  // Encoded by the code before the lock machine: { op: "lock", waitMs: 500, lock: this acquire }.
  const before = "04000001f400000017020100016100026d6502000003e8010000000000000007";
  const lock = { ...lockOf("a"), ttlMs: 1000, wait: true, waiterId: 7 };
  const now = [...encodeLockEntry({ lock, waitMs: 500 })];
  assert.equal(now.map((byte) => byte.toString(16).padStart(2, "0")).join(""), before);
});

Deno.test("meta placement: placeSlots records the ring's placement; snapshots keep it and its epoch", () => {
  const state = new MetaState();
  const config = { slotCount: 16, vnodes: 8, replicas: 3 };
  const first = computePlacement(["n1", "n2", "n3"], config);
  const place = (index: number, placement: Uint8Array) =>
    state.apply(index, encodeMetaCommand({ op: "placeSlots", placement }));
  assert.deepEqual(place(1, encodePlacement(first)), { kind: "ok" });
  assert.equal(state.slotCount, 16);
  assert.equal(state.placementEpoch, 1);
  const second = computePlacement(["n1", "n2", "n3", "n4"], config, first);
  assert.deepEqual(place(2, encodePlacement(second)), { kind: "ok" });
  assert.equal(state.placementEpoch, 2);
  const other = computePlacement(["n1"], { ...config, slotCount: 8 });
  assert.deepEqual(place(3, encodePlacement(other)), {
    kind: "refused",
    refusal: { code: "ERR", message: "the cluster's slot count is already 16" },
  });
  assert.equal(place(4, new Uint8Array([9])).kind, "refused", "undecodable bytes are refused");
  const restored = new MetaState();
  restored.restore(state.snapshot());
  assert.equal(restored.placementEpoch, 2);
  assert.ok(placementsEqual(restored.placement!, second));
  // Slot groups bootstrap from the first placement's replicas, on every node, also later.
  assert.deepEqual(restored.firstPlacement!.members, ["n1", "n2", "n3"]);
  assert.deepEqual(
    restored.firstPlacement!.slots.map((slot) => slot.replicas),
    first.slots.map((slot) => slot.replicas),
  );
  assert.deepEqual(restored.snapshot(), state.snapshot());
});

Deno.test("meta snapshot: encoded and restored in steps, the lock table swapped in at the end", () => {
  const { state } = metaWithLocks();
  const lockCount = 3_000;
  for (let i = 0; i < lockCount; i++) {
    state.apply(i + 1, encodeLockEntry({ lock: lockOf(`lock-${i}`), waitMs: 0 }));
  }
  const itemsPerStep = 500;
  const encode = state.snapshotSteps(itemsPerStep);
  const encodeCounts: number[] = [];
  let encoded = encode.next();
  for (; encoded.done !== true; encoded = encode.next()) encodeCounts.push(encoded.value);
  // One lock and one holder each: 6,000 items.
  assert.deepEqual(encodeCounts, Array(12).fill(itemsPerStep));
  assert.deepEqual(encoded.value, state.snapshot());

  const other = metaWithLocks();
  const restore = other.state.restoreSteps(encoded.value, itemsPerStep);
  const restoreCounts: number[] = [];
  for (let step = restore.next(); step.done !== true; step = restore.next()) {
    restoreCounts.push(step.value);
    // Until the last step the old (empty) table is in place: the new one is swapped in whole.
    assert.equal(other.locks.table.stats().locks, 0);
  }
  assert.deepEqual(restoreCounts, Array(12).fill(itemsPerStep));
  assert.equal(other.locks.table.stats().locks, lockCount);
  assert.deepEqual(other.state.snapshot(), encoded.value);
});

Deno.test("meta first incarnations: the first one recorded for an id stays through removal, re-adding and snapshots", () => {
  const state = new MetaState();
  const member = (id: string, incarnationId: string) => ({
    op: "setMember" as const,
    member: { id, peerAddress: "127.0.0.1:1", clientAddress: "127.0.0.1:2", incarnationId },
  });
  state.apply(1, encodeMetaCommand(member("n1", "")));
  assert.equal(state.firstIncarnation("n1"), undefined, "an empty incarnation is no record");
  state.apply(2, encodeMetaCommand(member("n1", "inc-a")));
  const config = { slotCount: 4, vnodes: 4, replicas: 1 };
  const placement = encodePlacement(computePlacement(["n1"], config));
  state.apply(3, encodeMetaCommand({ op: "placeSlots", placement }));
  // The disk is wiped: removed, and added back with a new incarnation.
  state.apply(4, encodeMetaCommand({ op: "forgetMember", id: "n1" }));
  state.apply(5, encodeMetaCommand(member("n1", "inc-b")));
  assert.equal(state.member("n1")?.incarnationId, "inc-b");
  assert.equal(state.firstIncarnation("n1"), "inc-a");
  const restored = new MetaState();
  restored.restore(state.snapshot());
  assert.equal(restored.firstIncarnation("n1"), "inc-a");
  assert.deepEqual(restored.snapshot(), state.snapshot());
  // An image without them (no placement recorded yet) takes the recorded incarnations.
  const early = new MetaState();
  early.apply(1, encodeMetaCommand(member("n2", "inc-c")));
  const again = new MetaState();
  again.restore(early.snapshot());
  assert.equal(again.firstIncarnation("n2"), "inc-c");
});
