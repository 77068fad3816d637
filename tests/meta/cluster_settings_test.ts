import assert from "node:assert/strict";
import fc from "fast-check";
import { BinaryWriter, DecodeError } from "../../protocol/binary/mod.ts";
import {
  ClusterSettingsMachine,
  decodeSettingEntry,
  encodeSettingEntry,
  SETTING_NAME_BYTES_MAX,
  SETTINGS_MAX,
  SETTINGS_OP_CODE,
} from "../../src/meta/cluster_settings.ts";

/** Applies `name = value` (the entry's body, after its op code) and returns the result. */
function put(machine: ClusterSettingsMachine, name: string, value: number): unknown {
  const entry = encodeSettingEntry({ name, value });
  assert.equal(entry[0], SETTINGS_OP_CODE);
  return machine.apply(1, entry.subarray(1)).value;
}

function snapshotOf(machine: ClusterSettingsMachine): Uint8Array {
  const writer = new BinaryWriter(64);
  const steps = machine.snapshotSteps(writer);
  while (steps.next().done !== true);
  return writer.copy();
}

Deno.test("cluster settings: the first value recorded stays; another value is a conflict", () => {
  const machine = new ClusterSettingsMachine();
  assert.equal(machine.get("queue.partitions"), undefined);
  assert.deepEqual(put(machine, "queue.partitions", 8), { kind: "recorded" });
  assert.deepEqual(put(machine, "queue.partitions", 8), { kind: "same" });
  assert.deepEqual(put(machine, "queue.partitions", 4), { kind: "conflict", recorded: 8 });
  assert.equal(machine.get("queue.partitions"), 8);
  assert.deepEqual(machine.describe(encodeSettingEntry({ name: "a", value: 1 }).subarray(1)), {
    op: "setting",
    detail: "a 1",
  });
});

Deno.test("cluster settings: bounded in count; a full machine records nothing new", () => {
  const machine = new ClusterSettingsMachine();
  for (let i = 0; i < SETTINGS_MAX; i++) put(machine, `s${i}`, i);
  assert.deepEqual(put(machine, "one.more", 1), { kind: "full" });
  assert.equal(machine.get("one.more"), undefined);
  assert.deepEqual(put(machine, "s3", 3), { kind: "same" });
});

Deno.test("cluster settings: snapshot and restore give the same settings", () => {
  fc.assert(fc.property(
    fc.dictionary(
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.nat({ max: Number.MAX_SAFE_INTEGER }),
      { maxKeys: SETTINGS_MAX },
    ),
    (values) => {
      const machine = new ClusterSettingsMachine();
      for (const [name, value] of Object.entries(values)) put(machine, name, value);
      const restored = new ClusterSettingsMachine();
      restored.restore(snapshotOf(machine));
      assert.deepEqual(restored.settings(), machine.settings());
      restored.restore(null);
      assert.deepEqual(restored.settings(), []);
    },
  ));
});

Deno.test("cluster settings: malformed entries and snapshots are refused with DecodeError", () => {
  const good = encodeSettingEntry({ name: "queue.partitions", value: 8 }).subarray(1);
  assert.throws(() => decodeSettingEntry(good.subarray(0, good.length - 1)), DecodeError);
  assert.throws(() => decodeSettingEntry(new Uint8Array([...good, 0])), /trailing|end/i);
  const emptyName = new BinaryWriter(16).u16String("").u53(1).copy();
  assert.throws(() => decodeSettingEntry(emptyName), /setting name of 0 characters/);
  const longName = new BinaryWriter(128).u16String("x".repeat(SETTING_NAME_BYTES_MAX + 1)).u53(1)
    .copy();
  assert.throws(() => decodeSettingEntry(longName), DecodeError);
  const tooMany = new BinaryWriter(16).u32(SETTINGS_MAX + 1).copy();
  assert.throws(() => new ClusterSettingsMachine().restore(tooMany), DecodeError);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    try {
      decodeSettingEntry(bytes);
    } catch (error) {
      assert.ok(error instanceof DecodeError, String(error));
    }
    try {
      new ClusterSettingsMachine().restore(bytes);
    } catch (error) {
      assert.ok(error instanceof DecodeError, String(error));
    }
  }));
});
