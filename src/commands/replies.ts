import type { ReplyFn } from "./command_table.ts";

/** The reply line of a failed operation: a ClusterError's message is already `CODE text`. */
export function errorLine(error: unknown): string {
  return error instanceof Error ? error.message : `ERR ${String(error)}`;
}

/** An asynchronous reply carrying the failure as an error line. */
export function errorReply(error: unknown): ReplyFn {
  const line = errorLine(error);
  return (out) => out.error(line);
}

/** Turns an operation into an async reply: +OK, or the failure's error line. */
export function okWhenDone(operation: Promise<unknown>): Promise<ReplyFn> {
  return operation.then(() => (out) => out.simple("OK"), errorReply);
}
