import type { ReplyFn } from "./command_table.ts";
import { ClusterError } from "../consensus/cluster_error.ts";

/** The error codes of the client contract; no other code may reach a client. */
export const CONTRACT_ERROR_CODES: ReadonlySet<string> = new Set([
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

/** True when `line` (an error reply without its `-`) starts with a contract code and a space. */
export function hasContractCode(line: string): boolean {
  const space = line.indexOf(" ");
  return space > 0 && CONTRACT_ERROR_CODES.has(line.slice(0, space));
}

/** The reply line for a failure that is a bug, not a refusal: `ERR internal error: ...`. */
export function internalErrorLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return `ERR internal error: ${text}`;
}

/**
 * The reply line of a failed operation: a ClusterError's message is already `CODE text`; any
 * other failure is unexpected and becomes `ERR internal error: ...`.
 */
export function errorLine(error: unknown): string {
  return error instanceof ClusterError ? error.message : internalErrorLine(error);
}

/**
 * An asynchronous reply carrying a ClusterError as its error line. Any other failure is re-thrown,
 * so the connection's last-resort guard logs it and answers `-ERR internal error: ...`.
 */
export function errorReply(error: unknown): ReplyFn {
  if (!(error instanceof ClusterError)) throw error;
  const line = error.message;
  return (out) => out.error(line);
}

/** Turns an operation into an async reply: +OK, or the failure's error line. */
export function okWhenDone(operation: Promise<unknown>): Promise<ReplyFn> {
  return operation.then(() => (out) => out.simple("OK"), errorReply);
}
