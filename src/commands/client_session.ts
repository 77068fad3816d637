import type { RespVersion } from "../../protocol/resp/mod.ts";
import type { RouteTarget } from "./route.ts";

/** Per-connection state visible to commands. */
export class ClientSession {
  /** Unique, increasing per node (CLIENT ID). */
  readonly id: number;
  /** `ip:port` of the client. */
  readonly address: string;
  /** Monotonic time (ms) at which the connection was accepted. */
  readonly connectedAtMs: number;
  /** Name set with CLIENT SETNAME or HELLO SETNAME; empty when unset. */
  name = "";
  /** Reply protocol; HELLO 3 switches to RESP3. */
  protocol: RespVersion = 2;
  /** False until AUTH succeeds when the node requires a password. */
  authenticated: boolean;
  /**
   * The ACL user whose permissions the command table checks (`default` until AUTH names
   * another); null for the node's own calls, which are never checked.
   */
  user: string | null = "default";
  /** An AUTH whose password is being hashed: later commands of the connection wait for it. */
  authenticating: Promise<unknown> | null = null;
  /** Set by QUIT: close once the pending replies are written. */
  closeRequested = false;
  /**
   * For a command forwarded by another node: the group it was sent for (and the wait parked for
   * it there). Such a command runs here or is refused; it is never forwarded again.
   */
  forwardedTarget: RouteTarget | null = null;
  /** Last command name (INFO clients / CLIENT LIST). */
  lastCommand = "";
  readonly #closeHooks = new Set<() => void>();
  #closed = false;

  constructor(id: number, address: string, connectedAtMs: number, authenticated: boolean) {
    this.id = id;
    this.address = address;
    this.connectedAtMs = connectedAtMs;
    this.authenticated = authenticated;
  }

  /** Runs `hook` when the connection closes (e.g. to cancel a parked wait); returns a remover. */
  onClose(hook: () => void): () => void {
    if (this.#closed) {
      hook();
      return () => {};
    }
    this.#closeHooks.add(hook);
    return () => this.#closeHooks.delete(hook);
  }

  /** The connection closed: runs the close hooks once. */
  closed(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const hook of this.#closeHooks) hook();
    this.#closeHooks.clear();
  }
}
