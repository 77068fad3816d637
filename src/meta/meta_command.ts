import { BinaryReader, BinaryWriter } from "../../protocol/peer/mod.ts";
import { type LockOp, lockOpBytesBound, readLockOpIn, writeLockOp } from "../locks/mod.ts";

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
  /** A lock table operation; `waitMs` is the acquire's WAIT, which the leader enforces. */
  | { op: "lock"; waitMs: number; lock: LockOp };

const OP_CODES = { setMember: 1, forgetMember: 2, noop: 3, lock: 4 } as const;

/** Binary encoding of a meta command (first byte: op code). */
export function encodeMetaCommand(command: MetaCommand): Uint8Array {
  const writer = new BinaryWriter(command.op === "lock" ? 9 + lockOpBytesBound(command.lock) : 64);
  writer.u8(OP_CODES[command.op]);
  switch (command.op) {
    case "setMember":
      writer.string(command.member.id).string(command.member.peerAddress)
        .string(command.member.clientAddress).string(command.member.incarnationId);
      break;
    case "forgetMember":
      writer.string(command.id);
      break;
    case "noop":
      writer.bytes(command.payload);
      break;
    case "lock": {
      // The op's bytes go straight into this writer; their u32 length is patched afterwards.
      writer.u32(command.waitMs).u32(0);
      const opStart = writer.lengthBytes;
      writeLockOp(writer, command.lock);
      writer.patchU32(opStart - 4, writer.lengthBytes - opStart);
      break;
    }
  }
  return writer.finish().slice();
}

/** Decodes a meta command; throws FrameError on malformed bytes. */
export function decodeMetaCommand(bytes: Uint8Array): MetaCommand {
  const reader = new BinaryReader(bytes, "meta command");
  const code = reader.u8();
  let command: MetaCommand;
  if (code === OP_CODES.setMember) {
    command = {
      op: "setMember",
      member: {
        id: reader.string(),
        peerAddress: reader.string(),
        clientAddress: reader.string(),
        incarnationId: reader.string(),
      },
    };
  } else if (code === OP_CODES.forgetMember) {
    command = { op: "forgetMember", id: reader.string() };
  } else if (code === OP_CODES.noop) {
    command = { op: "noop", payload: reader.bytes() };
  } else if (code === OP_CODES.lock) {
    const waitMs = reader.u32();
    command = { op: "lock", waitMs, lock: readLockOpIn(reader, reader.u32()) };
  } else {
    throw reader.error(`unknown op code ${code}`);
  }
  reader.expectEnd();
  return command;
}
