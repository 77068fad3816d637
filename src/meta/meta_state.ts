import { BinaryReader, BinaryWriter } from "../../protocol/peer/mod.ts";
import { assert } from "../util/assert.ts";
import { decodeMetaCommand, type MemberAddress } from "./meta_command.ts";

/** Members kept at most (voters and learners together). */
export const META_MEMBERS_MAX = 64;

/**
 * The meta group's replicated state machine (pure): member addresses and the applied index.
 * Every node applies the same entries in the same order and so holds the same state.
 */
export class MetaState {
  readonly #members = new Map<string, MemberAddress>();
  #appliedIndex = 0;
  /** Entries applied (for INFO and tests). */
  appliedCount = 0;

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

  /** Applies the normal entry at `index`; returns an error text for a refused command. */
  apply(index: number, data: Uint8Array): string | null {
    assert(index > this.#appliedIndex, `apply index ${index} <= applied ${this.#appliedIndex}`);
    this.#appliedIndex = index;
    this.appliedCount++;
    let command;
    try {
      command = decodeMetaCommand(data);
    } catch (error) {
      return `ERR undecodable meta command: ${error instanceof Error ? error.message : error}`;
    }
    switch (command.op) {
      case "setMember": {
        const existing = this.#members.get(command.member.id);
        if (existing === undefined && this.#members.size >= META_MEMBERS_MAX) {
          return `LIMIT cluster already has ${META_MEMBERS_MAX} members`;
        }
        // A recorded incarnation only changes through removal and re-adding.
        const incarnationId = existing?.incarnationId || command.member.incarnationId;
        this.#members.set(command.member.id, { ...command.member, incarnationId });
        return null;
      }
      case "forgetMember":
        this.#members.delete(command.id);
        return null;
      case "noop":
        return null;
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

  /** The state as bytes (snapshot image). */
  snapshot(): Uint8Array {
    const writer = new BinaryWriter(256);
    writer.u53(this.#appliedIndex).u32(this.#members.size);
    for (const member of this.members()) {
      writer.string(member.id).string(member.peerAddress).string(member.clientAddress)
        .string(member.incarnationId);
    }
    return writer.finish().slice();
  }

  /** Replaces the state with a snapshot image. */
  restore(image: Uint8Array): void {
    this.#members.clear();
    if (image.length === 0) {
      this.#appliedIndex = 0;
      return;
    }
    const reader = new BinaryReader(image, "meta snapshot");
    this.#appliedIndex = reader.u53();
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
    reader.expectEnd();
  }
}
