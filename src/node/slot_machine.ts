import { DecodeError } from "../../protocol/binary/mod.ts";
import { readSlotImage, SLOT_IMAGE_SECTIONED, writeSlotImage } from "../subsystem/slot_image.ts";
import type { ReplicatedStateMachine } from "../consensus/raft_host.ts";
import { assert } from "../util/assert.ts";

/** One subsystem's part of a slot group's machine: its tag (SLOT_PART_TAGS) and its machine. */
export interface SlotPart {
  tag: number;
  machine: ReplicatedStateMachine<unknown>;
}

/** Tags a part may use besides 0 (untagged): not 1 (a bare kv op or image) nor the image mark. */
const TAG_MIN = 2;

/**
 * The state machine of one slot group: the parts of every subsystem with slot state (the
 * key-value store, the queues) behind one Raft log.
 *
 * Entries: a part with tag 0 takes entries as they are (the key-value store's, which begin with
 * their op version byte 1); any other part's entries are its tag byte followed by its own
 * encoding, handed to it without the tag. Image: `u8 0xfe | u8 count | (u8 tag | u32 length |
 * bytes)*` in tag order; an image not starting with 0xfe is the untagged part's alone (written
 * before parts existed); an empty image restores every part empty; a part absent from an image
 * restores empty; an unknown tag is refused (its state would be lost).
 */
export class SlotMachine implements ReplicatedStateMachine<unknown> {
  readonly #parts: SlotPart[];
  readonly #byTag = new Map<number, ReplicatedStateMachine<unknown>>();
  readonly #untagged: ReplicatedStateMachine<unknown> | null;

  constructor(parts: SlotPart[]) {
    this.#parts = [...parts].sort((a, b) => a.tag - b.tag);
    let untagged: ReplicatedStateMachine<unknown> | null = null;
    for (const { tag, machine } of this.#parts) {
      assert(Number.isInteger(tag) && tag >= 0 && tag < SLOT_IMAGE_SECTIONED, "slot part tag");
      assert(tag === 0 || tag >= TAG_MIN, "slot part tag collides with untagged entries");
      assert(!this.#byTag.has(tag), "slot part tag used twice");
      this.#byTag.set(tag, machine);
      if (tag === 0) untagged = machine;
    }
    this.#untagged = untagged;
  }

  /** The bytes of an entry for the part tagged `tag` carrying `body`. */
  static entry(tag: number, body: Uint8Array): Uint8Array {
    const bytes = new Uint8Array(body.length + 1);
    bytes[0] = tag;
    bytes.set(body, 1);
    return bytes;
  }

  apply(index: number, data: Uint8Array): unknown {
    const tag = data[0] ?? 0;
    const tagged = tag >= TAG_MIN ? this.#byTag.get(tag) : undefined;
    if (tagged !== undefined) return tagged.apply(index, data.subarray(1));
    if (this.#untagged !== null) return this.#untagged.apply(index, data);
    this.skip(index);
    return null;
  }

  skip(index: number): void {
    for (const { machine } of this.#parts) machine.skip(index);
  }

  snapshot(): Uint8Array {
    return writeSlotImage(
      this.#parts.map(({ tag, machine }) => [tag, machine.snapshot()] as const),
    );
  }

  restore(image: Uint8Array): void {
    const sections = readSlotImage(image);
    for (const tag of sections.keys()) {
      if (!this.#byTag.has(tag)) {
        throw new DecodeError(`Cannot decode slot image: section ${tag} is unknown to this node`);
      }
    }
    for (const { tag, machine } of this.#parts) {
      machine.restore(sections.get(tag) ?? new Uint8Array());
    }
  }
}
