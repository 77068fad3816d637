import { readLines } from "../util/read_lines.ts";

/** Deno permissions a node needs; deno.json's `dsync` task grants the same. */
export const NODE_PERMISSION_FLAGS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env=DSYNC_*,NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,TERM",
  "--allow-run",
  "--allow-sys=hostname,osRelease,loadavg",
] as const;

/**
 * Extra `deno run` flags for nodes started from source, space-separated, e.g.
 * `--cpu-prof --cpu-prof-dir=DIR` or `--v8-flags=--trace-gc` to find where a stall's time goes.
 */
export const NODE_DENO_FLAGS_ENV = "DSYNC_NODE_DENO_FLAGS";

function extraDenoFlags(): string[] {
  try {
    return (Deno.env.get(NODE_DENO_FLAGS_ENV) ?? "").split(" ").filter((flag) => flag !== "");
  } catch {
    return []; // no env permission: none
  }
}

/**
 * How to start `dsync ARGS` from this process: via `deno run` from source (with `denoFlags`, e.g.
 * `--cpu-prof`, before the script), or the binary (which takes no Deno flags).
 */
export function dsyncInvocation(
  args: string[],
  denoFlags: readonly string[] = [],
): { command: string; args: string[] } {
  const execPath = Deno.execPath();
  const executable = execPath.split(/[\\/]/).pop() ?? "";
  if (executable === "deno" || executable === "deno.exe") {
    const mainPath = decodeURIComponent(new URL("../main.ts", import.meta.url).pathname);
    const flags = [...NODE_PERMISSION_FLAGS, ...denoFlags, ...extraDenoFlags()];
    return { command: execPath, args: ["run", ...flags, mainPath, ...args] };
  }
  return { command: execPath, args };
}

/**
 * Starts `dsync ARGS` (see dsyncInvocation) with stdin closed; every line it writes to stdout
 * or stderr goes to `onLine`. The caller stops it by PID through the returned handle.
 */
export function spawnDsync(
  args: string[],
  onLine: (line: string) => void,
  denoFlags: readonly string[] = [],
): Deno.ChildProcess {
  const invocation = dsyncInvocation(args, denoFlags);
  const process = new Deno.Command(invocation.command, {
    args: invocation.args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  void readLines(process.stdout, onLine).catch(() => {});
  void readLines(process.stderr, onLine).catch(() => {});
  return process;
}

/** Sends `PING` to a client port; true when the node answers (`+PONG`, or `-NOAUTH` when it requires a password). */
export async function pingNode(host: string, port: number, timeoutMs: number): Promise<boolean> {
  let conn: Deno.TcpConn | null = null;
  const timer = setTimeout(() => conn?.close(), timeoutMs);
  try {
    conn = await Deno.connect({ hostname: host, port });
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buffer = new Uint8Array(16);
    const count = await conn.read(buffer);
    const reply = count === null ? "" : new TextDecoder().decode(buffer.subarray(0, count));
    return reply === "+PONG\r\n" || reply.startsWith("-NOAUTH");
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch {
      // closed by the timer
    }
  }
}
