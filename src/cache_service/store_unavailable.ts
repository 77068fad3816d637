/**
 * The cache's store of record (a `--cache-backend` server) could not be reached or did not
 * answer. `maybeSent` is false when the command surely never left this node (no connection):
 * a write is then safe to retry; otherwise its outcome is unknown.
 */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
  readonly maybeSent: boolean;

  constructor(message: string, maybeSent: boolean) {
    super(message);
    this.maybeSent = maybeSent;
  }
}
