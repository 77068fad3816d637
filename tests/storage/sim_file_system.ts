/**
 * A simulated disk for storage tests: a `FileSystem` that remembers, per file, what a sync
 * made durable and, per directory, which entries a directory sync made durable. `crash()`
 * keeps an arbitrary subset of the unsynced 4 KiB pages of every file (later pages without
 * earlier ones included, as LazyFS does) and an arbitrary subset of the unsynced directory
 * changes, then drops every open handle and lock. `crashAfterOps(n)` cuts the power after n
 * more mutating operations: every later call throws `SimulatedCrashError` until `crash()`.
 * `setCapacity(bytes)` makes writes beyond the capacity fail with ENOSPC after writing what
 * fits (as a real disk does); `failSyncs(n, code)` makes the next n file syncs fail the Linux
 * way: the dirty pages are marked clean without becoming durable.
 */
import type { FileLock, FileSystem, OpenMode, StorageFile } from "../../src/storage/file_system.ts";

/** Page size of the simulated page cache, in bytes. */
export const SIM_PAGE_BYTES = 4096;
/** Largest simulated file, in bytes (bounds the memory a test can use). */
const SIM_FILE_BYTES_MAX = 64 * 1024 * 1024;

/** The error a real disk gives when it is full. */
export function simNoSpaceError(): Error {
  return Object.assign(new Error("No space left on device (os error 28)"), { code: "ENOSPC" });
}

/** Thrown by every operation once the simulated power is cut. */
export class SimulatedCrashError extends Error {
  override name = "SimulatedCrashError";
}

/** One file's content: what the page cache holds and what is durable. */
class SimInode {
  /** Content as seen by reads (page cache). */
  current = new Uint8Array(0);
  /** Content a crash falls back to, page by page. */
  durable = new Uint8Array(0);
  /** Pages written or truncated since the last sync. */
  dirtyPages = new Set<number>();

  write(bytes: Uint8Array, offset: number): void {
    const end = offset + bytes.length;
    if (end > SIM_FILE_BYTES_MAX) throw new RangeError(`simulated file over ${end} bytes`);
    if (end > this.current.length) this.#resize(end);
    this.current.set(bytes, offset);
    this.#markDirty(offset, end);
  }

  truncate(size: number): void {
    const before = this.current.length;
    this.#resize(size);
    this.#markDirty(Math.min(before, size), Math.max(before, size));
  }

  /** Makes the dirty pages (and the size) durable; clean pages keep their durable content. */
  sync(): void {
    const next = new Uint8Array(this.current.length);
    next.set(this.durable.subarray(0, Math.min(this.durable.length, next.length)));
    for (const page of this.dirtyPages) {
      const start = page * SIM_PAGE_BYTES;
      const end = Math.min(this.current.length, start + SIM_PAGE_BYTES);
      if (end > start) next.set(this.current.subarray(start, end), start);
    }
    this.durable = next;
    this.dirtyPages.clear();
  }

  /** A failed fsync: the dirty pages are dropped from the writeback list, not made durable. */
  failSync(): void {
    this.dirtyPages.clear();
  }

  /** Bytes the file occupies (whole pages). */
  get allocatedBytes(): number {
    return Math.ceil(this.current.length / SIM_PAGE_BYTES) * SIM_PAGE_BYTES;
  }

  /** Keeps each dirty page's new content when `keep()` says so, else its durable content. */
  crash(keep: () => boolean): void {
    const pageCount = Math.ceil(
      Math.max(this.current.length, this.durable.length) / SIM_PAGE_BYTES,
    );
    const result = new Uint8Array(pageCount * SIM_PAGE_BYTES);
    let length = 0;
    for (let page = 0; page < pageCount; page++) {
      const source = this.dirtyPages.has(page) && keep() ? this.current : this.durable;
      const start = page * SIM_PAGE_BYTES;
      const end = Math.min(source.length, start + SIM_PAGE_BYTES);
      if (end <= start) continue;
      result.set(source.subarray(start, end), start);
      length = end;
    }
    this.current = result.slice(0, length);
    this.durable = this.current.slice();
    this.dirtyPages.clear();
  }

