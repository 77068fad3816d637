import { BinaryReader, BinaryWriter } from "../../protocol/binary/mod.ts";
import { META_SECTION } from "./meta_snapshot.ts";
import type { MachineResult, MetaMachine } from "./meta_machine.ts";

/** Meta group op code of cluster-setting entries. */
export const SETTINGS_OP_CODE = 8;
/** Settings the machine keeps at most. */
export const SETTINGS_MAX = 64;
/** Bytes of one setting's name at most. */
export const SETTING_NAME_BYTES_MAX = 64;

/**
 * Names of the settings the node records. A setting changes what replicated state means (e.g.
 * how many partitions a queue's messages are spread over), so every node must use one value.
 */
export const CLUSTER_SETTING = {
  /** `--queue-partitions`: partitions of every queue. */
  queuePartitions: "queue.partitions",
} as const;

/** One recorded setting. */
export interface ClusterSetting {
  name: string;
  value: number;
}

/** What applying a setting produced: recorded now, already recorded alike, or a conflict. */
export type SettingApplyResult =
  | { kind: "recorded" }
  | { kind: "same" }
  | { kind: "conflict"; recorded: number }
  | { kind: "full" };

/** Encodes a setting as a meta group entry (op code first). */
export function encodeSettingEntry(setting: ClusterSetting): Uint8Array {
  return new BinaryWriter(16 + setting.name.length * 3)
    .u8(SETTINGS_OP_CODE).u16String(setting.name).u53(setting.value).copy();
}

/** Decodes an entry's body (the bytes after the op code); DecodeError when malformed. */
export function decodeSettingEntry(body: Uint8Array): ClusterSetting {
  const reader = new BinaryReader(body, "cluster setting");
  const setting = readSetting(reader);
  reader.expectEnd();
  return setting;
}

/**
 * Settings fixed when the cluster is created, as a meta group state machine (pure): the first
 * value committed for a name stays; a later entry with another value is a conflict and changes
 * nothing. Like `--slots`, a node configured otherwise uses the recorded value.
 */
export class ClusterSettingsMachine implements MetaMachine {
  readonly name = "settings";
  readonly opCode = SETTINGS_OP_CODE;
  readonly sectionTag = META_SECTION.settings;
  #values = new Map<string, number>();

  /** The recorded value of `name`, if any. */
  get(name: string): number | undefined {
    return this.#values.get(name);
  }

  /** Every recorded setting, by name. */
  settings(): ClusterSetting[] {
    return [...this.#values].map(([name, value]) => ({ name, value }))
      .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }

  apply(_index: number, body: Uint8Array): MachineResult {
    return { opCode: SETTINGS_OP_CODE, value: this.#apply(decodeSettingEntry(body)) };
  }

  #apply(setting: ClusterSetting): SettingApplyResult {
    const recorded = this.#values.get(setting.name);
    if (recorded === setting.value) return { kind: "same" };
    if (recorded !== undefined) return { kind: "conflict", recorded };
    if (this.#values.size >= SETTINGS_MAX) return { kind: "full" };
    this.#values.set(setting.name, setting.value);
    return { kind: "recorded" };
  }

  snapshotBytesHint(): number {
    return 8 + this.#values.size * (SETTING_NAME_BYTES_MAX + 10);
  }

  *snapshotSteps(writer: BinaryWriter): Generator<number, void, void> {
    const settings = this.settings();
    writer.u32(settings.length);
    for (const setting of settings) writer.u16String(setting.name).u53(setting.value);
    yield settings.length;
  }

  restore(body: Uint8Array | null): void {
    this.#values = new Map();
    if (body === null) return;
    const reader = new BinaryReader(body, "settings snapshot");
    const count = reader.count(SETTINGS_MAX, 3);
    for (let i = 0; i < count; i++) {
      const setting = readSetting(reader);
      this.#values.set(setting.name, setting.value);
    }
    reader.expectEnd();
  }

  describe(body: Uint8Array): { op: string; detail: string } {
    const setting = decodeSettingEntry(body);
    return { op: "setting", detail: `${setting.name} ${setting.value}` };
  }
}

function readSetting(reader: BinaryReader): ClusterSetting {
  const name = reader.u16String();
  if (name.length === 0 || new TextEncoder().encode(name).length > SETTING_NAME_BYTES_MAX) {
    throw reader.error(`setting name of ${name.length} characters`);
  }
  return { name, value: reader.u53() };
}
