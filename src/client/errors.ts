/** The error codes of the client contract (`-CODE message`). */
export type DsyncErrorCode =
  | "ERR"
  | "NOAUTH"
  | "WRONGPASS"
  | "NOPERM"
  | "TIMEOUT"
  | "NOQUORUM"
  | "TRYAGAIN"
  | "DEADLOCK"
  | "NOTOWNER"
  | "LIMIT"
  | "NOSPACE";

const CODES: ReadonlySet<string> = new Set<DsyncErrorCode>([
  "ERR",
  "NOAUTH",
  "WRONGPASS",
  "NOPERM",
  "TIMEOUT",
  "NOQUORUM",
  "TRYAGAIN",
  "DEADLOCK",
  "NOTOWNER",
  "LIMIT",
  "NOSPACE",
]);

/**
 * A refusal from the cluster, typed by its contract code. `fromServer` is false when the client
 * made it up: `TIMEOUT` for a connection lost (or a reply overdue) after the command was sent, whose
 * outcome is therefore unknown.
 */
export class DsyncError extends Error {
  /** The contract code (`TRYAGAIN`, `NOTOWNER`, ...). */
  readonly code: DsyncErrorCode;
  /** The command's name, as sent (`LOCK.ACQUIRE`). */
  readonly command: string;
  /** True when a node sent this error line; false when the client concluded it. */
  readonly fromServer: boolean;

  /** An error for `command` with `code` and the text after the code. */
  constructor(code: DsyncErrorCode, text: string, command: string, fromServer = true) {
    super(`${code} ${text}`);
    this.name = "DsyncError";
    this.code = code;
    this.command = command;
    this.fromServer = fromServer;
  }
}

/** No endpoint could be reached (nothing was sent), within the client's retry deadline. */
export class DsyncUnavailableError extends Error {
  /** `endpoints` are the addresses tried; `cause` the last connection failure. */
  constructor(endpoints: readonly string[], cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`no dsync node reachable at ${endpoints.join(",")}: ${reason}`, { cause });
    this.name = "DsyncUnavailableError";
  }
}

/**
 * The DsyncError of an error line (without its `-`). A line whose code is not in the contract is an
 * `ERR` with the whole line as its text.
 */
export function errorFromLine(line: string, command: string): DsyncError {
  const space = line.indexOf(" ");
  const head = space < 0 ? line : line.slice(0, space);
  if (CODES.has(head)) {
    return new DsyncError(head as DsyncErrorCode, space < 0 ? "" : line.slice(space + 1), command);
  }
  return new DsyncError("ERR", line, command);
}
