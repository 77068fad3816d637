import { BinaryReader, type BinaryWriter } from "../../protocol/peer/mod.ts";
import { assert } from "../util/assert.ts";
import { decodeMetaCommand, type MemberAddress } from "./meta_command.ts";
import type { Refusal } from "../consensus/cluster_error.ts";
import { type LockApplyResult, type LockOp, LockTable } from "../locks/mod.ts";
import {
  isLegacyMetaSnapshot,
  META_SECTION,
  readMetaSnapshot,
  writeMetaSnapshot,
} from "./meta_snapshot.ts";
import { SLOT_COUNT_MAX } from "../slots/key_slot.ts";

/** What applying one meta entry produced. */
export type MetaApplyResult =
  | { kind: "ok" }
  | { kind: "refused"; refusal: Refusal }
  | { kind: "lock"; result: LockApplyResult };

/** Sees every applied lock operation, on every node (waiters, leases). */
export type LockObserver = (
  index: number,
  op: LockOp,
  waitMs: number,
  result: LockApplyResult,
) => void;

/** Room reserved for the member records in a snapshot image (it grows if they need more). */
const MEMBERS_BYTES_HINT = 4096;

/** Members kept at most (voters and learners together). */
export const META_MEMBERS_MAX = 64;

/**
 * The meta group's replicated state machine (pure): member addresses, the cluster's placement
 * (its slot count; the ring later), and, for now, the lock table. Every node applies the same
 * entries in the same order and so holds the same state. Snapshot layout: meta_snapshot.ts.
 */
export class MetaState {
  readonly #members = new Map<string, MemberAddress>();
  #locks = new LockTable();
  /** Called after each applied lock operation. */
  onLock: LockObserver = () => {};
  #appliedIndex = 0;
  /** The cluster's slot count, recorded once by the first leader; 0 until then. */
  #slotCount = 0;
  /** Increases whenever a member record is set or forgotten (cheap change detection). */
  membershipVersion = 0;

  /** Index of the last applied entry. */
  get appliedIndex(): number {
    return this.#appliedIndex;
  }

