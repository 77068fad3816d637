/** Error codes of the client contract that the cluster and its state machines produce. */
export type ClusterErrorCode =
  | "ERR"
  | "TRYAGAIN"
  | "NOQUORUM"
  | "TIMEOUT"
  | "LIMIT"
  | "DEADLOCK"
  | "NOSPACE";

/**
 * A typed refusal: what a state machine or service answers when it will not do a request. It
 * travels as this value (never as text to be split again) until the command layer writes it as
 * the error line `-CODE message`.
 */
export interface Refusal {
  code: ClusterErrorCode;
  /** Human-readable text without the code. */
  message: string;
}

/**
 * A request the cluster refused or could not finish. `message` is the full reply line
 * (`CODE text`), so a command handler can send it as it is.
 */
export class ClusterError extends Error {
  override name = "ClusterError";
  readonly code: ClusterErrorCode;

  constructor(code: ClusterErrorCode, text: string) {
    super(`${code} ${text}`);
    this.code = code;
  }

  /** The error that carries `refusal` to a command handler. */
  static of(refusal: Refusal): ClusterError {
    return new ClusterError(refusal.code, refusal.message);
  }
}

/** This node's disk is full: a write is refused before anything is proposed. */
export function noSpaceError(): ClusterError {
  return new ClusterError(
    "NOSPACE",
    "this node's disk is full: writes are refused until space is freed (reads are served)",
  );
}

/** There is no leader to take the request: NOQUORUM when no majority is reachable, else TRYAGAIN. */
export function noLeaderError(
  quorumReachable: boolean,
  reason = "no leader elected yet",
): ClusterError {
  return quorumReachable
    ? new ClusterError("TRYAGAIN", reason)
    : new ClusterError("NOQUORUM", "this node cannot reach a majority of the cluster");
}
