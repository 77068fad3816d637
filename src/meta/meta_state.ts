import { BinaryReader, type BinaryWriter, DecodeError } from "../../protocol/binary/mod.ts";
import { assert } from "../util/assert.ts";
import { decodeMetaCommand, type MemberAddress, META_OWN_OP_CODES } from "./meta_command.ts";
import type { Refusal } from "../consensus/cluster_error.ts";
import type { MachineResult, MetaMachine } from "./meta_machine.ts";
import {
  isLegacyMetaSnapshot,
  META_SECTION,
  readMetaSnapshot,
  type SectionWriter,
  writeMetaSnapshotSteps,
} from "./meta_snapshot.ts";
import { SLOT_COUNT_MAX } from "../placement/key_slot.ts";
import {
  computePlacement,
  decodePlacement,
  encodePlacement,
  type Placement,
  PlacementDecodeError,
} from "../placement/mod.ts";

/** What applying one meta entry produced. */
export type MetaApplyResult =
  | { kind: "ok" }
  | { kind: "refused"; refusal: Refusal }
  /** An entry of a subsystem's machine (MetaMachine), with its result. */
  | { kind: "machine"; result: MachineResult };

/** Room reserved for the member records in a snapshot image (it grows if they need more). */
const MEMBERS_BYTES_HINT = 4096;

/** Members kept at most (voters and learners together). */
export const META_MEMBERS_MAX = 64;
/** First incarnations kept at most (member ids ever registered; removal does not free one). */
const FIRST_INCARNATIONS_MAX = 4096;

/**
 * The meta group's replicated state machine (pure): member addresses, the cluster's placement
 * (its slot count; the ring later), and the machines subsystems register (the lock table, for
 * now). Every node applies the same entries in the same order and so holds the same state.
 * Snapshot layout: meta_snapshot.ts.
 */
export class MetaState {
  readonly #members = new Map<string, MemberAddress>();
  /** Subsystems' machines by op code, and by snapshot section tag. */
  readonly #machines = new Map<number, MetaMachine>();
  readonly #machinesBySection = new Map<number, MetaMachine>();
  #appliedIndex = 0;
  /** The cluster's slot count, recorded once by the first leader; 0 until then. */
  #slotCount = 0;
  /** Every slot's replicas and preferred leader; null until the first leader records it. */
  #placement: Placement | null = null;
  /** Placements recorded so far (1: the one the cluster was created with). */
  #placementEpoch = 0;
  /** The ring members of the first placement: every slot group's initial voters come from it. */
  #firstMembers: readonly string[] = [];
  #firstPlacement: Placement | null = null;
  /**
   * The first data-directory incarnation recorded for each member id, kept after the member is
   * removed: a slot group is bootstrapped only by the incarnation that was a member when the
   * cluster was created, never by a wiped disk under the same id (docs/slots.md, "Hosting").
   */
  readonly #firstIncarnations = new Map<string, string>();
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

  /** The slots' placement; null until the first leader records it. */
  get placement(): Placement | null {
    return this.#placement;
  }

  /**
   * The placement the cluster was created with (epoch 1): each slot group's initial voters, which
   * every replica, also one added later, must bootstrap the group with. Null until recorded.
   */
  get firstPlacement(): Placement | null {
    const current = this.#placement;
    if (current === null) return null;
    this.#firstPlacement ??= computePlacement(this.#firstMembers, current);
    return this.#firstPlacement;
  }

  /** The first data-directory incarnation recorded for member `id`, if any (see above). */
  firstIncarnation(id: string): string | undefined {
    return this.#firstIncarnations.get(id);
  }

  /** Placements recorded so far: 1 while the cluster keeps the one it was created with. */
  get placementEpoch(): number {
    return this.#placementEpoch;
  }

  /** `machines`: subsystems' state machines, each with its own op code and section tag. */
  constructor(machines: readonly MetaMachine[] = []) {
    for (const machine of machines) {
      if (META_OWN_OP_CODES.has(machine.opCode) || this.#machines.has(machine.opCode)) {
        throw new Error(`meta machine ${machine.name}: op code ${machine.opCode} is taken`);
      }
      if (machine.sectionTag <= META_SECTION.placement) {
        throw new Error(`meta machine ${machine.name}: section ${machine.sectionTag} is taken`);
      }
      if (this.#machinesBySection.has(machine.sectionTag)) {
        throw new Error(`meta machine ${machine.name}: section ${machine.sectionTag} is taken`);
      }
      this.#machines.set(machine.opCode, machine);
      this.#machinesBySection.set(machine.sectionTag, machine);
    }
  }

