/**
 * Snapshot files `snap/<index, 20 digits>.snap`:
 * `"DSYNCSNP" | u32 version | u32 configBytes | u64 index | u64 term | u64 dataBytes |
 * u32 crc32c(header so far) | config | data | u32 crc32c(config ++ data)`, little-endian.
 * Written atomically (temp file, fsync, rename, directory fsync).
 */
import { BinaryReader, BinaryWriter, DecodeError } from "../../protocol/binary/mod.ts";
import { crc32c } from "./crc32.ts";
import { CorruptSnapshotError } from "./errors.ts";
import { readFileChunked, writeFileAtomic } from "./file_io.ts";
import type { FileSystem } from "./file_system.ts";
import type { SnapshotMeta, StoredSnapshot } from "./types.ts";

/** Magic bytes opening every snapshot file. */
const SNAPSHOT_MAGIC = new TextEncoder().encode("DSYNCSNP");
/** Snapshot format version written by this code. */
const SNAPSHOT_FORMAT_VERSION = 1;
/** Size of the header (checksum included), in bytes. */
const SNAPSHOT_HEADER_BYTES = 44;
/** Size of the trailing body checksum, in bytes. */
const SNAPSHOT_TRAILER_BYTES = 4;
/** Bytes written or read (and checksummed) per I/O call, so large snapshots yield to I/O. */
const SNAPSHOT_IO_CHUNK_BYTES = 4 * 1024 * 1024;
/** Matches a snapshot file name, capturing its index. */
const SNAPSHOT_NAME = /^(\d{20})\.snap$/;

/** Bounds applied when reading a snapshot back. */
export interface SnapshotLimits {
  /** Largest configuration, in bytes. */
  configBytesMax: number;
  /** Largest state machine image, in bytes. */
  dataBytesMax: number;
}

/** File name of the snapshot at `index`. */
export function snapshotFileName(index: number): string {
  return `${String(index).padStart(20, "0")}.snap`;
}

/** Indexes of the snapshot files among `names`, newest first. */
export function snapshotIndexes(names: readonly string[]): number[] {
  const indexes: number[] = [];
  for (const name of names) {
    const match = SNAPSHOT_NAME.exec(name);
    if (match !== null) indexes.push(Number(match[1]));
  }
  return indexes.sort((a, b) => b - a);
}

/** Writes the snapshot into `snapDir` atomically; returns its path. */
export async function writeSnapshotFile(
  fs: FileSystem,
  snapDir: string,
  meta: SnapshotMeta,
  data: Uint8Array,
): Promise<string> {
  const name = snapshotFileName(meta.index);
  await writeFileAtomic(fs, snapDir, name, snapshotChunks(meta, data));
  return `${snapDir}/${name}`;
}

/** The file's bytes as chunks of at most `SNAPSHOT_IO_CHUNK_BYTES`, checksummed on the way. */
function* snapshotChunks(meta: SnapshotMeta, data: Uint8Array): Generator<Uint8Array> {
  const header = new BinaryWriter(SNAPSHOT_HEADER_BYTES, SNAPSHOT_HEADER_BYTES);
  header.fixed(SNAPSHOT_MAGIC).u32le(SNAPSHOT_FORMAT_VERSION).u32le(meta.config.length);
  header.u53le(meta.index).u53le(meta.term).u53le(data.length);
  header.u32le(crc32c(header.view()));
  yield header.view();
  let bodyCrc = 0;
  for (const part of [meta.config, data]) {
    for (let start = 0; start < part.length; start += SNAPSHOT_IO_CHUNK_BYTES) {
      const chunk = part.subarray(start, start + SNAPSHOT_IO_CHUNK_BYTES);
      bodyCrc = crc32c(chunk, bodyCrc);
      yield chunk;
    }
  }
  yield new BinaryWriter(SNAPSHOT_TRAILER_BYTES, SNAPSHOT_TRAILER_BYTES).u32le(bodyCrc).view();
}

