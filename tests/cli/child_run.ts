/** A `dsync` subcommand run by a CLI test: the child, its output lines, its exit code. */
export interface Run {
  process: Deno.ChildProcess;
  lines: string[];
  code: Promise<number>;
}

/** `promise`, or a rejection after `ms` (and SIGKILL of `process`). */
export function within<T>(promise: Promise<T>, ms: number, process: Deno.ChildProcess): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try {
        process.kill("SIGKILL");
      } catch {
        // exited
      }
      reject(new Error(`still running after ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
