import { BinaryReader, BinaryWriter } from "../../protocol/binary/mod.ts";
import { assert } from "../util/assert.ts";
import { decodeMetaCommand, type MemberAddress } from "./meta_command.ts";
import { type LockApplyResult, type LockOp, LockTable } from "../locks/mod.ts";

/** What applying one meta entry produced. */
export type MetaApplyResult =
  | { kind: "ok" }
  | { kind: "refused"; error: string }
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
 * The meta group's replicated state machine (pure): member addresses and the applied index.
 * Every node applies the same entries in the same order and so holds the same state.
 */
export class MetaState {
  readonly #members = new Map<string, MemberAddress>();
  #locks = new LockTable();
  /** Called after each applied lock operation. */
  onLock: LockObserver = () => {};
  #appliedIndex = 0;
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
      return { kind: "refused", error: `ERR undecodable meta command: ${detail}` };
    }
    switch (command.op) {
      case "setMember": {
        const existing = this.#members.get(command.member.id);
        if (existing === undefined && this.#members.size >= META_MEMBERS_MAX) {
          return {
            kind: "refused",
            error: `LIMIT cluster already has ${META_MEMBERS_MAX} members`,
          };
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
      case "lock": {
        const result = this.#locks.apply(index, command.lock);
        this.onLock(index, command.lock, command.waitMs, result);
        return { kind: "lock", result };
      }
    }
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

  /** The state as bytes (snapshot image): members, then the lock table. */
  snapshot(): Uint8Array {
    const writer = new BinaryWriter(MEMBERS_BYTES_HINT + this.#locks.snapshotBytesHint());
    writer.u53(this.#appliedIndex).u32(this.#members.size);
    for (const member of this.members()) {
      writer.u16String(member.id).u16String(member.peerAddress).u16String(member.clientAddress)
        .u16String(member.incarnationId);
    }
    // The lock table as a length-prefixed part (as writer.u32Bytes() would), encoded in place.
    const lengthAt = writer.lengthBytes;
    writer.u32(0);
    this.#locks.snapshotInto(writer);
    writer.patchU32(lengthAt, writer.lengthBytes - lengthAt - 4);
    const image = writer.view();
    // The image is kept (the log's snapshot): copy it only when the buffer has much slack.
    return image.length >= image.buffer.byteLength * 0.75 ? image : image.slice();
  }

  /** Replaces the state with a snapshot image. */
  restore(image: Uint8Array): void {
    this.#members.clear();
    this.membershipVersion++;
    if (image.length === 0) {
      this.#appliedIndex = 0;
      this.#locks = new LockTable();
      return;
    }
    const reader = new BinaryReader(image, "meta snapshot");
    this.#appliedIndex = reader.u53();
    const count = reader.u32();
    if (count > META_MEMBERS_MAX) throw reader.error(`member count ${count} over maximum`);
    for (let i = 0; i < count; i++) {
      const member = {
        id: reader.u16String(),
        peerAddress: reader.u16String(),
        clientAddress: reader.u16String(),
        incarnationId: reader.u16String(),
      };
      this.#members.set(member.id, member);
    }
    this.#locks = LockTable.restore(reader.u32BytesView());
    reader.expectEnd();
  }
}
