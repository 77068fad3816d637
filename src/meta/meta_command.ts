import { BinaryReader, BinaryWriter } from "../../protocol/binary/mod.ts";

/** A cluster member's addresses, as replicated in the meta group. */
export interface MemberAddress {
  id: string;
  /** Peer protocol `host:port`. */
  peerAddress: string;
  /** Client (RESP) `host:port`. */
  clientAddress: string;
  /**
   * Incarnation id of the member's data directory once it registered (empty before). A node
   * presenting another incarnation lost its disk, and with it possibly its vote: peers refuse it.
   */
  incarnationId: string;
}

/** A command of the meta state machine, carried in a normal Raft entry. */
export type MetaCommand =
  | { op: "setMember"; member: MemberAddress }
  | { op: "forgetMember"; id: string }
  /** Commits nothing but itself: the commit-path benchmark's entry point (DEBUG PROPOSE). */
  | { op: "noop"; payload: Uint8Array }
  /** Records the cluster's slot count; the first one committed stays (the cluster's creation). */
  | { op: "setPlacement"; slotCount: number }
  /** Records the slots' placement (placement_codec.ts bytes); replaces the previous one. */
  | { op: "placeSlots"; placement: Uint8Array };

/**
 * The meta group's own op codes; 4 is the lock subsystem's (src/lock_service/lock_machine.ts), 7
 * the ACL's (src/acl/acl_machine.ts).
 */
const OP_CODES = {
  setMember: 1,
  forgetMember: 2,
  noop: 3,
  setPlacement: 5,
  placeSlots: 6,
} as const;

/** Op codes of the meta group's own commands; a subsystem's machine must use another. */
export const META_OWN_OP_CODES: ReadonlySet<number> = new Set(Object.values(OP_CODES));

/** Reused by every encodeMetaCommand (the result is a copy): no buffer allocated per command. */
const COMMAND_WRITER = new BinaryWriter(256);

/** Binary encoding of a meta command (first byte: op code). */
export function encodeMetaCommand(command: MetaCommand): Uint8Array {
  const writer = COMMAND_WRITER.reset();
  writer.u8(OP_CODES[command.op]);
  switch (command.op) {
    case "setMember":
      writer.u16String(command.member.id).u16String(command.member.peerAddress)
        .u16String(command.member.clientAddress).u16String(command.member.incarnationId);
      break;
    case "forgetMember":
      writer.u16String(command.id);
      break;
    case "noop":
      writer.u32Bytes(command.payload);
      break;
    case "setPlacement":
      writer.u32(command.slotCount);
      break;
    case "placeSlots":
      writer.u32Bytes(command.placement);
      break;
  }
  return writer.copy();
}

/** Decodes a meta command; throws DecodeError on malformed bytes. */
export function decodeMetaCommand(bytes: Uint8Array): MetaCommand {
  const reader = new BinaryReader(bytes, "meta command");
  const code = reader.u8();
  let command: MetaCommand;
  if (code === OP_CODES.setMember) {
    command = {
      op: "setMember",
      member: {
        id: reader.u16String(),
        peerAddress: reader.u16String(),
        clientAddress: reader.u16String(),
        incarnationId: reader.u16String(),
      },
    };
  } else if (code === OP_CODES.forgetMember) {
    command = { op: "forgetMember", id: reader.u16String() };
  } else if (code === OP_CODES.noop) {
    command = { op: "noop", payload: reader.u32Bytes() };
  } else if (code === OP_CODES.setPlacement) {
    command = { op: "setPlacement", slotCount: reader.u32() };
  } else if (code === OP_CODES.placeSlots) {
    command = { op: "placeSlots", placement: reader.u32Bytes() };
  } else {
    throw reader.error(`unknown op code ${code}`);
  }
  reader.expectEnd();
  return command;
}