  #resize(size: number): void {
    const next = new Uint8Array(size);
    next.set(this.current.subarray(0, Math.min(size, this.current.length)));
    this.current = next;
  }

  #markDirty(start: number, end: number): void {
    if (end <= start) return;
    const last = Math.floor((end - 1) / SIM_PAGE_BYTES);
    for (let page = Math.floor(start / SIM_PAGE_BYTES); page <= last; page++) {
      this.dirtyPages.add(page);
    }
  }
}

/** A directory: its entries now, and the entries a directory sync made durable. */
class SimDir {
  current = new Map<string, SimNode>();
  durable = new Map<string, SimNode>();
}

type SimNode = SimInode | SimDir;

/** Counters of the operations tests care about. */
export interface SimFileSystemStats {
  /** `StorageFile.sync()` calls. */
  fileSyncCount: number;
  /** `syncDir()` calls. */
  dirSyncCount: number;
  /** Mutating operations performed (writes, syncs, truncations, creations, ...). */
  opCount: number;
  /** Crashes simulated. */
  crashCount: number;
}

/** The simulated disk; paths are absolute (`/data/n1/wal/...`). */
export class SimFileSystem implements FileSystem {
  readonly #root = new SimDir();
  /** Bumped by each crash: handles and locks of an older generation are dead. */
  #generation = 0;
  #locks = new Set<string>();
  /** Mutating operations left before the power is cut; Infinity = never. */
  #opsBeforeCrash = Infinity;
  #powerCut = false;
  /** Bytes all files may occupy together (whole pages); Infinity = no limit. */
  #capacityBytes = Infinity;
  /** File syncs left to fail, and the error code they fail with. */
  #syncFailures = { count: 0, code: "EIO" };
  readonly stats: SimFileSystemStats = {
    fileSyncCount: 0,
    dirSyncCount: 0,
    opCount: 0,
    crashCount: 0,
  };

  /** Cuts the power after `count` more mutating operations (0 = the next one fails). */
  crashAfterOps(count: number): void {
    this.#opsBeforeCrash = count;
  }

  /** Limits the bytes all files may occupy together (Infinity: no limit). */
  setCapacity(bytes: number): void {
    this.#capacityBytes = bytes;
  }

