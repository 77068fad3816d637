/**
 * Resident memory of processes from Linux's `/proc/<pid>/status`, for load tools. Deno reads /proc
 * only with every permission, so the file is read by `cat` (--allow-run).
 */

/** VmRSS of one `/proc/<pid>/status` text in bytes, or null when it has none. */
export function parseStatusRssBytes(status: string): number | null {
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  return kib === undefined ? null : Number(kib) * 1024;
}

/** Resident set size of process `pid` in bytes; throws when /proc cannot be read. */
export async function rssBytes(pid: number): Promise<number> {
  const output = await new Deno.Command("cat", {
    args: [`/proc/${pid}/status`],
    stdout: "piped",
    stderr: "null",
  }).output();
  const bytes = parseStatusRssBytes(new TextDecoder().decode(output.stdout));
  if (bytes === null) throw new Error(`no VmRSS in /proc/${pid}/status (Linux only)`);
  return bytes;
}
