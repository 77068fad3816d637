/** One audit record (a JSON line). Never values, payloads or passwords. */
export interface AuditRecord {
  /** ISO-8601 wall-clock time. */
  time: string;
  /** The node that served the client. */
  node: string;
  /** The client's `ip:port`. */
  client: string;
  /** The connection's id (CLIENT ID). */
  clientId: number;
  /** The connection's user; for AUTH, the user it tried to log in as. */
  user: string;
  /** Lower-case command, `name|subcommand` for a subcommand. */
  command: string;
  /** Lock names, queue names or cache keys the command named. */
  keys: string[];
  /** ACL user names or member ids an ACL or CLUSTER change named. */
  target: string[];
  /** `OK`, or the error code of the reply (`WRONGPASS`, `NOPERM`, ...). */
  outcome: string;
}

/** Names listed per record at most; each cut to NAME_CHARS_MAX characters. */
export const AUDIT_NAMES_MAX = 16;
const NAME_CHARS_MAX = 128;

/** The record as one line of JSON (with its newline). */
export function auditLine(record: AuditRecord): string {
  return JSON.stringify({
    time: record.time,
    node: record.node,
    client: record.client,
    client_id: record.clientId,
    user: record.user,
    command: record.command,
    keys: bounded(record.keys),
    ...(record.target.length === 0 ? {} : { target: bounded(record.target) }),
    outcome: record.outcome,
  }) + "\n";
}

function bounded(names: readonly string[]): string[] {
  return names.slice(0, AUDIT_NAMES_MAX).map((name) => name.slice(0, NAME_CHARS_MAX));
}

/** The outcome of a reply from its first bytes: `OK` for any non-error, else the error's code. */
export function outcomeOf(reply: Uint8Array): string {
  if (reply.length === 0 || reply[0] !== 0x2d) return "OK";
  let end = 1;
  while (end < reply.length && end < 32 && reply[end] !== 0x20 && reply[end] !== 0x0d) end++;
  return new TextDecoder().decode(reply.subarray(1, end));
}