  /** Bytes all files occupy now (whole pages). */
  usedBytes(): number {
    let used = 0;
    const visit = (dir: SimDir, seen: Set<SimNode>) => {
      for (const node of dir.current.values()) {
        if (seen.has(node)) continue;
        seen.add(node);
        if (node instanceof SimDir) visit(node, seen);
        else used += node.allocatedBytes;
      }
    };
    visit(this.#root, new Set());
    return used;
  }

  /** The next `count` file syncs fail with an error of `code` (ENOSPC, EIO, ...). */
  failSyncs(count: number, code: string): void {
    this.#syncFailures = { count, code };
  }

  /** Writes `bytes` at `offset` of `inode`, as far as the capacity allows (ENOSPC beyond). */
  writeWithinCapacity(inode: SimInode, bytes: Uint8Array, offset: number): void {
    const end = offset + bytes.length;
    const growth = Math.ceil(end / SIM_PAGE_BYTES) * SIM_PAGE_BYTES - inode.allocatedBytes;
    if (growth <= 0 || this.usedBytes() + growth <= this.#capacityBytes) {
      inode.write(bytes, offset);
      return;
    }
    const free = Math.max(0, this.#capacityBytes - this.usedBytes());
    const fitEnd = Math.min(end, inode.allocatedBytes + free - (free % SIM_PAGE_BYTES));
    if (fitEnd > offset) inode.write(bytes.subarray(0, fitEnd - offset), offset);
    throw simNoSpaceError();
  }

  /** Syncs `inode`, or fails the sync when `failSyncs` asked for it. */
  syncInode(inode: SimInode): void {
    if (this.#syncFailures.count > 0) {
      this.#syncFailures.count -= 1;
      inode.failSync();
      const code = this.#syncFailures.code;
      throw Object.assign(new Error(`simulated fsync failure (${code})`), { code });
    }
    inode.sync();
    this.countFileSync();
  }

  /** True once the power was cut and `crash()` has not run yet. */
  get powerCut(): boolean {
    return this.#powerCut;
  }

  /**
   * Simulates a power loss: each unsynced page and each unsynced directory change survives
   * when `random() < keepProbability`. Open handles and locks die; the power comes back.
   */
  crash(random: () => number, keepProbability = 0.5): void {
    const keep = () => random() < keepProbability;
    this.#crashDir(this.#root, keep, new Set());
    this.#generation += 1;
    this.#locks = new Set();
    this.#opsBeforeCrash = Infinity;
    this.#powerCut = false;
    this.stats.crashCount += 1;
  }

  /** The durable content of the file at `path` as a test sees it (current view). */
  fileBytes(path: string): Uint8Array | null {
    const node = this.#lookup(path);
    return node instanceof SimInode ? node.current.slice() : null;
  }

  /** Overwrites bytes of the file at `path` as if it were synced (for corruption tests). */
  corrupt(path: string, offset: number, bytes: Uint8Array): void {
    const node = this.#lookup(path);
    if (!(node instanceof SimInode)) throw new Error(`no file ${path}`);
    node.write(bytes, offset);
    node.sync();
  }

  open(path: string, mode: OpenMode): Promise<StorageFile> {
    return this.#run(mode !== "read", () => {
      const { dir, name } = this.#parent(path);
      let node = dir.current.get(name);
      if (mode === "createNew") {
        if (node !== undefined) throw new Deno.errors.AlreadyExists(`${path} exists`);
        node = new SimInode();
        dir.current.set(name, node);
      }
      if (!(node instanceof SimInode)) throw new Deno.errors.NotFound(`no file ${path}`);
      return new SimFile(this, node, this.#generation);
    });
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.#run(false, () => this.#file(path).current.slice());
  }

  size(path: string): Promise<number | null> {
    return this.#run(false, () => {
      const node = this.#lookup(path);
      if (node === undefined) return null;
      return node instanceof SimInode ? node.current.length : 0;
    });
  }

  rename(from: string, to: string): Promise<void> {
    return this.#run(true, () => {
      const source = this.#parent(from);
      const node = source.dir.current.get(source.name);
      if (!(node instanceof SimInode)) throw new Deno.errors.NotFound(`no file ${from}`);
      const target = this.#parent(to);
      source.dir.current.delete(source.name);
      target.dir.current.set(target.name, node);
    });
  }

  remove(path: string): Promise<void> {
    return this.#run(true, () => {
      const { dir, name } = this.#parent(path);
      const node = dir.current.get(name);
      if (node === undefined) throw new Deno.errors.NotFound(`no file ${path}`);
      if (node instanceof SimDir && node.current.size > 0) {
        throw new Error(`Cannot remove ${path}: directory not empty`);
      }
      dir.current.delete(name);
    });
  }

  list(dir: string): Promise<string[]> {
    return this.#run(false, () => {
      const node = this.#lookup(dir);
      return node instanceof SimDir ? [...node.current.keys()].sort() : [];
    });
  }

  mkdir(dir: string): Promise<void> {
    return this.#run(true, () => {
      let node = this.#root;
      for (const part of splitPath(dir)) {
        let child = node.current.get(part);
        if (child === undefined) {
          child = new SimDir();
          node.current.set(part, child);
        }
        if (!(child instanceof SimDir)) throw new Error(`${dir}: ${part} is a file`);
        node = child;
      }
    });
  }

  syncDir(dir: string): Promise<void> {
    return this.#run(true, () => {
      const node = this.#lookup(dir);
      if (!(node instanceof SimDir)) throw new Deno.errors.NotFound(`no directory ${dir}`);
      node.durable = new Map(node.current);
      this.stats.dirSyncCount += 1;
    });
  }

  realPath(path: string): Promise<string> {
    return this.#run(false, () => {
      if (this.#lookup(path) === undefined) throw new Deno.errors.NotFound(`no ${path}`);
      return "/" + splitPath(path).join("/");
    });
  }

  tryLock(path: string): Promise<FileLock | null> {
    return this.#run(true, () => {
      const { dir, name } = this.#parent(path);
      if (!dir.current.has(name)) dir.current.set(name, new SimInode());
      if (this.#locks.has(path)) return null;
      this.#locks.add(path);
      const generation = this.#generation;
      return {
        release: () => {
          if (generation === this.#generation) this.#locks.delete(path);
          return Promise.resolve();
        },
      };
    });
  }

  /** Runs one operation of a handle of `generation`. */
  runFileOp<T>(generation: number, mutates: boolean, body: () => T): Promise<T> {
    if (generation !== this.#generation) {
      return Promise.reject(new SimulatedCrashError("file handle from before a crash"));
    }
    return this.#run(mutates, body);
  }

  /** Counts a file sync. */
  countFileSync(): void {
    this.stats.fileSyncCount += 1;
  }

  #run<T>(mutates: boolean, body: () => T): Promise<T> {
    if (this.#powerCut) return Promise.reject(new SimulatedCrashError("power is cut"));
    if (mutates) {
      if (this.#opsBeforeCrash <= 0) {
        this.#powerCut = true;
        return Promise.reject(new SimulatedCrashError("power cut before this operation"));
      }
      this.#opsBeforeCrash -= 1;
      this.stats.opCount += 1;
    }
    try {
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #crashDir(dir: SimDir, keep: () => boolean, seen: Set<SimNode>): void {
    const names = new Set([...dir.current.keys(), ...dir.durable.keys()]);
    const result = new Map<string, SimNode>();
    for (const name of [...names].sort()) {
      const now = dir.current.get(name);
      const before = dir.durable.get(name);
      const chosen = now === before || keep() ? now : before;
      if (chosen !== undefined) result.set(name, chosen);
    }
    dir.current = result;
    dir.durable = new Map(result);
    for (const node of result.values()) {
      if (seen.has(node)) continue;
      seen.add(node);
      if (node instanceof SimDir) this.#crashDir(node, keep, seen);
      else node.crash(keep);
    }
  }

  #lookup(path: string): SimNode | undefined {
    let node: SimNode = this.#root;
    for (const part of splitPath(path)) {
      if (!(node instanceof SimDir)) return undefined;
      const child: SimNode | undefined = node.current.get(part);
      if (child === undefined) return undefined;
      node = child;
    }
    return node;
  }

  #parent(path: string): { dir: SimDir; name: string } {
    const parts = splitPath(path);
    const name = parts.pop();
    const dir = this.#lookup("/" + parts.join("/"));
    if (name === undefined || !(dir instanceof SimDir)) {
      throw new Deno.errors.NotFound(`no directory for ${path}`);
    }
    return { dir, name };
  }

  #file(path: string): SimInode {
    const node = this.#lookup(path);
    if (!(node instanceof SimInode)) throw new Deno.errors.NotFound(`no file ${path}`);
    return node;
  }
}

