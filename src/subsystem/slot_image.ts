import { BinaryReader, BinaryWriter } from "../../protocol/binary/mod.ts";

/** First byte of a sectioned slot image (a bare key-value image begins with its version byte 1). */
export const SLOT_IMAGE_SECTIONED = 0xfe;

/**
 * The sections of a slot group's image, by part tag (SLOT_PART_TAGS): `u8 0xfe | u8 count |
 * (u8 tag | u32 length | bytes)*` in tag order. An empty image has no sections; an image not
 * starting with 0xfe is the untagged part's (tag 0) alone, as written before parts existed.
 * Throws a DecodeError on a malformed image.
 */
export function readSlotImage(image: Uint8Array): Map<number, Uint8Array> {
  if (image.length === 0) return new Map();
  if (image[0] !== SLOT_IMAGE_SECTIONED) return new Map([[0, image]]);
  const reader = new BinaryReader(image, "slot image");
  reader.u8();
  const count = reader.u8();
  const sections = new Map<number, Uint8Array>();
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const tag = reader.u8();
    if (tag <= previous) throw reader.error(`section ${tag} out of order or repeated`);
    previous = tag;
    sections.set(tag, reader.u32Bytes());
  }
  reader.expectEnd();
  return sections;
}

/** A sectioned slot image of `sections` (any order; written in tag order). */
export function writeSlotImage(sections: Iterable<readonly [number, Uint8Array]>): Uint8Array {
  const sorted = [...sections].sort((a, b) => a[0] - b[0]);
  const writer = new BinaryWriter(2 + sorted.reduce((sum, [, body]) => sum + 5 + body.length, 0));
  writer.u8(SLOT_IMAGE_SECTIONED).u8(sorted.length);
  for (const [tag, body] of sorted) writer.u8(tag).u32Bytes(body);
  return writer.view();
}
