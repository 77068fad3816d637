/**
 * Opening a data dir: lock it, check (or create) its identity, and find its segments.
 *
 * Layout: `LOCK`, `IDENTITY`, `wal/<seq>.seg`, `snap/<index>.snap`. The identity file is written
 * last on initialisation and its presence promises that `wal/` holds the node's whole history,
 * so a dir that lost its log (wiped, or another node's) is refused instead of letting the node
 * vote again in a term it already voted in.
 */
import { DirLock } from "./dir_lock.ts";
import { IdentityError } from "./errors.ts";
import { exists, removeIfExists } from "./file_io.ts";
import type { FileSystem } from "./file_system.ts";
import { IDENTITY_FILE_NAME, newIdentity, readIdentity, writeIdentity } from "./identity.ts";
import type { ResolvedWalOptions } from "./options.ts";
import { segmentFileName, segmentSeqs } from "./segments.ts";
import { snapshotIndexes } from "./snapshot_file.ts";
import type { StoreIdentity } from "./types.ts";

/** A locked data dir whose identity matches the caller. */
export interface PreparedDataDir {
  /** The held lock (release on close). */
  lock: DirLock;
  /** The dir's identity. */
  identity: StoreIdentity;
  /** True when this open initialised the dir. */
  created: boolean;
  /** Directory of the segment files. */
  walDir: string;
  /** Directory of the snapshot files. */
  snapDir: string;
  /** Segment sequence numbers, ascending and gap-free; at least one. */
  seqs: number[];
  /** Snapshot indexes, newest first. */
  snapshotIndexes: number[];
}

/** Locks `dataDir` and checks or creates its identity; see the module comment. */
export async function prepareDataDir(
  dataDir: string,
  options: ResolvedWalOptions,
): Promise<PreparedDataDir> {
  const fs = options.fileSystem;
  if (options.expectExisting && !(await exists(fs, dataDir))) {
    throw wipedError(dataDir, "the directory does not exist");
  }
  await fs.mkdir(dataDir);
  const lock = await DirLock.acquire(fs, dataDir);
  try {
    return await checkIdentity(fs, dataDir, options, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function checkIdentity(
  fs: FileSystem,
  dataDir: string,
  options: ResolvedWalOptions,
  lock: DirLock,
): Promise<PreparedDataDir> {
  const walDir = `${dataDir}/wal`;
  const snapDir = `${dataDir}/snap`;
  const identity = await readIdentity(fs, dataDir);
  const seqs = segmentSeqs(walDir, await fs.list(walDir));
  const snapNames = await fs.list(snapDir);
  const snapshots = snapshotIndexes(snapNames);
  await removeTempFiles(fs, dataDir, [IDENTITY_FILE_NAME + ".tmp"]);
  await removeTempFiles(fs, snapDir, snapNames.filter((name) => name.endsWith(".tmp")));
  const prepared = { lock, walDir, snapDir, seqs, snapshotIndexes: snapshots, created: false };
  if (identity === null) {
    if (snapshots.length > 0 || (await holdsRecords(fs, walDir, seqs))) {
      throw new IdentityError(
        `Cannot open data dir ${dataDir}: it holds log data but no ${IDENTITY_FILE_NAME} file; ` +
          `refusing to guess which node it belongs to (see docs/storage.md)`,
      );
    }
    if (options.expectExisting) throw wipedError(dataDir, "it holds no identity and no log");
    const created = newIdentity(options.clusterId, options.nodeId);
    await initialise(fs, dataDir, walDir, snapDir, seqs, created);
    return { ...prepared, identity: created, created: true };
  }
  if (identity.clusterId !== options.clusterId || identity.nodeId !== options.nodeId) {
    throw new IdentityError(
      `Cannot open data dir ${dataDir}: it belongs to node ${identity.nodeId} of cluster ` +
        `${identity.clusterId}, not node ${options.nodeId} of cluster ${options.clusterId}`,
    );
  }
  if (seqs.length === 0) {
    throw wipedError(dataDir, `${IDENTITY_FILE_NAME} exists but ${walDir} holds no segments`);
  }
  return { ...prepared, identity };
}

/** Creates `wal/` with an empty first segment and `snap/`, then writes the identity last. */
async function initialise(
  fs: FileSystem,
  dataDir: string,
  walDir: string,
  snapDir: string,
  seqs: number[],
  identity: StoreIdentity,
): Promise<void> {
  await fs.mkdir(walDir);
  await fs.mkdir(snapDir);
  if (seqs.length === 0) {
    const file = await fs.open(`${walDir}/${segmentFileName(1)}`, "createNew");
    file.close();
    seqs.push(1);
  }
  await fs.syncDir(walDir);
  await fs.syncDir(dataDir);
  // The data dir itself may be new: make its entry in the parent durable too.
  await fs.syncDir(parentDir(await fs.realPath(dataDir)));
  await writeIdentity(fs, dataDir, identity);
}

/** True when any segment file holds bytes (an initialised log, not a crashed initialisation). */
async function holdsRecords(
  fs: FileSystem,
  walDir: string,
  seqs: readonly number[],
): Promise<boolean> {
  for (const seq of seqs) {
    if (((await fs.size(`${walDir}/${segmentFileName(seq)}`)) ?? 0) > 0) return true;
  }
  return false;
}

async function removeTempFiles(
  fs: FileSystem,
  dir: string,
  names: readonly string[],
): Promise<void> {
  for (const name of names) await removeIfExists(fs, `${dir}/${name}`);
}

function parentDir(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut <= 0 ? "/" : path.slice(0, cut);
}

function wipedError(dataDir: string, detail: string): IdentityError {
  return new IdentityError(
    `Cannot open data dir ${dataDir}: ${detail}, but the node is expected to be an existing ` +
      `member; its votes and log are lost, so it must rejoin as a new member: remove the old ` +
      `node id from the cluster and add a new one (see docs/storage.md)`,
  );
}
