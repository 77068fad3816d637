import { BinaryReader, BinaryWriter, DecodeError } from "../../protocol/binary/mod.ts";

/**
 * The meta snapshot image (pure), version 1:
 *
 *   u8 version (1) | u53 appliedIndex | section* ; section = u8 tag | u32 lengthBytes | body
 *
 * Sections come in tag order, each at most once. A section a snapshot lacks restores empty, so a
 * new section can be added without a new version; a tag this code does not know is refused (its
 * state would be silently lost). The image before sections (no version byte) began with the u53
 * applied index, whose first byte is always 0: `readMetaSnapshot` still reads it.
 */
export const META_SNAPSHOT_VERSION = 1;

/** Section tags; numbers are never reused. */
export const META_SECTION = {
  /** u32 count, then per member: id, peer address, client address, incarnation id (strings). */
  members: 1,
  /**
   * The cluster's placement: u32 slot count (0: not recorded yet); then, once recorded, u53
   * placement epoch, the placement (u32 length + placement_codec.ts bytes) and the members of
   * the first placement (u32 count, strings): the slot groups' initial voters.
   */
  placement: 2,
  /** The lock table's own snapshot (src/locks/snapshot_codec.ts). */
  locks: 3,
  /** The ACL users (src/acl/acl_machine.ts): u32 count, then each user record. */
  acl: 4,
  /** Settings fixed at the cluster's creation (cluster_settings.ts): u32 count, name/value pairs. */
  settings: 5,
} as const;

/**
 * A section's tag and the function that writes its body: at once, or in steps (an iterator
 * whose every value is a count of items written since the previous one).
 */
export type SectionWriter = [
  tag: number,
  write: (writer: BinaryWriter) => Iterator<number, void, void> | void,
];

/** A decoded image: the applied index and each section's body (views into the image). */
export interface MetaSnapshotParts {
  appliedIndex: number;
  sections: Map<number, Uint8Array>;
}

/** Encodes a version-1 image; `bytesHint` sizes the buffer (it grows if needed). */
export function writeMetaSnapshot(
  appliedIndex: number,
  sections: readonly SectionWriter[],
  bytesHint: number,
): Uint8Array {
  const steps = writeMetaSnapshotSteps(appliedIndex, sections, bytesHint);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/**
 * Encodes a version-1 image in steps: yields what each section's steps yield (item counts) and
 * returns the image. Nothing the sections read may change until it returns.
 */
export function* writeMetaSnapshotSteps(
  appliedIndex: number,
  sections: readonly SectionWriter[],
  bytesHint: number,
): Generator<number, Uint8Array, void> {
  const writer = new BinaryWriter(bytesHint);
  writer.u8(META_SNAPSHOT_VERSION).u53(appliedIndex);
  let previousTag = 0;
  for (const [tag, write] of sections) {
    if (tag <= previousTag) throw new RangeError(`meta snapshot section ${tag} out of order`);
    previousTag = tag;
    writer.u8(tag);
    const lengthAt = writer.lengthBytes;
    writer.u32(0);
    const steps = write(writer);
    if (steps !== undefined) {
      for (let step = steps.next(); step.done !== true; step = steps.next()) yield step.value;
    }
    writer.patchU32(lengthAt, writer.lengthBytes - lengthAt - 4);
  }
  const image = writer.view();
  // The image is kept (the log's snapshot): copy it only when the buffer has much slack.
  return image.length >= image.buffer.byteLength * 0.75 ? image : image.slice();
}

/** True for an image written before sections existed (its first byte is a u53's high byte). */
export function isLegacyMetaSnapshot(image: Uint8Array): boolean {
  return image.length > 0 && image[0] === 0;
}

/** Splits a version-1 image into its sections; DecodeError on a malformed or unknown image. */
export function readMetaSnapshot(image: Uint8Array): MetaSnapshotParts {
  const reader = new BinaryReader(image, "meta snapshot");
  const version = reader.u8();
  if (version !== META_SNAPSHOT_VERSION) {
    throw new DecodeError(`Cannot decode meta snapshot: unknown version ${version}`);
  }
  const appliedIndex = reader.u53();
  const known = new Set<number>(Object.values(META_SECTION));
  const sections = new Map<number, Uint8Array>();
  let previousTag = 0;
  while (reader.remainingBytes > 0) {
    const tag = reader.u8();
    if (tag <= previousTag) throw reader.error(`section ${tag} out of order or repeated`);
    if (!known.has(tag)) throw reader.error(`section ${tag} is unknown to this version`);
    previousTag = tag;
    sections.set(tag, reader.u32BytesView());
  }
  return { appliedIndex, sections };
}