  /** Known member addresses, sorted by id. */
  members(): MemberAddress[] {
    return [...this.#members.values()].sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  }

  /** The address record of `id`, if known. */
  member(id: string): MemberAddress | undefined {
    return this.#members.get(id);
  }

  /** The cluster's recorded slot count; 0 until the first leader records it. */
  get slotCount(): number {
    return this.#slotCount;
  }

  /** The replicated lock table (read-only use outside apply). */
  get locks(): LockTable {
    return this.#locks;
  }

  /** Applies the normal entry at `index`. */
  apply(index: number, data: Uint8Array): MetaApplyResult {
    assert(index > this.#appliedIndex, `apply index ${index} <= applied ${this.#appliedIndex}`);
    this.#appliedIndex = index;
    let command;
    try {
      command = decodeMetaCommand(data);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return {
        kind: "refused",
        refusal: { code: "ERR", message: `undecodable meta command: ${detail}` },
      };
    }
    switch (command.op) {
      case "setMember": {
        const existing = this.#members.get(command.member.id);
        if (existing === undefined && this.#members.size >= META_MEMBERS_MAX) {
          const message = `cluster already has ${META_MEMBERS_MAX} members`;
          return { kind: "refused", refusal: { code: "LIMIT", message } };
        }
        // A recorded incarnation only changes through removal and re-adding.
        const incarnationId = existing?.incarnationId || command.member.incarnationId;
        this.#members.set(command.member.id, { ...command.member, incarnationId });
        this.membershipVersion++;
        return { kind: "ok" };
      }
      case "forgetMember":
        this.#members.delete(command.id);
        this.membershipVersion++;
        return { kind: "ok" };
      case "noop":
        return { kind: "ok" };
      case "setPlacement":
        return this.#setPlacement(command.slotCount);
      case "lock": {
        const result = this.#locks.apply(index, command.lock);
        this.onLock(index, command.lock, command.waitMs, result);
        return { kind: "lock", result };
      }
    }
  }

  #setPlacement(slotCount: number): MetaApplyResult {
    if (slotCount < 1 || slotCount > SLOT_COUNT_MAX) {
      const message = `slot count ${slotCount} not in 1..${SLOT_COUNT_MAX}`;
      return { kind: "refused", refusal: { code: "ERR", message } };
    }
    if (this.#slotCount !== 0 && this.#slotCount !== slotCount) {
      const message = `the cluster's slot count is already ${this.#slotCount}`;
      return { kind: "refused", refusal: { code: "ERR", message } };
    }
    this.#slotCount = slotCount;
    return { kind: "ok" };
  }

  /** Members whose data-directory incarnation is recorded. */
  registeredCount(): number {
    return [...this.#members.values()].filter((member) => member.incarnationId !== "").length;
  }

  /** Marks a non-normal entry (config, no-op) as applied. */
  skip(index: number): void {
    assert(index > this.#appliedIndex, `skip index ${index} <= applied ${this.#appliedIndex}`);
    this.#appliedIndex = index;
  }

  /** The state as bytes (snapshot image, version 1): members, placement, lock table sections. */
  snapshot(): Uint8Array {
    return writeMetaSnapshot(this.#appliedIndex, [
      [META_SECTION.members, (writer) => this.#writeMembers(writer)],
      [META_SECTION.placement, (writer) => writer.u32(this.#slotCount)],
      [META_SECTION.locks, (writer) => this.#locks.snapshotInto(writer)],
    ], MEMBERS_BYTES_HINT + this.#locks.snapshotBytesHint());
  }

  /** Replaces the state with a snapshot image (version 1, or the image before sections). */
  restore(image: Uint8Array): void {
    this.#members.clear();
    this.membershipVersion++;
    this.#slotCount = 0;
    if (image.length === 0) {
      this.#appliedIndex = 0;
      this.#locks = new LockTable();
      return;
    }
    if (isLegacyMetaSnapshot(image)) {
      this.#restoreLegacy(image);
      return;
    }
    const parts = readMetaSnapshot(image);
    this.#appliedIndex = parts.appliedIndex;
    const members = parts.sections.get(META_SECTION.members);
    if (members !== undefined) {
      const reader = new BinaryReader(members, "meta snapshot members");
      this.#readMembers(reader);
      reader.expectEnd();
    }
    const placement = parts.sections.get(META_SECTION.placement);
    if (placement !== undefined) {
      const reader = new BinaryReader(placement, "meta snapshot placement");
      this.#slotCount = reader.u32();
      reader.expectEnd();
    }
    const locks = parts.sections.get(META_SECTION.locks);
    this.#locks = locks === undefined ? new LockTable() : LockTable.restore(locks);
  }

  /** The image before sections: u53 applied index, members, length-prefixed lock table. */
  #restoreLegacy(image: Uint8Array): void {
    const reader = new BinaryReader(image, "meta snapshot");
    this.#appliedIndex = reader.u53();
    this.#readMembers(reader);
    this.#locks = LockTable.restore(reader.bytesView());
    reader.expectEnd();
  }

  #writeMembers(writer: BinaryWriter): void {
    writer.u32(this.#members.size);
    for (const member of this.members()) {
      writer.string(member.id).string(member.peerAddress).string(member.clientAddress)
        .string(member.incarnationId);
    }
  }

  #readMembers(reader: BinaryReader): void {
    const count = reader.u32();
    if (count > META_MEMBERS_MAX) throw reader.error(`member count ${count} over maximum`);
    for (let i = 0; i < count; i++) {
      const member = {
        id: reader.string(),
        peerAddress: reader.string(),
        clientAddress: reader.string(),
        incarnationId: reader.string(),
      };
      this.#members.set(member.id, member);
    }
  }
}
