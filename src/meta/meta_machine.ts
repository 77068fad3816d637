import type { BinaryWriter } from "../../protocol/binary/mod.ts";

/**
 * A subsystem's state machine inside the meta group (pure). It owns one meta command op code
 * (the entry's first byte) and one snapshot section tag; the meta state hands it its entries and
 * its section and knows nothing else about it. Registered before the group opens, so the
 * snapshot and the log replayed at start reach it.
 */
export interface MetaMachine {
  /** Lower-case name (DEBUG ENTRIES, errors). */
  readonly name: string;
  /** The op code of its entries; not one of the meta group's own (1, 2, 3, 5). */
  readonly opCode: number;
  /** Its snapshot section tag (META_SECTION). */
  readonly sectionTag: number;
  /** Applies one of its entries (`body`: the bytes after the op code); the proposer's result. */
  apply(index: number, body: Uint8Array): MachineResult;
  /** Bytes its section will take, about (sizes the snapshot buffer). */
  snapshotBytesHint(): number;
  /**
   * Writes its section body in steps of at most `itemsPerStep` items, yielding each step's item
   * count so the caller can let the event loop run between steps (the state does not change
   * until the generator ends).
   */
  snapshotSteps(writer: BinaryWriter, itemsPerStep: number): Iterator<number, void, void>;
  /** Replaces its state with a section body; null: the image has no such section (empty). */
  restore(body: Uint8Array | null): void;
  /**
   * restore() in steps (optional; large sections): yields item counts of about `itemsPerStep`,
   * and replaces the state only at the end.
   */
  restoreSteps?(body: Uint8Array, itemsPerStep: number): Iterator<number, void, void>;
  /** DEBUG ENTRIES: the op and the detail a reader looks for (e.g. `acquire name owner`). */
  describe(body: Uint8Array): { op: string; detail: string };
}

/** What a machine's entry produced, tagged with the machine's op code. */
export interface MachineResult {
  opCode: number;
  value: unknown;
}
