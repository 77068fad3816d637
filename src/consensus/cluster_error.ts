/** Error codes of the client contract that the consensus layer produces. */
export type ClusterErrorCode = "ERR" | "TRYAGAIN" | "NOQUORUM" | "TIMEOUT" | "LIMIT" | "NOSPACE";

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
