import {
  MESSAGE_TYPE_CODES,
  type PeerMessage,
  type PeerMessageType,
} from "../../protocol/peer/mod.ts";
import type { PeerCodeRange, PeerHandler } from "../subsystem/subsystem.ts";

/**
 * Peer messages to their handlers: a table indexed by the message type code, filled by the node
 * (raft, forwarding) and by subsystems, each only inside its own code range. A message without a
 * handler is dropped (a newer peer's message this node does not know yet).
 */
export class PeerDispatcher {
  readonly #handlers = new Array<PeerHandler | undefined>(256);
  readonly #owners = new Array<string | undefined>(256);

  /** Registers `handler` for `type`; throws if the code is outside `range` or already taken. */
  register(owner: string, range: PeerCodeRange, type: PeerMessageType, handler: PeerHandler): void {
    const code = MESSAGE_TYPE_CODES[type];
    if (code < range.first || code > range.last) {
      throw new RangeError(
        `${owner} cannot handle peer message ${type} (${code}): outside ${range.first}..${range.last}`,
      );
    }
    const taken = this.#owners[code];
    if (taken !== undefined) {
      throw new Error(`peer message ${type} (${code}) already handled by ${taken}`);
    }
    this.#handlers[code] = handler;
    this.#owners[code] = owner;
  }

  /** Hands `message` from peer `from` to its handler. */
  dispatch(from: string, message: PeerMessage): void {
    this.#handlers[MESSAGE_TYPE_CODES[message.type]]?.(from, message);
  }
}
