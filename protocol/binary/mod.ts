/**
 * One binary reader/writer for every codec of dsync: the peer protocol, the Raft codec, the lock
 * and meta codecs, and the node log. Big-endian (network order) fields, little-endian only
 * through the explicit `*le` methods; length prefixes have explicit widths (`u8String`,
 * `u16String`, `u32Bytes`, ...). Every decode failure is one DecodeError. Pure: no I/O.
 *
 * @module
 */

export { BinaryReader } from "./binary_reader.ts";
export { BinaryWriter } from "./binary_writer.ts";
export { concatBytes } from "./concat_bytes.ts";
export { DecodeError } from "./decode_error.ts";
export { readWhole } from "./read_whole.ts";
export { U16_MAX, U32_MAX, U53_MAX, U8_MAX } from "./limits.ts";
export { StringInterner } from "./string_interner.ts";
