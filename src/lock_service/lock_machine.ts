import { BinaryReader, BinaryWriter } from "../../protocol/binary/mod.ts";
import {
  type LockApplyResult,
  type LockOp,
  lockOpBytesBound,
  LockTable,
  readLockOpIn,
  writeLockOp,
} from "../locks/mod.ts";
import { META_SECTION } from "../meta/meta_snapshot.ts";
import type { MachineResult, MetaMachine } from "../meta/meta_machine.ts";

/** Meta command op code of lock entries (unchanged since locks moved out of meta_command.ts). */
export const LOCK_OP_CODE = 4;

/** Sees every applied lock operation, on every node (waiters, leases). */
export type LockObserver = (
  index: number,
  op: LockOp,
  waitMs: number,
  result: LockApplyResult,
) => void;

/** A lock entry: the table operation and the acquire's WAIT, which the leader enforces. */
export interface LockEntry {
  waitMs: number;
  lock: LockOp;
}

/**
 * Encodes a lock entry as a meta group entry: op code 4, u32 waitMs, bytes(lock op). The op is
 * written straight into the entry (its u32 length patched afterwards): one buffer, one copy out.
 */
export function encodeLockEntry(entry: LockEntry): Uint8Array {
  const writer = new BinaryWriter(9 + lockOpBytesBound(entry.lock));
  writer.u8(LOCK_OP_CODE).u32(entry.waitMs).u32(0);
  const opStart = writer.lengthBytes;
  writeLockOp(writer, entry.lock);
  writer.patchU32(opStart - 4, writer.lengthBytes - opStart);
  return writer.copy();
}

/** Reads a lock entry's body in place (no copy of the op's bytes). */
export function decodeLockEntry(body: Uint8Array): LockEntry {
  const reader = new BinaryReader(body, "lock entry");
  const waitMs = reader.u32();
  const lock = readLockOpIn(reader, reader.u32());
  reader.expectEnd();
  return { waitMs, lock };
}

/** The lock table as the meta group's state machine for locks (pure). */
export class LockMachine implements MetaMachine {
  readonly name = "locks";
  readonly opCode = LOCK_OP_CODE;
  readonly sectionTag = META_SECTION.locks;
  #table = new LockTable();
  /** Called after each applied lock operation. */
  onApplied: LockObserver = () => {};

  /** The replicated lock table (read-only use outside apply). */
  get table(): LockTable {
    return this.#table;
  }

  /** Applies a lock entry; its value is the LockApplyResult. Malformed bodies throw DecodeError. */
  apply(index: number, body: Uint8Array): MachineResult {
    const entry = decodeLockEntry(body);
    const result = this.#table.apply(index, entry.lock);
    this.onApplied(index, entry.lock, entry.waitMs, result);
    return { opCode: LOCK_OP_CODE, value: result };
  }

  snapshotBytesHint(): number {
    return this.#table.snapshotBytesHint();
  }

  snapshotSteps(writer: BinaryWriter, itemsPerStep: number): Iterator<number, void, void> {
    return this.#table.snapshotSteps(writer, itemsPerStep);
  }

  restore(body: Uint8Array | null): void {
    this.#table = body === null ? new LockTable() : LockTable.restore(body);
  }

  *restoreSteps(body: Uint8Array, itemsPerStep: number): Generator<number, void, void> {
    this.#table = yield* LockTable.restoreSteps(body, {}, itemsPerStep);
  }

  describe(body: Uint8Array): { op: string; detail: string } {
    const { lock } = decodeLockEntry(body);
    return { op: "lock", detail: `${lock.op} ${lock.name} ${lock.owner}` };
  }
}

/** The LockApplyResult of a meta apply result of a lock entry; throws on anything else. */
export function lockResultOf(result: MachineResult): LockApplyResult {
  if (result.opCode !== LOCK_OP_CODE) {
    throw new Error(`expected a lock result, got op code ${result.opCode}`);
  }
  return result.value as LockApplyResult;
}
