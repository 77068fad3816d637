import type { RespVersion } from "../../protocol/resp/mod.ts";

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
  /** Set by QUIT: close once the pending replies are written. */
  closeRequested = false;
  /** Set for a command forwarded by another node: it must not be forwarded again. */
  forwarded = false;
  /** Last command name (INFO clients / CLIENT LIST). */
  lastCommand = "";

  constructor(id: number, address: string, connectedAtMs: number, authenticated: boolean) {
    this.id = id;
    this.address = address;
    this.connectedAtMs = connectedAtMs;
    this.authenticated = authenticated;
  }
}
