/** Error codes of the client contract that the consensus layer produces. */
export type ClusterErrorCode = "ERR" | "TRYAGAIN" | "NOQUORUM" | "TIMEOUT" | "LIMIT";

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
