/** Small file-system helpers shared by the storage files: full writes, positioned reads, fsync. */

/** Writes all of `bytes` at the file's current position (`write` may write less per call). */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await file.write(bytes.subarray(written));
  }
}

/** Reads exactly `target.length` bytes starting at byte `offset` of `file`. */
export async function readExactAt(
  file: Deno.FsFile,
  offset: number,
  target: Uint8Array,
  path: string,
): Promise<void> {
  await file.seek(offset, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < target.length) {
    const count = await file.read(target.subarray(filled));
    if (count === null) {
      throw new Error(
        `Cannot read ${path}: ended at offset ${offset + filled}, expected ${target.length} ` +
          `bytes from offset ${offset}`,
      );
    }
    filled += count;
  }
}

/** Makes the directory entries of `dir` durable (creations, renames, removals). */
export async function syncDir(dir: string): Promise<void> {
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/**
 * Writes `chunks` to `dir/name` atomically: into `name.tmp`, fsync, rename over `name`, fsync
 * the directory. A crash leaves either the old file or the new one, plus at most a stray
 * `.tmp`. Chunks are pulled one at a time, after the previous one is written.
 */
export async function writeFileAtomic(
  dir: string,
  name: string,
  chunks: Iterable<Uint8Array>,
): Promise<void> {
  const path = `${dir}/${name}`;
  const tmpPath = `${path}.tmp`;
  const file = await Deno.open(tmpPath, { write: true, create: true, truncate: true });
  try {
    for (const chunk of chunks) await writeAll(file, chunk);
    await file.sync();
  } finally {
    file.close();
  }
  await Deno.rename(tmpPath, path);
  await syncDir(dir);
}

/**
 * Reads all `size` bytes of `path` in chunks of at most `chunkBytes`, calling `onChunk` with
 * the start offset of each chunk as it arrives (so checksums interleave with I/O).
 */
export async function readFileChunked(
  path: string,
  size: number,
  chunkBytes: number,
  onChunk: (bytes: Uint8Array, start: number, end: number) => void,
): Promise<Uint8Array> {
  const bytes = new Uint8Array(size);
  const file = await Deno.open(path, { read: true });
  try {
    let filled = 0;
    while (filled < size) {
      const count = await file.read(bytes.subarray(filled, Math.min(size, filled + chunkBytes)));
      if (count === null) throw new Error(`Cannot read ${path}: it shrank to ${filled} bytes`);
      onChunk(bytes, filled, filled + count);
      filled += count;
    }
  } finally {
    file.close();
  }
  return bytes;
}

/** True when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Names of the entries of `dir`, sorted; empty when `dir` does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return names.sort();
}
