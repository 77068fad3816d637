import type { BinaryReader } from "../../protocol/binary/mod.ts";
import { BinaryWriter } from "../../protocol/binary/mod.ts";
import { assert } from "../util/assert.ts";
import { KvCodecError, readKvBinary } from "./codec_error.ts";
import { KV_KEY_BYTES_MAX, KV_OP_KEYS_MAX } from "./limits.ts";
import type { KvCondition, KvOp, KvPair } from "./types.ts";
import { kvOpProblem } from "./validate.ts";

/** Version byte leading every encoded key-value op. */
export const KV_OP_VERSION = 1;

const CONTEXT = "key-value op";
const OP_CODES: Readonly<Record<KvOp["op"], number>> = { set: 1, del: 2, mset: 3, expire: 4 };
const CONDITION_CODES: Readonly<Record<KvCondition, number>> = {
  always: 0,
  ifMissing: 1,
  ifExists: 2,
};
const CONDITIONS: readonly KvCondition[] = ["always", "ifMissing", "ifExists"];
/** Smallest encoding of a key (its u32 length). */
const KEY_BYTES_MIN = 4;

/**
 * Encodes an op: u8 version, u8 op code, then set: key, value, u8 condition (0 always, 1 NX,
 * 2 XX), u53 ttlMs (0: none); del: u32 count, keys; mset: u32 count, (key, value) pairs;
 * expire: key, u53 revision. Keys and values are u32 length + bytes. Throws a RangeError for an
 * op that kvOpProblem finds wrong (a proposer's bug: the parser refuses such input first).
 */
export function encodeKvOp(op: KvOp): Uint8Array {
  const problem = kvOpProblem(op);
  if (problem !== null) throw new RangeError(`Cannot encode ${CONTEXT}: ${problemText(problem)}`);
  const lengthBytes = kvOpBytes(op);
  const writer = new BinaryWriter(lengthBytes);
  writer.u8(KV_OP_VERSION).u8(OP_CODES[op.op]);
  switch (op.op) {
    case "set":
      writer.u32Bytes(op.key).u32Bytes(op.value).u8(CONDITION_CODES[op.condition]).u53(
        op.ttlMs ?? 0,
      );
      break;
    case "del":
      writer.list(op.keys, (w, key) => w.u32Bytes(key));
      break;
    case "mset":
      writer.list(op.pairs, (w, pair) => w.u32Bytes(pair.key).u32Bytes(pair.value));
      break;
    case "expire":
      writer.u32Bytes(op.key).u53(op.revision);
      break;
  }
  assert(writer.lengthBytes === lengthBytes, "kvOpBytes disagrees with the encoding");
  return writer.view();
}

/** The exact length of encodeKvOp(op) in bytes, without encoding (to check an entry limit). */
export function kvOpBytes(op: KvOp): number {
  switch (op.op) {
    case "set":
      return 2 + 4 + op.key.length + 4 + op.value.length + 1 + 8;
    case "del":
      return 2 + 4 + op.keys.reduce((sum, key) => sum + 4 + key.length, 0);
    case "mset":
      return 2 + 4 + op.pairs.reduce((sum, p) => sum + 8 + p.key.length + p.value.length, 0);
    case "expire":
      return 2 + 4 + op.key.length + 8;
  }
}

/** Decodes encodeKvOp output; throws a KvCodecError "Cannot decode key-value op: ..." on bad bytes. */
export function decodeKvOp(bytes: Uint8Array): KvOp {
  const op = readKvBinary(bytes, CONTEXT, readOp);
  const problem = kvOpProblem(op);
  if (problem !== null) throw new KvCodecError(`Cannot decode ${CONTEXT}: ${problemText(problem)}`);
  return op;
}

function readOp(reader: BinaryReader): KvOp {
  const version = reader.u8();
  if (version !== KV_OP_VERSION) throw reader.error(`unknown version ${version}`);
  const code = reader.u8();
  switch (code) {
    case OP_CODES.set: {
      const key = readKey(reader);
      const value = reader.u32Bytes();
      const conditionCode = reader.u8();
      const condition = CONDITIONS[conditionCode];
      if (condition === undefined) throw reader.error(`unknown condition code ${conditionCode}`);
      const ttlMs = reader.u53();
      return { op: "set", key, value, condition, ttlMs: ttlMs === 0 ? null : ttlMs };
    }
    case OP_CODES.del:
      return { op: "del", keys: reader.list(readKey, KV_OP_KEYS_MAX, KEY_BYTES_MIN) };
    case OP_CODES.mset:
      return { op: "mset", pairs: reader.list(readPair, KV_OP_KEYS_MAX, 2 * KEY_BYTES_MIN) };
    case OP_CODES.expire: {
      const key = readKey(reader);
      return { op: "expire", key, revision: reader.u53() };
    }
    default:
      throw reader.error(`unknown op code ${code}`);
  }
}

function readKey(reader: BinaryReader): Uint8Array {
  return reader.u32Bytes(KV_KEY_BYTES_MAX);
}

function readPair(reader: BinaryReader): KvPair {
  const key = readKey(reader);
  return { key, value: reader.u32Bytes() };
}

function problemText(problem: NonNullable<ReturnType<typeof kvOpProblem>>): string {
  if (problem.kind === "invalid") return problem.message;
  return `${problem.limit} ${problem.actual} exceeds maximum of ${problem.maximum}`;
}
