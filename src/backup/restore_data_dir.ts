/**
 * `dsync restore`: verifies a backup file and prepares an empty data dir from it for one node of
 * a new cluster (restore_seed.ts says what the node does with it). Run once per node of the new
 * cluster with the same file and the same `--peers`, like `etcdctl snapshot restore`.
 */
import { DecodeError } from "../../protocol/binary/mod.ts";
import { decodeBackup } from "./backup_format.ts";
import {
  RESTORE_BACKUP_NAME,
  RESTORE_DIR_NAME,
  RESTORE_INFO_NAME,
  type RestoreInfo,
} from "./restore_seed.ts";
import { checkMetaSlotCount, metaSeedImage, slotSeedImage } from "./seed_image.ts";

/** Largest backup file restore reads (it is verified in memory). */
export const RESTORE_FILE_BYTES_MAX = 2 * 1024 * 1024 * 1024 - 1;

/** What restore needs. */
export interface RestoreOptions {
  input: string;
  dataDir: string;
  nodeId: string;
  /** The new cluster's `--peers` (ID=HOST:PORT,...), which must name `nodeId`. */
  peers: string;
  /** Called after each verified record: records done, records in all. */
  onProgress(done: number, total: number): void;
}

/** Verifies `input` and writes the restore files into `dataDir`; throws an Error saying why not. */
export async function restoreDataDir(options: RestoreOptions): Promise<RestoreInfo> {
  const ids = options.peers.split(",").map((entry) => entry.split("=")[0]!.trim());
  if (!ids.includes(options.nodeId)) {
    throw new Error(`--peers does not name --id '${options.nodeId}'`);
  }
  if (!await isEmptyOrMissing(options.dataDir)) {
    throw new Error(`data dir ${options.dataDir} is not empty: restore only into a new dir`);
  }
  const size = (await Deno.stat(options.input)).size;
  if (size > RESTORE_FILE_BYTES_MAX) {
    throw new Error(`${options.input} is ${size} bytes; restore reads at most 2 GiB`);
  }
  const bytes = await Deno.readFile(options.input);
  let slotCount: number;
  let info: RestoreInfo;
  try {
    const contents = decodeBackup(bytes, options.onProgress);
    checkMetaSlotCount(contents.meta.image, contents.header.slotCount);
    metaSeedImage(contents.meta.image);
    for (const record of contents.slots) slotSeedImage(record.image, record.slot!);
    slotCount = contents.header.slotCount;
    info = {
      nodeId: options.nodeId,
      peers: options.peers,
      slotCount,
      fromCluster: contents.header.clusterId,
      fromNode: contents.header.fromNode,
      backupCreatedAtMs: contents.header.createdAtMs,
    };
  } catch (error) {
    if (
      error instanceof DecodeError ||
      (error instanceof Error && /Cannot decode/.test(error.message))
    ) {
      throw new Error(`${options.input} is not a usable backup: ${error.message}`);
    }
    throw error;
  }
  const dir = `${options.dataDir}/${RESTORE_DIR_NAME}`;
  await Deno.mkdir(dir, { recursive: true });
  await writeDurably(dir, RESTORE_BACKUP_NAME, bytes);
  await writeDurably(dir, RESTORE_INFO_NAME, new TextEncoder().encode(JSON.stringify(info) + "\n"));
  return info;
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    for await (const _ of Deno.readDir(dir)) return false;
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    throw error;
  }
}

/** Writes `dir/name` through a synced temp file and a rename. */
async function writeDurably(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${dir}/${name}.tmp`;
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
  try {
    for (let offset = 0; offset < bytes.length;) offset += await file.write(bytes.subarray(offset));
    await file.sync();
  } finally {
    file.close();
  }
  await Deno.rename(tmp, `${dir}/${name}`);
}
