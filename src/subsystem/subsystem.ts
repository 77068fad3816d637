import type { PeerMessage, PeerMessageType } from "../../protocol/peer/mod.ts";
import type { RespValue } from "../../protocol/resp/mod.ts";
import type { CommandSpec } from "../commands/command_table.ts";
import type { MetricSource } from "../metrics/metric_source.ts";
import type { MetaGroup } from "../meta/meta_group.ts";
import type { MetaMachine } from "../meta/meta_machine.ts";
import type { RaftHost, ReplicatedStateMachine } from "../consensus/raft_host.ts";

/** A peer message handler: `from` is the sending node's id. */
export type PeerHandler = (from: string, message: PeerMessage) => void;

/** A range of peer message type codes (inclusive) that one subsystem owns. */
export interface PeerCodeRange {
  first: number;
  last: number;
}

/**
 * Peer message code ranges (the frame's type byte; docs/peer-protocol.md). Each subsystem
 * registers handlers only inside its own range, so two subsystems can never claim one code.
 */
export const PEER_CODE_RANGES = {
  control: { first: 1, last: 15 },
  raft: { first: 16, last: 31 },
  forwarding: { first: 32, last: 47 },
  locks: { first: 48, last: 63 },
  kv: { first: 64, last: 95 },
  queues: { first: 96, last: 127 },
  cache: { first: 128, last: 159 },
} as const satisfies Record<string, PeerCodeRange>;

/**
 * Tags of the parts of a slot group's state machine (src/node/slot_machine.ts): the byte leading
 * a part's entries and naming its snapshot section. The key-value store's entries carry no tag
 * (they were written before other parts existed; each begins with its op version byte 1).
 * Numbers are never reused.
 */
export const SLOT_PART_TAGS = {
  kv: 0,
  queues: 0x51,
} as const;

/** One INFO section: its lower-case name and its `key:value` fields. */
export interface InfoSection {
  name: string;
  fields(): Array<[string, string | number]>;
}

/** What the node gives a subsystem when it builds it. */
export interface SubsystemContext {
  /**
   * Runs a command through the command table and the router, as a command sent by another node
   * would be (internal commands allowed); resolves with its decoded reply. For a subsystem's
   * follow-ups that must run where the command routes, e.g. cancelling a parked wait.
   */
  call(args: string[]): Promise<RespValue>;
  /**
   * `call` with binary arguments (keys and values are any bytes); with `user`, on behalf of that
   * ACL user, whose permissions are checked here and on the node that executes it.
   */
  callBytes(args: Uint8Array[], user?: string | null): Promise<RespValue>;
  /** The cluster's slot count. */
  slotCount(): number;
  /** The slot group `groupId` holds, or null when it is not a slot group. */
  slotOfGroup(groupId: number): number | null;
  /** The host of slot `slot`'s group on this node, if hosted. */
  slotHost(slot: number): RaftHost<unknown> | undefined;
  /** Every slot group hosted on this node, in slot order. */
  slotHosts(): Array<[number, RaftHost<unknown>]>;
  /** Sends `message` to every peer whose connection is up; the number it was queued for. */
  broadcast(message: PeerMessage): number;
  /** This node's id. */
  nodeId: string;
}

/**
 * How the node builds a subsystem, in two steps: its state machines are registered with the meta
 * group before the group opens (so the snapshot and the replayed log reach them), then the
 * subsystem is built over the open group. Slot groups will get a step of their own.
 */
export interface SubsystemFactory {
  readonly name: string;
  /** Its machines in the meta group (each with its own op code and snapshot section). */
  readonly metaMachines: readonly MetaMachine[];
  /** Builds the subsystem once the meta group is open. */
  build(meta: MetaGroup, context: SubsystemContext): Subsystem;
}

/**
 * A part of the node that plugs in: locks now; a key-value store, queues and the cache later.
 * The node knows subsystems only through this interface and `SubsystemFactory`.
 */
export interface Subsystem {
  /** Lower-case name, used in logs. */
  readonly name: string;
  /** Its commands, whose handlers close over its own service; routed by their `route`. */
  readonly commands: readonly CommandSpec[];
  /** Handlers of peer messages in its own code range (`PEER_CODE_RANGES`). */
  readonly peerHandlers?: {
    range: PeerCodeRange;
    handlers: ReadonlyArray<[PeerMessageType, PeerHandler]>;
  };
  /** Its INFO sections. */
  readonly infoSections?: readonly InfoSection[];
  /** Its metrics. */
  readonly metrics?: readonly MetricSource[];
  /**
   * A fresh state machine for its part of one slot's Raft group; the node joins the parts of
   * every subsystem into the group's machine, routing entries by `slotPartTag`.
   */
  slotMachine?(slot: number): ReplicatedStateMachine<unknown>;
  /** Its tag among SLOT_PART_TAGS (required with `slotMachine`). */
  readonly slotPartTag?: number;
  /** The node dropped slot `slot`'s group (it left it): forget its state machine. */
  slotDropped?(slot: number): void;
  /** The connection to a peer closed (several subsystems may listen). */
  onPeerDisconnected?(peerId: string): void;
  /** Starts timers; the node's groups and ports are up. */
  start(): void;
  /**
   * The node is stopping and its clients are closed, while its groups and peers still run:
   * finish what others wait on or what must not be lost (the cache hands its lines back),
   * within the subsystem's own bound.
   */
  drain?(): Promise<void>;
  /** Stops timers and fails waiting clients (node stopping). */
  stop(): void;
}
