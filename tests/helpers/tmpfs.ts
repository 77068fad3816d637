/** A small tmpfs for tests that need a disk that fills up (needs root or CAP_SYS_ADMIN). */

/** `command args` as root: directly when root, else through `sudo -n` (never prompts). */
function asRoot(command: string, args: string[]): Deno.Command {
  const root = Deno.uid() === 0;
  return new Deno.Command(root ? command : "sudo", {
    args: root ? args : ["-n", command, ...args],
    stdout: "piped",
    stderr: "piped",
  });
}

/** Mounts a tmpfs of `sizeBytes` on the existing directory `dir`; throws saying why not. */
export async function mountTmpfs(dir: string, sizeBytes: number): Promise<void> {
  const result = await asRoot("mount", ["-t", "tmpfs", "-o", `size=${sizeBytes}`, "tmpfs", dir])
    .output()
    .catch((error) => ({ success: false, stderr: new TextEncoder().encode(`${error}`) }));
  if (!result.success) {
    throw new Error(
      `Cannot mount a ${sizeBytes}-byte tmpfs on ${dir}: this test needs root or ` +
        `passwordless sudo to build a full disk: ${new TextDecoder().decode(result.stderr).trim()}`,
    );
  }
}

/** Unmounts the tmpfs on `dir` (lazily, so an open handle cannot keep it). */
export async function unmountTmpfs(dir: string): Promise<void> {
  const result = await asRoot("umount", ["-l", dir]).output();
  if (!result.success) {
    throw new Error(`Cannot unmount ${dir}: ${new TextDecoder().decode(result.stderr).trim()}`);
  }
}

/** Writes `path` until the disk is full (down to 4 KiB writes); returns the bytes written. */
export async function fillDisk(path: string): Promise<number> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  let written = 0;
  try {
    for (const chunkBytes of [1024 * 1024, 64 * 1024, 4096]) {
      const chunk = new Uint8Array(chunkBytes).fill(0x5a);
      for (;;) {
        try {
          written += await file.write(chunk);
        } catch (error) {
          if ((error as { code?: string }).code === "ENOSPC") break;
          throw error;
        }
      }
    }
  } finally {
    file.close();
  }
  return written;
}
