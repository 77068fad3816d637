import assert from "node:assert/strict";
import { SlotMachine } from "../../src/node/slot_machine.ts";
import { SLOT_IMAGE_SECTIONED } from "../../src/subsystem/slot_image.ts";
import type { ReplicatedStateMachine } from "../../src/consensus/raft_host.ts";

/** A part that records what reaches it; its image is its applied entries, joined. */
class Recorder implements ReplicatedStateMachine<string> {
  entries: string[] = [];
  constructor(readonly name: string) {}
  apply(index: number, data: Uint8Array): string {
    this.entries.push(`${index}:${[...data].join(",")}`);
    return this.name;
  }
  skip(): void {}
  snapshot(): Uint8Array {
    return new TextEncoder().encode(this.entries.join(";"));
  }
  restore(image: Uint8Array): void {
    const text = new TextDecoder().decode(image);
    this.entries = text === "" ? [] : text.split(";");
  }
}

Deno.test("slot machine: tagged entries reach their part without the tag, the rest the untagged part", () => {
  const kv = new Recorder("kv");
  const queues = new Recorder("queues");
  const machine = new SlotMachine([{ tag: 0x51, machine: queues }, { tag: 0, machine: kv }]);
  assert.equal(machine.apply(1, new Uint8Array([1, 7])), "kv");
  assert.equal(machine.apply(2, SlotMachine.entry(0x51, new Uint8Array([1, 9]))), "queues");
  assert.deepEqual(kv.entries, ["1:1,7"]);
  assert.deepEqual(queues.entries, ["2:1,9"]);
});

Deno.test("slot machine: a sectioned image round-trips; a bare image is the untagged part's", () => {
  const make = () => {
    const kv = new Recorder("kv");
    const queues = new Recorder("queues");
    return {
      kv,
      queues,
      machine: new SlotMachine([{ tag: 0, machine: kv }, { tag: 0x51, machine: queues }]),
    };
  };
  const a = make();
  a.machine.apply(1, new Uint8Array([1, 2]));
  a.machine.apply(2, SlotMachine.entry(0x51, new Uint8Array([1, 3])));
  const image = a.machine.snapshot();
  assert.equal(image[0], SLOT_IMAGE_SECTIONED);
  const b = make();
  b.machine.restore(image);
  assert.deepEqual(b.kv.entries, a.kv.entries);
  assert.deepEqual(b.queues.entries, a.queues.entries);
  // An image written before parts existed: the key-value store's own, which begins with 1.
  const c = make();
  c.queues.entries = ["stale"];
  c.machine.restore(new Uint8Array([1, ...new TextEncoder().encode("x")]));
  assert.equal(c.kv.entries.length, 1);
  assert.deepEqual(c.queues.entries, []);
  // Empty: every part empty.
  c.machine.restore(new Uint8Array());
  assert.deepEqual([c.kv.entries, c.queues.entries], [[], []]);
});

Deno.test("slot machine: an image with a section this node does not know is refused", () => {
  const kv = new Recorder("kv");
  const machine = new SlotMachine([{ tag: 0, machine: kv }]);
  const image = new Uint8Array([SLOT_IMAGE_SECTIONED, 1, 0x60, 0, 0, 0, 0]);
  assert.throws(() => machine.restore(image), /section 96 is unknown/);
});
