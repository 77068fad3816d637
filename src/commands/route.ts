import type { ClientSession } from "./client_session.ts";
import type { CommandCall, ReplyFn } from "./command_table.ts";
import type { Refusal } from "../consensus/cluster_error.ts";

/**
 * Where a command runs, declared in its spec and resolved once by the node's router:
 * - `local`: on the node the client talks to (the default);
 * - `meta`: on the leader of the meta group;
 * - `slot`: on the leader of the group that holds the slot of the key argument at `firstKey`.
 */
export type CommandRoute = "local" | "meta" | "slot";

/** A spec's route: fixed, or chosen from the arguments (e.g. an optional GROUP argument). */
export type RouteSpec = CommandRoute | ((args: Uint8Array[]) => CommandRoute);

/** What the router resolved a routed call to, handed to the handler on the executing node. */
export interface RouteTarget {
  /** The Raft group this node leads and runs the command in. */
  groupId: number;
  /** The wait parked for this call on the client's node (0: none); see `BlockingWait`. */
  parkedWaitId: number;
}

/**
 * The internal reply of a routed blocking command whose wait was queued: the client's node keeps
 * waiting on its parked wait. Sent as `+QUEUED` between nodes; never reaches a client.
 */
export const QUEUED_REPLY: ReplyFn = (out) => out.simple("QUEUED");

/** A wait parked on the client's node for one blocking call. */
export interface ParkedWait {
  /** Random 48-bit id, carried in the replicated entry so every node sees its outcome. */
  id: number;
  /** The executing node queued the call: resolves with the final reply (grant, timeout, ...). */
  settle(session: ClientSession): Promise<ReplyFn>;
  /** The executing node answered at once (or failed): the wait ends here. */
  drop(): void;
}

/**
 * How a blocking command parks its client's wait on the node the client talks to, before the
 * router sends it to the executing node. `null`: this call does not wait (e.g. `WAIT 0`).
 */
export interface BlockingWait {
  park(call: CommandCall): ParkedWait | null | { refused: Refusal };
}