/** A handle on a simulated file; dead after a crash. */
class SimFile implements StorageFile {
  readonly #fs: SimFileSystem;
  readonly #inode: SimInode;
  readonly #generation: number;

  constructor(fs: SimFileSystem, inode: SimInode, generation: number) {
    this.#fs = fs;
    this.#inode = inode;
    this.#generation = generation;
  }

  write(bytes: Uint8Array, offset: number): Promise<void> {
    return this.#fs.runFileOp(
      this.#generation,
      true,
      () => this.#fs.writeWithinCapacity(this.#inode, bytes, offset),
    );
  }

  read(offset: number, target: Uint8Array): Promise<number> {
    return this.#fs.runFileOp(this.#generation, false, () => {
      const source = this.#inode.current.subarray(offset, offset + target.length);
      target.set(source);
      return source.length;
    });
  }

  sync(): Promise<void> {
    return this.#fs.runFileOp(this.#generation, true, () => this.#fs.syncInode(this.#inode));
  }

  truncate(sizeBytes: number): Promise<void> {
    return this.#fs.runFileOp(this.#generation, true, () => this.#inode.truncate(sizeBytes));
  }

  close(): void {}
}

function splitPath(path: string): string[] {
  return path.split("/").filter((part) => part !== "" && part !== ".");
}
