/**
 * The identity file `IDENTITY`: which cluster and node own a data dir, and a random
 * incarnation id for this disk's lifetime.
 * Format: `"DSYNCNID" | u32 version | 16-byte incarnation | u8 n | clusterId | u8 n | nodeId |
 * u32 crc32c(all before)`.
 */
import { BinaryReader, BinaryWriter, DecodeError } from "../../protocol/binary/mod.ts";
import { crc32c } from "./crc32.ts";
import { IdentityError } from "./errors.ts";
import { writeFileAtomic } from "./file_io.ts";
import type { FileSystem } from "./file_system.ts";
import { ID_BYTES_MAX } from "./limits.ts";
import type { StoreIdentity } from "./types.ts";

/** Name of the identity file inside the data dir. */
export const IDENTITY_FILE_NAME = "IDENTITY";
/** Magic bytes opening the identity file. */
const IDENTITY_MAGIC = new TextEncoder().encode("DSYNCNID");
/** Identity format version written by this code. */
const IDENTITY_FORMAT_VERSION = 1;
/** Size of the incarnation id, in bytes. */
const INCARNATION_BYTES = 16;
/** Largest identity file, in bytes. */
const IDENTITY_BYTES_MAX = 8 + 4 + INCARNATION_BYTES + 2 * (1 + ID_BYTES_MAX) + 4;

/** Creates a new identity with a random incarnation id. */
export function newIdentity(clusterId: string, nodeId: string): StoreIdentity {
  const incarnation = crypto.getRandomValues(new Uint8Array(INCARNATION_BYTES));
  return { clusterId, nodeId, incarnationId: toHex(incarnation) };
}

/** Writes `identity` into `dataDir` atomically. */
export async function writeIdentity(
  fs: FileSystem,
  dataDir: string,
  identity: StoreIdentity,
): Promise<void> {
  const buffer = new BinaryWriter(IDENTITY_BYTES_MAX, IDENTITY_BYTES_MAX);
  buffer.fixed(IDENTITY_MAGIC).u32le(IDENTITY_FORMAT_VERSION);
  buffer.fixed(fromHex(identity.incarnationId));
  buffer.u8String(identity.clusterId).u8String(identity.nodeId);
  buffer.u32le(crc32c(buffer.view()));
  await writeFileAtomic(fs, dataDir, IDENTITY_FILE_NAME, [buffer.view()]);
}

/** Reads the identity file of `dataDir`; null when absent; `IdentityError` when damaged. */
export async function readIdentity(
  fs: FileSystem,
  dataDir: string,
): Promise<StoreIdentity | null> {
  const path = `${dataDir}/${IDENTITY_FILE_NAME}`;
  let bytes: Uint8Array;
  try {
    const size = await fs.size(path);
    if (size === null) return null;
    if (size > IDENTITY_BYTES_MAX) throw damaged(path, `file of ${size} bytes`);
    bytes = await fs.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  return decodeIdentity(path, bytes);
}

function decodeIdentity(path: string, bytes: Uint8Array): StoreIdentity {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crcOffset = bytes.length - 4;
  if (bytes.length < 8 + 4 + INCARNATION_BYTES + 2 + 4) throw damaged(path, "file too short");
  if (crc32c(bytes, 0, 0, crcOffset) !== view.getUint32(crcOffset, true)) {
    throw damaged(path, "checksum mismatch");
  }
  for (let i = 0; i < IDENTITY_MAGIC.length; i++) {
    if (bytes[i] !== IDENTITY_MAGIC[i]) throw damaged(path, "bad magic");
  }
  const reader = new BinaryReader(bytes, "identity", IDENTITY_MAGIC.length, crcOffset);
  try {
    const version = reader.u32le();
    if (version !== IDENTITY_FORMAT_VERSION) throw damaged(path, `format version ${version}`);
    const incarnation = reader.fixedView(INCARNATION_BYTES);
    const clusterId = reader.u8String();
    const nodeId = reader.u8String();
    reader.expectEnd();
    return { clusterId, nodeId, incarnationId: toHex(incarnation) };
  } catch (error) {
    if (error instanceof DecodeError) throw damaged(path, error.message);
    throw error;
  }
}

function damaged(path: string, reason: string): IdentityError {
  return new IdentityError(
    `Cannot open data dir: identity file ${path} is damaged (${reason}); the node cannot prove ` +
      `what it voted for, so it must rejoin as a new member (see docs/storage.md)`,
  );
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(INCARNATION_BYTES);
  for (let i = 0; i < INCARNATION_BYTES; i++) {
    bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return bytes;
}
