import assert from "node:assert/strict";
import { bootstrapStorage, type Entry, type Ready, SeededRandom } from "../../src/raft/mod.ts";
import { FakeStorage, NodeDisk } from "./fake_storage.ts";

function entry(index: number): Entry {
  return { index, term: 1, kind: "normal", data: new Uint8Array([index]) };
}

function ready(entries: Entry[]): Ready {
  return {
    messagesNow: [],
    hardState: null,
    entries,
    snapshot: null,
    messages: [],
    committedEntries: [],
    readStates: [],
  };
}

/** Last durable index of `storage` (bootstrap holds none). */
function lastDurable(storage: FakeStorage): number {
  return storage.view().entries.at(-1)?.index ?? 0;
}

Deno.test("node disk: one sync makes every group's writes durable", () => {
  const disk = new NodeDisk();
  const a = new FakeStorage(bootstrapStorage(["n1"]), disk);
  const b = new FakeStorage(bootstrapStorage(["n1"]), disk);
  a.write(ready([entry(1), entry(2)]));
  b.write(ready([entry(1)]));
  assert.deepEqual([lastDurable(a), lastDurable(b)], [0, 0]);
  a.sync();
  assert.deepEqual([lastDurable(a), lastDurable(b)], [2, 1]);
});

Deno.test("node disk: a crash keeps one prefix of the groups' interleaved writes", () => {
  // Write order: a1, b1, a2, b2, a3, b3 (one record each). Whatever survives is a prefix of
  // that order across both groups: group b never keeps a record written after one a lost.
  const outcomes = new Set<string>();
  for (let seed = 1; seed <= 300; seed++) {
    const disk = new NodeDisk();
    const a = new FakeStorage(bootstrapStorage(["n1"]), disk);
    const b = new FakeStorage(bootstrapStorage(["n1"]), disk);
    for (let i = 1; i <= 3; i++) {
      a.write(ready([entry(i)]));
      b.write(ready([entry(i)]));
    }
    disk.crash(new SeededRandom(seed));
    const kept = [lastDurable(a), lastDurable(b)];
    assert.ok(kept[0]! === kept[1]! || kept[0]! === kept[1]! + 1, `seed ${seed}: kept ${kept}`);
    outcomes.add(kept.join("/"));
    a.crash(new SeededRandom(seed)); // Nothing left to lose.
    assert.deepEqual([lastDurable(a), lastDurable(b)], kept);
  }
  // Every cut point of the shared tail occurs, from nothing to everything.
  assert.equal(outcomes.size, 7);
});
