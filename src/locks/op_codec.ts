import { BinaryWriter, StringInterner } from "../../protocol/binary/mod.ts";
import type { BinaryReader } from "../../protocol/binary/mod.ts";
import { decodeError, MODE_CODES, modeOfCode, readBinary } from "./binary.ts";
import type { LockOp } from "./types.ts";
import { lockOpProblem } from "./validate.ts";

/** Version byte leading every encoded lock op (2: expire carries the lease index). */
export const LOCK_OP_VERSION = 2;
/** Version 1 ops are still decoded: a v1 expire names lease index 0 (see decodeLockOp). */
const LOCK_OP_VERSION_OLDEST = 1;

const CONTEXT = "lock op";
/**
 * Names and owners recur in op after op: decoding them through one cache hands back the string
 * decoded before (no new string per op, and the table's keys share it). No effect on results.
 */
const OP_STRINGS = new StringInterner(12);
const OP_CODES: Readonly<Record<LockOp["op"], number>> = {
  acquire: 1,
  release: 2,
  refresh: 3,
  expire: 4,
  cancelWait: 5,
};

/**
 * Encodes a lock op: u8 version, u8 op code, name and owner (u16 length + UTF-8), then per op:
 * acquire u8 mode, u32 ttlMs, u8 wait, u53 waiterId; release u53 token (0: none); refresh u32
 * ttlMs, u53 token (0: none); expire u53 token, u53 leaseIndex; cancelWait u53 waiterId. Throws an Error
 * "Cannot encode lock op: ..." for an op the table would refuse as malformed or oversize.
 */
export function encodeLockOp(op: LockOp): Uint8Array {
  const writer = new BinaryWriter(lockOpBytesBound(op));
  writeLockOp(writer, op);
  return writer.copy();
}

/** An upper bound of `encodeLockOp(op).length`: capacity that lets `writeLockOp` never grow. */
export function lockOpBytesBound(op: LockOp): number {
  return 32 + op.name.length * 3 + op.owner.length * 3;
}

/** Writes `encodeLockOp(op)`'s bytes into `writer` (no intermediate buffer); same checks. */
export function writeLockOp(writer: BinaryWriter, op: LockOp): void {
  const problem = lockOpProblem(op);
  if (problem !== null) throw new Error(`Cannot encode ${CONTEXT}: ${problem.message}`);
  writer.u8(LOCK_OP_VERSION).u8(OP_CODES[op.op]).u16String(op.name).u16String(op.owner);
  switch (op.op) {
    case "acquire":
      writer.u8(MODE_CODES[op.mode]).u32(op.ttlMs).u8(op.wait ? 1 : 0).u53(op.waiterId);
      break;
    case "release":
      writer.u53(op.token ?? 0);
      break;
    case "refresh":
      writer.u32(op.ttlMs).u53(op.token ?? 0);
      break;
    case "expire":
      writer.u53(op.token).u53(op.leaseIndex);
      break;
    case "cancelWait":
      writer.u53(op.waiterId);
      break;
  }
}

/**
 * Decodes `encodeLockOp` output; throws an Error "Cannot decode lock op: ..." on bad bytes.
 * A version 1 expire (no lease index) decodes with lease index 0, which matches only grants
 * restored from a version 1 snapshot: any other grant outlives it until the leader proposes a
 * current expiry, so an old log can never cut a renewed lease short.
 */
export function decodeLockOp(bytes: Uint8Array): LockOp {
  const op = readBinary(bytes, CONTEXT, readLockOp);
  const problem = lockOpProblem(op);
  if (problem !== null) throw decodeError(CONTEXT, problem.message);
  return op;
}

/**
 * Decodes the next `byteCount` bytes of `reader` as `decodeLockOp` would (same checks, same
 * errors), in place: no copy of the op's bytes and no second reader.
 */
export function readLockOpIn(reader: BinaryReader, byteCount: number): LockOp {
  const endRemaining = reader.remainingBytes - byteCount;
  if (endRemaining < 0) throw reader.error(`lock op of ${byteCount} bytes is truncated`);
  const op = readLockOp(reader);
  if (reader.remainingBytes !== endRemaining) {
    throw decodeError(CONTEXT, `op ends ${endRemaining - reader.remainingBytes} bytes early`);
  }
  const problem = lockOpProblem(op);
  if (problem !== null) throw decodeError(CONTEXT, problem.message);
  return op;
}

function readLockOp(reader: BinaryReader): LockOp {
  const version = reader.u8();
  if (version < LOCK_OP_VERSION_OLDEST || version > LOCK_OP_VERSION) {
    throw reader.error(`unknown version ${version}`);
  }
  const code = reader.u8();
  const name = reader.u16String(OP_STRINGS);
  const owner = reader.u16String(OP_STRINGS);
  switch (code) {
    case OP_CODES.acquire: {
      const modeCode = reader.u8();
      const mode = modeOfCode(modeCode);
      if (mode === undefined) throw reader.error(`unknown mode code ${modeCode}`);
      const ttlMs = reader.u32();
      const waitCode = reader.u8();
      if (waitCode > 1) throw reader.error(`wait flag ${waitCode} is not 0 or 1`);
      return {
        op: "acquire",
        name,
        owner,
        mode,
        ttlMs,
        wait: waitCode === 1,
        waiterId: reader.u53(),
      };
    }
    case OP_CODES.release:
      return { op: "release", name, owner, token: optionalToken(reader.u53()) };
    case OP_CODES.refresh: {
      const ttlMs = reader.u32();
      return { op: "refresh", name, owner, ttlMs, token: optionalToken(reader.u53()) };
    }
    case OP_CODES.expire: {
      const token = reader.u53();
      const leaseIndex = version === 1 ? 0 : reader.u53();
      return { op: "expire", name, owner, token, leaseIndex };
    }
    case OP_CODES.cancelWait:
      return { op: "cancelWait", name, owner, waiterId: reader.u53() };
    default:
      throw reader.error(`unknown op code ${code}`);
  }
}

function optionalToken(token: number): number | null {
  return token === 0 ? null : token;
}