/** Reads and verifies the snapshot file at `path`; throws `CorruptSnapshotError`. */
export async function readSnapshotFile(
  fs: FileSystem,
  path: string,
  limits: SnapshotLimits,
): Promise<StoredSnapshot> {
  const size = await fs.size(path);
  if (size === null) throw new Deno.errors.NotFound(`Cannot read snapshot: ${path} is missing`);
  const sizeMax = SNAPSHOT_HEADER_BYTES + limits.configBytesMax + limits.dataBytesMax +
    SNAPSHOT_TRAILER_BYTES;
  if (size > sizeMax) {
    throw new CorruptSnapshotError(path, `size ${size} exceeds maximum of ${sizeMax} bytes`);
  }
  if (size < SNAPSHOT_HEADER_BYTES + SNAPSHOT_TRAILER_BYTES) {
    throw new CorruptSnapshotError(path, `file of ${size} bytes is too short`);
  }
  const bodyEnd = size - SNAPSHOT_TRAILER_BYTES;
  let bodyCrc = 0;
  const bytes = await readFileChunked(
    fs,
    path,
    size,
    SNAPSHOT_IO_CHUNK_BYTES,
    (all, start, end) => {
      const from = Math.max(start, SNAPSHOT_HEADER_BYTES);
      const to = Math.min(end, bodyEnd);
      if (from < to) bodyCrc = crc32c(all, bodyCrc, from, to);
    },
  );
  return decodeSnapshot(path, bytes, limits, bodyCrc);
}

/** Verifies and decodes a snapshot file's content; `bodyCrc` is the CRC of config ++ data. */
function decodeSnapshot(
  path: string,
  bytes: Uint8Array,
  limits: SnapshotLimits,
  bodyCrc: number,
): StoredSnapshot {
  if (bytes.length < SNAPSHOT_HEADER_BYTES + SNAPSHOT_TRAILER_BYTES) {
    throw new CorruptSnapshotError(path, `file of ${bytes.length} bytes is too short`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (crc32c(bytes, 0, 0, 40) !== view.getUint32(40, true)) {
    throw new CorruptSnapshotError(path, "header checksum mismatch");
  }
  for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) {
    if (bytes[i] !== SNAPSHOT_MAGIC[i]) throw new CorruptSnapshotError(path, "bad magic");
  }
  const { version, configBytes, index, term, dataBytes } = readHeader(path, bytes);
  if (version !== SNAPSHOT_FORMAT_VERSION) {
    throw new CorruptSnapshotError(path, `unsupported format version ${version}`);
  }
  if (configBytes > limits.configBytesMax || dataBytes > limits.dataBytesMax) {
    throw new CorruptSnapshotError(path, `config or data exceeds its maximum`);
  }
  const bodyEnd = SNAPSHOT_HEADER_BYTES + configBytes + dataBytes;
  if (index < 1 || bodyEnd + SNAPSHOT_TRAILER_BYTES !== bytes.length) {
    throw new CorruptSnapshotError(path, `header does not match a file of ${bytes.length} bytes`);
  }
  if (bodyCrc !== view.getUint32(bodyEnd, true)) {
    throw new CorruptSnapshotError(path, "body checksum mismatch");
  }
  const configStart = SNAPSHOT_HEADER_BYTES;
  return {
    index,
    term,
    config: bytes.slice(configStart, configStart + configBytes),
    data: bytes.subarray(configStart + configBytes, bodyEnd),
  };
}

/** The header fields after the magic (its checksum already verified). */
function readHeader(path: string, bytes: Uint8Array) {
  const reader = new BinaryReader(bytes, "snapshot header", SNAPSHOT_MAGIC.length, 40);
  try {
    return {
      version: reader.u32le(),
      configBytes: reader.u32le(),
      index: reader.u53le(),
      term: reader.u53le(),
      dataBytes: reader.u53le(),
    };
  } catch (error) {
    if (error instanceof DecodeError) throw new CorruptSnapshotError(path, error.message);
    throw error;
  }
}