  /** The machine whose entries carry op code `opCode`, if registered. */
  machine(opCode: number): MetaMachine | undefined {
    return this.#machines.get(opCode);
  }

  /** Applies the normal entry at `index`. */
  apply(index: number, data: Uint8Array): MetaApplyResult {
    assert(index > this.#appliedIndex, `apply index ${index} <= applied ${this.#appliedIndex}`);
    this.#appliedIndex = index;
    let command;
    try {
      const machine = data.length > 0 ? this.#machines.get(data[0]!) : undefined;
      if (machine !== undefined) {
        return { kind: "machine", result: machine.apply(index, data.subarray(1)) };
      }
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
        const first = this.#firstIncarnations;
        if (
          incarnationId !== "" && !first.has(command.member.id) &&
          first.size < FIRST_INCARNATIONS_MAX
        ) {
          first.set(command.member.id, incarnationId);
        }
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
      case "placeSlots":
        return this.#placeSlots(command.placement);
    }
  }

  #placeSlots(bytes: Uint8Array): MetaApplyResult {
    let placement: Placement;
    try {
      placement = decodePlacement(bytes);
    } catch (error) {
      if (!(error instanceof PlacementDecodeError)) throw error;
      return { kind: "refused", refusal: { code: "ERR", message: error.message } };
    }
    if (this.#slotCount !== 0 && placement.slotCount !== this.#slotCount) {
      const message = `the cluster's slot count is already ${this.#slotCount}`;
      return { kind: "refused", refusal: { code: "ERR", message } };
    }
    this.#slotCount = placement.slotCount;
    if (this.#placement === null) {
      this.#firstMembers = placement.members;
      this.#firstPlacement = null;
    }
    this.#placement = placement;
    this.#placementEpoch++;
    return { kind: "ok" };
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

  /** The state as bytes (snapshot image, version 1): members, placement, each machine's section. */
  snapshot(): Uint8Array {
    const steps = this.snapshotSteps(Number.POSITIVE_INFINITY);
    for (;;) {
      const step = steps.next();
      if (step.done === true) return step.value;
    }
  }

  /**
   * snapshot() in steps of at most `itemsPerStep` machine items (a lock, a holder, a waiter):
   * yields each step's count, returns the image. Apply nothing until it returns.
   */
  snapshotSteps(itemsPerStep: number): Generator<number, Uint8Array, void> {
    const machines = [...this.#machinesBySection.values()].sort((a, b) =>
      a.sectionTag - b.sectionTag
    );
    let bytesHint = MEMBERS_BYTES_HINT;
    for (const machine of machines) bytesHint += machine.snapshotBytesHint();
    return writeMetaSnapshotSteps(this.#appliedIndex, [
      [META_SECTION.members, (writer) => this.#writeMembers(writer)],
      [META_SECTION.placement, (writer) => this.#writePlacement(writer)],
      ...machines.map((machine): SectionWriter => [
        machine.sectionTag,
        (writer) => machine.snapshotSteps(writer, itemsPerStep),
      ]),
    ], bytesHint);
  }

  /** Replaces the state with a snapshot image (version 1, or the image before sections). */
  restore(image: Uint8Array): void {
    const steps = this.restoreSteps(image, Number.POSITIVE_INFINITY);
    while (steps.next().done !== true) { /* one step per machine */ }
  }

  /**
   * restore() in steps: a machine that can decodes its section in steps of about `itemsPerStep`
   * items (yielding each count) and swaps its state in at the end. Apply nothing until it ends.
   */
  *restoreSteps(image: Uint8Array, itemsPerStep: number): Generator<number, void, void> {
    this.#members.clear();
    this.membershipVersion++;
    this.#slotCount = 0;
    this.#placement = null;
    this.#placementEpoch = 0;
    this.#firstMembers = [];
    this.#firstPlacement = null;
    this.#firstIncarnations.clear();
    if (image.length === 0) {
      this.#appliedIndex = 0;
      for (const machine of this.#machines.values()) machine.restore(null);
      return;
    }
    if (isLegacyMetaSnapshot(image)) {
      this.#restoreLegacy(image);
      return;
    }
    const parts = readMetaSnapshot(image);
    for (const tag of parts.sections.keys()) {
      if (tag > META_SECTION.placement && !this.#machinesBySection.has(tag)) {
        throw new DecodeError(`Cannot decode meta snapshot: no machine for section ${tag}`);
      }
    }
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
      if (reader.remainingBytes > 0) {
        this.#placementEpoch = reader.u53();
        try {
          this.#placement = decodePlacement(reader.u32BytesView());
        } catch (error) {
          if (!(error instanceof PlacementDecodeError)) throw error;
          throw new DecodeError(`Cannot decode meta snapshot: ${error.message}`);
        }
        const count = reader.u32();
        if (count > META_MEMBERS_MAX) {
          throw reader.error(`first member count ${count} over maximum`);
        }
        const first: string[] = [];
        for (let i = 0; i < count; i++) first.push(reader.u16String());
        this.#firstMembers = first;
      }
      if (reader.remainingBytes > 0) this.#readFirstIncarnations(reader);
      else this.#seedFirstIncarnations();
      reader.expectEnd();
    } else {
      this.#seedFirstIncarnations();
    }
    for (const [tag, machine] of this.#machinesBySection) {
      const body = parts.sections.get(tag) ?? null;
      if (body === null || machine.restoreSteps === undefined) {
        machine.restore(body);
        continue;
      }
      const steps = machine.restoreSteps(body, itemsPerStep);
      for (let step = steps.next(); step.done !== true; step = steps.next()) yield step.value;
    }
  }

  /** The image before sections: u53 applied index, members, length-prefixed lock table. */
  #restoreLegacy(image: Uint8Array): void {
    const reader = new BinaryReader(image, "meta snapshot");
    this.#appliedIndex = reader.u53();
    this.#readMembers(reader);
    const locks = reader.u32BytesView();
    reader.expectEnd();
    this.#seedFirstIncarnations();
    const machine = this.#machinesBySection.get(META_SECTION.locks);
    if (machine === undefined && locks.length > 0) {
      throw new DecodeError("Cannot decode meta snapshot: it holds locks but no lock machine runs");
    }
    for (const [tag, each] of this.#machinesBySection) {
      each.restore(tag === META_SECTION.locks ? locks : null);
    }
  }

  /**
   * u32 slot count; then, once recorded, u53 placement epoch, the placement's bytes, and the
   * first placement's members (u32 count, strings) and the first incarnations (u32 count, id and
   * incarnation strings, by id). An image without them (older, or no placement yet) seeds the
   * first incarnations from the member records.
   */
  #writePlacement(writer: BinaryWriter): void {
    writer.u32(this.#slotCount);
    if (this.#placement === null) return;
    writer.u53(this.#placementEpoch).u32Bytes(encodePlacement(this.#placement));
    writer.u32(this.#firstMembers.length);
    for (const id of this.#firstMembers) writer.u16String(id);
    const first = [...this.#firstIncarnations].sort((a, b) => a[0] < b[0] ? -1 : 1);
    writer.u32(first.length);
    for (const [id, incarnationId] of first) writer.u16String(id).u16String(incarnationId);
  }

  #readFirstIncarnations(reader: BinaryReader): void {
    const count = reader.u32();
    if (count > FIRST_INCARNATIONS_MAX) {
      throw reader.error(`first incarnation count ${count} over maximum`);
    }
    for (let i = 0; i < count; i++) {
      this.#firstIncarnations.set(reader.u16String(), reader.u16String());
    }
  }

  /** An image from before first incarnations were kept: the recorded ones are taken as first. */
  #seedFirstIncarnations(): void {
    for (const member of this.#members.values()) {
      if (member.incarnationId !== "") {
        this.#firstIncarnations.set(member.id, member.incarnationId);
      }
    }
  }

  #writeMembers(writer: BinaryWriter): void {
    writer.u32(this.#members.size);
    for (const member of this.members()) {
      writer.u16String(member.id).u16String(member.peerAddress).u16String(member.clientAddress)
        .u16String(member.incarnationId);
    }
  }

  #readMembers(reader: BinaryReader): void {
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
  }
}
