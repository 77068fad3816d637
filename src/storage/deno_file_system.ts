/** The real file layer: `FileSystem` on Deno's file APIs (fdatasync for `sync()`). */
import type { FileLock, FileSystem, OpenMode, StorageFile } from "./file_system.ts";

/** A `Deno.FsFile` with positional writes and reads (one seek only when the position moves). */
class DenoStorageFile implements StorageFile {
  readonly #file: Deno.FsFile;
  /** Current file position, or -1 when unknown. */
  #position = -1;

  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  async write(bytes: Uint8Array, offset: number): Promise<void> {
    await this.#seek(offset);
    let written = 0;
    try {
      while (written < bytes.length) written += await this.#file.write(bytes.subarray(written));
    } finally {
      this.#position = written === bytes.length ? offset + written : -1;
    }
  }

  async read(offset: number, target: Uint8Array): Promise<number> {
    await this.#seek(offset);
    let filled = 0;
    try {
      while (filled < target.length) {
        const count = await this.#file.read(target.subarray(filled));
        if (count === null) break;
        filled += count;
      }
    } finally {
      this.#position = -1;
    }
    return filled;
  }

  async sync(): Promise<void> {
    await this.#file.syncData();
  }

  async truncate(sizeBytes: number): Promise<void> {
    await this.#file.truncate(sizeBytes);
  }

  close(): void {
    this.#file.close();
  }

  async #seek(offset: number): Promise<void> {
    if (this.#position === offset) return;
    this.#position = -1;
    await this.#file.seek(offset, Deno.SeekMode.Start);
    this.#position = offset;
  }
}

/** An flock on an open file. */
class DenoFileLock implements FileLock {
  #file: Deno.FsFile | null;

  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  async release(): Promise<void> {
    const file = this.#file;
    if (file === null) return;
    this.#file = null;
    try {
      await file.unlock();
    } finally {
      file.close();
    }
  }
}

/** `FileSystem` backed by the real disk. */
export class DenoFileSystem implements FileSystem {
  async open(path: string, mode: OpenMode): Promise<StorageFile> {
    const options: Deno.OpenOptions = mode === "read"
      ? { read: true }
      : mode === "write"
      ? { read: true, write: true }
      : { read: true, write: true, createNew: true };
    return new DenoStorageFile(await Deno.open(path, options));
  }

  readFile(path: string): Promise<Uint8Array> {
    return Deno.readFile(path);
  }

  async size(path: string): Promise<number | null> {
    try {
      return (await Deno.stat(path)).size;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  }

  rename(from: string, to: string): Promise<void> {
    return Deno.rename(from, to);
  }

  remove(path: string): Promise<void> {
    return Deno.remove(path);
  }

  async list(dir: string): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
    return names.sort();
  }

  mkdir(dir: string): Promise<void> {
    return Deno.mkdir(dir, { recursive: true });
  }

  async syncDir(dir: string): Promise<void> {
    const handle = await Deno.open(dir, { read: true });
    try {
      await handle.sync();
    } finally {
      handle.close();
    }
  }

  realPath(path: string): Promise<string> {
    return Deno.realPath(path);
  }

  async tryLock(path: string): Promise<FileLock | null> {
    const file = await Deno.open(path, { read: true, write: true, create: true });
    let locked = false;
    try {
      locked = await file.tryLock(true);
    } finally {
      if (!locked) file.close();
    }
    return locked ? new DenoFileLock(file) : null;
  }
}

/** The process-wide real file layer (stateless). */
export const DENO_FILE_SYSTEM: FileSystem = new DenoFileSystem();
