/** File helpers shared by the storage files, on top of a `FileSystem`. */
import type { FileSystem, StorageFile } from "./file_system.ts";

/** Reads exactly `target.length` bytes starting at byte `offset` of `file`. */
export async function readExactAt(
  file: StorageFile,
  offset: number,
  target: Uint8Array,
  path: string,
): Promise<void> {
  const count = await file.read(offset, target);
  if (count < target.length) {
    throw new Error(
      `Cannot read ${path}: ended at offset ${offset + count}, expected ${target.length} ` +
        `bytes from offset ${offset}`,
    );
  }
}

/**
 * Writes `chunks` to `dir/name` atomically: into `name.tmp`, fsync, rename over `name`, fsync
 * the directory. A crash leaves either the old file or the new one, plus at most a stray
 * `.tmp`. Chunks are pulled one at a time, after the previous one is written.
 */
export async function writeFileAtomic(
  fs: FileSystem,
  dir: string,
  name: string,
  chunks: Iterable<Uint8Array>,
): Promise<void> {
  const path = `${dir}/${name}`;
  const tmpPath = `${path}.tmp`;
  await removeIfExists(fs, tmpPath);
  const file = await fs.open(tmpPath, "createNew");
  try {
    let offset = 0;
    for (const chunk of chunks) {
      await file.write(chunk, offset);
      offset += chunk.length;
    }
    await file.sync();
  } catch (error) {
    file.close();
    // A half-written file would keep holding the space a full disk lacks.
    await removeIfExists(fs, tmpPath).catch(() => {});
    throw error;
  }
  file.close();
  await fs.rename(tmpPath, path);
  await fs.syncDir(dir);
}

/**
 * Reads all `size` bytes of `path` in chunks of at most `chunkBytes`, calling `onChunk` with
 * the start offset of each chunk as it arrives (so checksums interleave with I/O).
 */
export async function readFileChunked(
  fs: FileSystem,
  path: string,
  size: number,
  chunkBytes: number,
  onChunk: (bytes: Uint8Array, start: number, end: number) => void,
): Promise<Uint8Array> {
  const bytes = new Uint8Array(size);
  const file = await fs.open(path, "read");
  try {
    let filled = 0;
    while (filled < size) {
      const end = Math.min(size, filled + chunkBytes);
      const count = await file.read(filled, bytes.subarray(filled, end));
      if (count === 0) throw new Error(`Cannot read ${path}: it shrank to ${filled} bytes`);
      onChunk(bytes, filled, filled + count);
      filled += count;
    }
  } finally {
    file.close();
  }
  return bytes;
}

/** True when `path` exists. */
export async function exists(fs: FileSystem, path: string): Promise<boolean> {
  return (await fs.size(path)) !== null;
}

/** Removes `path`; no error when it does not exist. */
export async function removeIfExists(fs: FileSystem, path: string): Promise<void> {
  try {
    await fs.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
