/**
 * The backup file `dsync backup` writes and `dsync restore` reads (pure codec), version 1:
 *
 *   header  = "DSYNCBAK" | u32 version | u53 createdAtMs | u16 string clusterId
 *             | u16 string fromNode | u32 slotCount | u32 crc32c(header so far)
 *   record* = u8 kind (1 meta, 2 slot) | u32 slot (0 for meta) | u53 appliedIndex
 *             | u32 imageBytes | image | u32 crc32c(record so far)
 *   trailer = "DSYNCEND" | u32 recordCount | u32 crc32c(every byte before the trailer)
 *
 * Big-endian. The meta record comes first, then one record per slot in slot order, each exactly
 * once: a file that decodes holds the whole cluster. Each record is checked on its own, so a
 * damaged file names the record that is damaged; a truncated one says where it ends.
 */
import { BinaryReader, BinaryWriter, concatBytes, DecodeError } from "../../protocol/binary/mod.ts";
import { crc32c } from "../storage/crc32.ts";

/** Magic bytes opening a backup file. */
const BACKUP_MAGIC = new TextEncoder().encode("DSYNCBAK");
/** Magic bytes opening the trailer. */
const TRAILER_MAGIC = new TextEncoder().encode("DSYNCEND");
/** Format version written by this code. */
export const BACKUP_FORMAT_VERSION = 1;
/** Bytes of the trailer. */
const TRAILER_BYTES = 16;
/** Most slots a backup may hold (as SLOT_COUNT_MAX). */
export const BACKUP_SLOTS_MAX = 16_384;
/** Largest image of one group, in bytes (a slot is at most 64 MiB by default). */
export const BACKUP_IMAGE_BYTES_MAX = 1024 * 1024 * 1024;
const KIND_META = 1;
const KIND_SLOT = 2;

/** What the header says. */
export interface BackupHeader {
  /** Wall-clock time the backup started, ms since the epoch. */
  createdAtMs: number;
  clusterId: string;
  /** The node the backup was asked of. */
  fromNode: string;
  slotCount: number;
}

/** One group's state: the meta group (`slot` null) or a slot group. */
export interface BackupRecord {
  slot: number | null;
  /** The group's applied index when its image was taken (at least the read barrier's index). */
  appliedIndex: number;
  /** The state machine's snapshot image. */
  image: Uint8Array;
}

/** A whole decoded backup. */
export interface BackupContents {
  header: BackupHeader;
  meta: BackupRecord;
  /** One per slot, in slot order. */
  slots: BackupRecord[];
}

/** The header's bytes. */
export function encodeBackupHeader(header: BackupHeader): Uint8Array {
  const writer = new BinaryWriter(64 + header.clusterId.length + header.fromNode.length);
  writer.fixed(BACKUP_MAGIC).u32(BACKUP_FORMAT_VERSION).u53(header.createdAtMs);
  writer.u16String(header.clusterId).u16String(header.fromNode).u32(header.slotCount);
  writer.u32(crc32c(writer.view()));
  return writer.copy();
}

/** One record's bytes (the image is copied in). */
export function encodeBackupRecord(record: BackupRecord): Uint8Array {
  const writer = new BinaryWriter(record.image.length + 32);
  writer.u8(record.slot === null ? KIND_META : KIND_SLOT).u32(record.slot ?? 0);
  writer.u53(record.appliedIndex).u32Bytes(record.image);
  writer.u32(crc32c(writer.view()));
  return writer.copy();
}

/** The trailer's bytes; `crc` is the crc32c of every byte before it (chained). */
export function encodeBackupTrailer(recordCount: number, crc: number): Uint8Array {
  return new BinaryWriter(TRAILER_BYTES).fixed(TRAILER_MAGIC).u32(recordCount).u32(crc).copy();
}

/** A whole backup in one buffer (tests; the CLI streams the same parts to the file). */
export function encodeBackup(contents: BackupContents): Uint8Array {
  const parts = [
    encodeBackupHeader(contents.header),
    encodeBackupRecord(contents.meta),
    ...contents.slots.map(encodeBackupRecord),
  ];
  let crc = 0;
  for (const part of parts) crc = crc32c(part, crc);
  parts.push(encodeBackupTrailer(parts.length - 1, crc));
  return concatBytes(parts);
}

/**
 * Decodes and verifies a whole backup; throws a DecodeError saying what is wrong and where
 * (never another error). `onRecord` is called after each verified record (progress).
 */
