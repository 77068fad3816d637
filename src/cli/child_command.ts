/** Signals a client subcommand passes on to the command it runs (then waits for it to end). */
const FORWARDED_SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** Exit status of a command that could not be started (not found, not executable). */
export const EXIT_NOT_STARTED = 127;

/** A command started by `dsync lock` or `dsync queue work`. */
export interface RunningCommand {
  /** Resolves with the exit status: the command's own, 128+N when killed by signal N. */
  status: Promise<number>;
  /** SIGTERM now, SIGKILL after `graceMs` if it is still running. Idempotent. */
  terminate(graceMs: number): void;
}

/**
 * Starts `argv` with `env` added to this process's environment, stdout and stderr inherited, and
 * stdin inherited or fed with `input` (then closed). Null when it cannot be started.
 */
export function startCommand(
  argv: string[],
  env: Record<string, string>,
  input?: Uint8Array,
): RunningCommand | null {
  let process: Deno.ChildProcess;
  try {
    process = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      env,
      stdin: input === undefined ? "inherit" : "piped",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (error) {
    console.error(`dsync: cannot run '${argv[0]}': ${(error as Error).message}`);
    return null;
  }
  if (input !== undefined) {
    const writer = process.stdin.getWriter();
    // A command that does not read its input (or exits first) must not fail us.
    void writer.write(input).then(() => writer.close()).catch(() => {});
  }
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  let terminating = false;
  const send = (signal: Deno.Signal) => {
    try {
      process.kill(signal);
    } catch {
      // already exited
    }
  };
  const status = process.status.then((result) => {
    clearTimeout(killTimer);
    return result.signal === null ? result.code : 128 + signalNumber(result.signal, result.code);
  });
  return {
    status,
    terminate(graceMs: number) {
      if (terminating) return;
      terminating = true;
      send("SIGTERM");
      killTimer = setTimeout(() => send("SIGKILL"), graceMs);
    },
  };
}

function signalNumber(signal: Deno.Signal, code: number): number {
  const numbers: Partial<Record<Deno.Signal, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGTERM: 15,
  };
  return numbers[signal] ?? Math.max(0, code - 128);
}

/**
 * Passes SIGINT, SIGTERM and SIGHUP sent to this process on to `onSignal` instead of dying, so
 * the caller can end its command and release what it holds. Returns the undo function.
 */
export function forwardSignals(onSignal: (signal: Deno.Signal) => void): () => void {
  const listeners = FORWARDED_SIGNALS.map((signal) => {
    const listener = () => onSignal(signal);
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  };
}
