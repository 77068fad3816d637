/**
 * The snapshot files of the node log's groups: `snap/<groupId, 10 digits>/<index>.snap`, one
 * `SnapshotStore` per group. At open each live group's newest valid snapshot is loaded and
 * checked against the snapshot its records name; directories of groups the log no longer holds
 * (a removal that crashed before deleting them, a first snapshot never recorded) are deleted.
 */
import { CorruptLogError } from "./errors.ts";
import { removeIfExists } from "./file_io.ts";
import type { FileSystem } from "./file_system.ts";
import { compactGroup, type NodeReplay } from "./node_replay.ts";
import type { ResolvedNodeLogOptions } from "./node_log_options.ts";
import { snapshotIndexes, type SnapshotLimits } from "./snapshot_file.ts";
import { openSnapshots, SnapshotStore } from "./snapshot_store.ts";

/** Matches a group's snapshot directory name, capturing the group id. */
const GROUP_DIR_NAME = /^(\d{10})$/;

/** Name of `groupId`'s snapshot directory. */
export function groupDirName(groupId: number): string {
  return String(groupId).padStart(10, "0");
}

/** Per-group snapshot stores under one `snap/` directory. */
export class NodeSnapshots {
  readonly #fs: FileSystem;
  readonly #snapDir: string;
  readonly #limits: SnapshotLimits;
  readonly #stores = new Map<number, SnapshotStore>();
  /** Groups whose directory exists durably. */
  readonly #durableDirs = new Set<number>();

  constructor(fs: FileSystem, snapDir: string, limits: SnapshotLimits) {
    this.#fs = fs;
    this.#snapDir = snapDir;
    this.#limits = limits;
  }

  /** Directory of `groupId`'s snapshots. */
  dir(groupId: number): string {
    return `${this.#snapDir}/${groupDirName(groupId)}`;
  }

  /** The store of `groupId` (empty when it has no snapshot yet). */
  store(groupId: number): SnapshotStore {
    let store = this.#stores.get(groupId);
    if (store === undefined) {
      store = new SnapshotStore(this.#fs, this.dir(groupId), this.#limits, null);
      this.#stores.set(groupId, store);
    }
    return store;
  }

  /** Registers a store loaded at open, whose directory exists durably. */
  opened(groupId: number, store: SnapshotStore): void {
    this.#stores.set(groupId, store);
    this.#durableDirs.add(groupId);
  }

  /** Creates `groupId`'s directory and makes its entry durable (once). */
  async ensureDir(groupId: number): Promise<void> {
    if (this.#durableDirs.has(groupId)) return;
    await this.#fs.mkdir(this.dir(groupId));
    await this.#fs.syncDir(this.#snapDir);
    this.#durableDirs.add(groupId);
  }

  /** Deletes `groupId`'s files and directory durably and forgets its store. */
  async removeGroup(groupId: number): Promise<void> {
    await removeDirectory(this.#fs, this.dir(groupId));
    await this.#fs.syncDir(this.#snapDir);
    this.#stores.delete(groupId);
    this.#durableDirs.delete(groupId);
  }
}

/** Loads every live group's snapshot (compacting its replayed log to it); deletes orphans. */
export async function openGroupSnapshots(
  fs: FileSystem,
  snapDir: string,
  replay: NodeReplay,
  options: ResolvedNodeLogOptions,
): Promise<NodeSnapshots> {
  const limits = {
    configBytesMax: options.snapshotConfigBytesMax,
    dataBytesMax: options.snapshotDataBytesMax,
  };
  const snapshots = new NodeSnapshots(fs, snapDir, limits);
  let orphanCount = 0;
  for (const name of await fs.list(snapDir)) {
    const match = GROUP_DIR_NAME.exec(name);
    if (match === null) continue;
    const groupId = Number(match[1]);
    const dir = `${snapDir}/${name}`;
    const group = replay.groups.get(groupId);
    if (group === undefined) {
      await removeDirectory(fs, dir);
      orphanCount += 1;
      continue;
    }
    const names = await fs.list(dir);
    for (const tmp of names.filter((file) => file.endsWith(".tmp"))) {
      await removeIfExists(fs, `${dir}/${tmp}`);
    }
    const store = await openSnapshots(fs, dir, snapshotIndexes(names), limits, options.log);
    snapshots.opened(groupId, store);
    const meta = store.meta;
    if (meta !== null) compactGroup(group, meta.index, meta.term);
  }
  if (orphanCount > 0) await fs.syncDir(snapDir);
  for (const [groupId, group] of replay.groups) {
    const needed = Math.max(group.index.snapshotIndex, group.missingThroughIndex);
    const onDisk = snapshots.store(groupId).meta?.index ?? 0;
    if (needed > onDisk) {
      throw new CorruptLogError(
        snapshots.dir(groupId),
        0,
        `group ${groupId} needs a snapshot up to index ${needed} (recorded, or its earlier ` +
          `entries are gone) but no valid snapshot file reaches it`,
      );
    }
  }
  return snapshots;
}

/** Removes the files of `dir` and then `dir` itself. */
async function removeDirectory(fs: FileSystem, dir: string): Promise<void> {
  for (const name of await fs.list(dir)) await fs.remove(`${dir}/${name}`);
  await removeIfExists(fs, dir);
}