export function decodeBackup(
  bytes: Uint8Array,
  onRecord: (done: number, total: number) => void = () => {},
): BackupContents {
  const reader = new BinaryReader(bytes, "backup file");
  const header = readTruncating(reader, "the header", () => readHeader(reader, bytes));
  const total = header.slotCount + 1;
  const records: BackupRecord[] = [];
  for (let i = 0; i < total; i++) {
    const expected = i === 0 ? null : i - 1;
    if (reader.remainingBytes === 0) {
      throw reader.error(
        `truncated after ${i} of ${total} records at offset ${reader.offsetBytes} ` +
          `(the file ends where ${expected === null ? "the meta record" : `slot ${expected}`} ` +
          `should start)`,
      );
    }
    const name = expected === null ? "the meta record" : `the record of slot ${expected}`;
    records.push(readTruncating(reader, name, () => readRecord(reader, bytes, expected)));
    onRecord(i + 1, total);
  }
  readTrailer(reader, bytes, total);
  return { header, meta: records[0]!, slots: records.slice(1) };
}

/** `read()`, with a read past the end reported as the file being truncated inside `part`. */
function readTruncating<T>(reader: BinaryReader, part: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof DecodeError && error.truncated)) throw error;
    throw reader.error(
      `truncated inside ${part} (the backup was not finished or was cut short): ` +
        error.message.replace(/^Cannot decode [^:]*: /, ""),
    );
  }
}

function readHeader(reader: BinaryReader, bytes: Uint8Array): BackupHeader {
  const magic = reader.fixedView(BACKUP_MAGIC.length);
  if (!magic.every((byte, i) => byte === BACKUP_MAGIC[i])) {
    throw reader.error("not a dsync backup (bad magic bytes at offset 0)");
  }
  const version = reader.u32();
  if (version !== BACKUP_FORMAT_VERSION) {
    throw reader.error(`format version ${version} is not supported (this dsync reads 1)`);
  }
  const createdAtMs = reader.u53();
  const clusterId = reader.u16String();
  const fromNode = reader.u16String();
  const slotCount = reader.u32();
  const crcAt = reader.offsetBytes;
  const crc = reader.u32();
  if (crc !== crc32c(bytes, 0, 0, crcAt)) {
    throw reader.error("header checksum mismatch (the file is damaged)");
  }
  if (slotCount < 1 || slotCount > BACKUP_SLOTS_MAX) {
    throw reader.error(`slot count ${slotCount} is not in 1..${BACKUP_SLOTS_MAX}`);
  }
  return { createdAtMs, clusterId, fromNode, slotCount };
}

function readRecord(
  reader: BinaryReader,
  bytes: Uint8Array,
  expectedSlot: number | null,
): BackupRecord {
  const name = expectedSlot === null ? "the meta record" : `the record of slot ${expectedSlot}`;
  const start = reader.offsetBytes;
  const kind = reader.u8();
  const slot = reader.u32();
  const kindOk = expectedSlot === null ? kind === KIND_META : kind === KIND_SLOT;
  if (!kindOk || (expectedSlot !== null && slot !== expectedSlot)) {
    throw reader.error(
      `expected ${name} at offset ${start}, found kind ${kind} slot ${slot} (damaged or reordered)`,
    );
  }
  const appliedIndex = reader.u53();
  const image = reader.u32Bytes(BACKUP_IMAGE_BYTES_MAX);
  const crcAt = reader.offsetBytes;
  const crc = reader.u32();
  if (crc !== crc32c(bytes, 0, start, crcAt)) {
    throw reader.error(`checksum mismatch in ${name} at offset ${start} (the file is damaged)`);
  }
  return { slot: expectedSlot, appliedIndex, image };
}

function readTrailer(reader: BinaryReader, bytes: Uint8Array, total: number): void {
  const start = reader.offsetBytes;
  if (reader.remainingBytes < TRAILER_BYTES) {
    throw reader.error(
      `truncated: the trailer at offset ${start} needs ${TRAILER_BYTES} bytes but only ` +
        `${reader.remainingBytes} remain (the backup was not finished or was cut short)`,
    );
  }
  const magic = reader.fixedView(TRAILER_MAGIC.length);
  if (!magic.every((byte, i) => byte === TRAILER_MAGIC[i])) {
    throw reader.error(`bad trailer at offset ${start} (the file is damaged)`);
  }
  const count = reader.u32();
  if (count !== total) throw reader.error(`trailer counts ${count} records, the file has ${total}`);
  if (reader.u32() !== crc32c(bytes, 0, 0, start)) {
    throw reader.error("file checksum mismatch (the file is damaged)");
  }
  reader.expectEnd();
}
