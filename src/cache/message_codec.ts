import { BinaryReader, BinaryWriter, DecodeError } from "../../protocol/binary/mod.ts";
import { KV_KEY_BYTES_MAX, KV_TTL_MS_MAX } from "../kv/limits.ts";
import {
  CACHE_FENCE_NODES_MAX,
  CACHE_RENEW_KEY_BYTES_MAX,
  CACHE_RENEW_LINES_MAX,
} from "./limits.ts";
import type { KvCondition } from "../kv/types.ts";
import type {
  CacheMessage,
  CacheMessageType,
  CacheRefusal,
  CacheWrite,
  DirtyData,
  GrantedState,
  RenewLine,
} from "./types.ts";

/** Version byte leading every encoded cache message. */
export const CACHE_MESSAGE_VERSION = 1;

/** Peer protocol message codes of the cache (range 128-159; see docs/cache.md). */
export const CACHE_MESSAGE_CODES: Readonly<Record<CacheMessageType, number>> = {
  readRequest: 128,
  exclusiveRequest: 129,
  grant: 130,
  refuse: 131,
  forward: 132,
  invalidate: 133,
  invalidateAck: 134,
  writeBack: 135,
  writeBackAck: 136,
  evict: 137,
  fence: 138,
  fenceAck: 139,
  renewRequest: 140,
  renewGrant: 141,
};

/** Bytes that are not a valid cache message: the only error decodeCacheMessage throws. */
export class CacheCodecError extends Error {
  override name = "CacheCodecError";
}

const CONTEXT = "cache message";
const TYPES = Object.keys(CACHE_MESSAGE_CODES) as CacheMessageType[];
const STATES: readonly GrantedState[] = ["M", "E", "S"];
const REFUSALS: readonly CacheRefusal[] = [
  "busy",
  "notLeader",
  "refused",
  "unknown",
  "unavailable",
];
const CONDITIONS: readonly KvCondition[] = ["always", "ifMissing", "ifExists"];
/** Largest value a cache message carries (the store refuses more anyway): 512 MiB. */
export const CACHE_VALUE_BYTES_MAX = 512 * 1024 * 1024;

/**
 * Encodes a message: u8 version, u8 code, u32 slot, then the type's fields (docs/cache.md has
 * the table). Numbers are u53, keys and values u32 length + bytes, an optional value or TTL has a
 * u8 presence flag first. Throws a RangeError for a field out of range.
 */
export function encodeCacheMessage(m: CacheMessage): Uint8Array {
  const w = new BinaryWriter(64 + ("key" in m ? m.key.length : 0));
  writeCacheMessage(w, m);
  return w.view();
}

/** Appends encodeCacheMessage's bytes of `m` to `w` (several messages share one writer). */
export function writeCacheMessage(w: BinaryWriter, m: CacheMessage): void {
  w.u8(CACHE_MESSAGE_VERSION).u8(CACHE_MESSAGE_CODES[m.type]).u32(m.slot);
  if ("key" in m && m.key.length > KV_KEY_BYTES_MAX) {
    throw new RangeError(`Cannot encode ${CONTEXT}: key of ${m.key.length} bytes`);
  }
  switch (m.type) {
    case "readRequest":
      w.u53(m.requestId).u32Bytes(m.key);
      break;
    case "exclusiveRequest":
      w.u53(m.requestId).u32Bytes(m.key);
      writeOptionalValue(w, m.write.value);
      writeTtl(w, m.write.ttlMs);
      w.u8(CONDITIONS.indexOf(m.write.condition));
      break;
    case "grant":
      w.u53(m.epoch).u53(m.requestId).u32Bytes(m.key).u8(STATES.indexOf(m.state)).u53(m.grantSeq);
      writeOptionalValue(w, m.value);
      writeTtl(w, m.ttlRemainingMs);
      w.u53(m.leaseMs).u8(m.applied ? 1 : 0);
      break;
    case "refuse":
      w.u53(m.epoch).u53(m.requestId).u32Bytes(m.key).u8(REFUSALS.indexOf(m.reason));
      break;
    case "forward":
    case "invalidate":
      w.u53(m.epoch).u32Bytes(m.key).u53(m.upToSeq);
      break;
    case "invalidateAck":
      w.u53(m.epoch).u32Bytes(m.key).u53(m.upToSeq).u8(m.keptShared ? 1 : 0);
      w.u8(m.dirty === null ? 0 : 1);
      if (m.dirty !== null) writeDirty(w, m.dirty);
      break;
    case "writeBack":
      w.u53(m.epoch).u32Bytes(m.key).u53(m.grantSeq).u53(m.writeVersion);
      writeDirty(w, m.dirty);
      w.u8(m.final ? 1 : 0);
      break;
    case "writeBackAck":
      w.u53(m.epoch).u32Bytes(m.key).u53(m.grantSeq).u53(m.writeVersion).u8(m.accepted ? 1 : 0);
      w.u53(m.leaseMs);
      break;
    case "evict":
      w.u53(m.epoch).u32Bytes(m.key).u53(m.grantSeq);
      break;
    case "fence":
      if (m.nodes.length > CACHE_FENCE_NODES_MAX) {
        throw new RangeError(`Cannot encode ${CONTEXT}: fence of ${m.nodes.length} nodes`);
      }
      w.u53(m.epoch).u32(m.nodes.length);
      for (const node of m.nodes) w.u8String(node);
      break;
    case "fenceAck":
      w.u53(m.epoch);
      break;
    case "renewRequest":
      checkRenewLines(m.lines);
      w.u53(m.epoch).u53(m.requestId).u32(m.lines.length);
      for (const line of m.lines) w.u32Bytes(line.key).u53(line.grantSeq);
      break;
    case "renewGrant":
      checkRefused(m.refused, CACHE_RENEW_LINES_MAX);
      w.u53(m.epoch).u53(m.requestId).u53(m.leaseMs).u32(m.refused.length);
      for (const index of m.refused) w.u32(index);
      break;
  }
}

/** Decodes encodeCacheMessage output; throws CacheCodecError "Cannot decode cache message: ...". */
export function decodeCacheMessage(bytes: Uint8Array): CacheMessage {
  const r = new BinaryReader(bytes, CONTEXT);
  try {
    const message = readMessage(r);
    r.expectEnd();
    return message;
  } catch (error) {
    if (error instanceof DecodeError) throw new CacheCodecError(error.message);
    throw error;
  }
}

function readMessage(r: BinaryReader): CacheMessage {
  const version = r.u8();
  if (version !== CACHE_MESSAGE_VERSION) throw r.error(`unknown version ${version}`);
  const code = r.u8();
  const type = TYPES.find((t) => CACHE_MESSAGE_CODES[t] === code);
  if (type === undefined) throw r.error(`unknown message code ${code}`);
  const slot = r.u32();
  switch (type) {
    case "readRequest":
      return { type, slot, requestId: r.u53(), key: readKey(r) };
    case "exclusiveRequest": {
      const requestId = r.u53();
      const key = readKey(r);
      const write: CacheWrite = {
        value: readOptionalValue(r),
        ttlMs: readTtl(r),
        condition: pick(r, CONDITIONS, "condition"),
      };
      return { type, slot, requestId, key, write };
    }
    case "grant": {
      const epoch = r.u53();
      const requestId = r.u53();
      const key = readKey(r);
      const state = pick(r, STATES, "state");
      const grantSeq = r.u53();
      const value = readOptionalValue(r);
      const ttlRemainingMs = readTtl(r);
      const leaseMs = r.u53();
      const applied = readFlag(r);
      return {
        type,
        slot,
        epoch,
        requestId,
        key,
        state,
        grantSeq,
        value,
        ttlRemainingMs,
        leaseMs,
        applied,
      };
    }
    case "refuse": {
      const epoch = r.u53();
      const requestId = r.u53();
      return { type, slot, epoch, requestId, key: readKey(r), reason: pick(r, REFUSALS, "reason") };
    }
    case "forward":
    case "invalidate":
      return { type, slot, epoch: r.u53(), key: readKey(r), upToSeq: r.u53() };
    case "invalidateAck": {
      const epoch = r.u53();
      const key = readKey(r);
      const upToSeq = r.u53();
      const keptShared = readFlag(r);
      const dirty = readFlag(r) ? readDirty(r) : null;
      return { type, slot, epoch, key, upToSeq, keptShared, dirty };
    }
    case "writeBack": {
      const epoch = r.u53();
      const key = readKey(r);
      const grantSeq = r.u53();
      const writeVersion = r.u53();
      const dirty = readDirty(r);
      return { type, slot, epoch, key, grantSeq, writeVersion, dirty, final: readFlag(r) };
    }
    case "writeBackAck": {
      const epoch = r.u53();
      const key = readKey(r);
      const grantSeq = r.u53();
      const writeVersion = r.u53();
      const accepted = readFlag(r);
      return { type, slot, epoch, key, grantSeq, writeVersion, accepted, leaseMs: r.u53() };
    }
    case "evict":
      return { type, slot, epoch: r.u53(), key: readKey(r), grantSeq: r.u53() };
    case "fence": {
      const epoch = r.u53();
      const count = r.count(CACHE_FENCE_NODES_MAX, 2);
      const nodes: string[] = [];
      for (let i = 0; i < count; i++) {
        const node = r.u8String();
        if (node === "") throw r.error("empty node id in a fence");
        nodes.push(node);
      }
      return { type, slot, epoch, nodes };
    }
    case "fenceAck":
      return { type, slot, epoch: r.u53() };
    case "renewRequest": {
      const epoch = r.u53();
      const requestId = r.u53();
      return { type, slot, epoch, requestId, lines: readRenewLines(r) };
    }
    case "renewGrant": {
      const epoch = r.u53();
      const requestId = r.u53();
      const leaseMs = r.u53();
      return { type, slot, epoch, requestId, leaseMs, refused: readRefused(r) };
    }
  }
}

/** Throws a RangeError for a RenewRequest beyond its bounds (lines, key bytes, a key's size). */
function checkRenewLines(lines: readonly RenewLine[]): void {
  if (lines.length > CACHE_RENEW_LINES_MAX) {
    throw new RangeError(`Cannot encode ${CONTEXT}: renewal of ${lines.length} lines`);
  }
  let keyBytes = 0;
  for (const line of lines) {
    if (line.key.length > KV_KEY_BYTES_MAX) {
      throw new RangeError(`Cannot encode ${CONTEXT}: key of ${line.key.length} bytes`);
    }
    keyBytes += line.key.length;
  }
  if (keyBytes > CACHE_RENEW_KEY_BYTES_MAX) {
    throw new RangeError(`Cannot encode ${CONTEXT}: renewal of ${keyBytes} key bytes`);
  }
}

/** Refused indexes: strictly ascending, each below the request's line bound. */
function checkRefused(refused: readonly number[], linesMax: number): void {
  if (refused.length > linesMax) {
    throw new RangeError(`Cannot encode ${CONTEXT}: ${refused.length} refused lines`);
  }
  refused.forEach((index, at) => {
    if (!Number.isInteger(index) || index < 0 || index >= linesMax) {
      throw new RangeError(`Cannot encode ${CONTEXT}: refused line index ${index}`);
    }
    if (at > 0 && index <= refused[at - 1]!) {
      throw new RangeError(`Cannot encode ${CONTEXT}: refused indexes not ascending`);
    }
  });
}

function readRenewLines(r: BinaryReader): RenewLine[] {
  // Each line is a u32 key length and a u53 grant number at least.
  const count = r.count(CACHE_RENEW_LINES_MAX, 12);
  const lines: RenewLine[] = [];
  let keyBytes = 0;
  for (let i = 0; i < count; i++) {
    const key = readKey(r);
    keyBytes += key.length;
    if (keyBytes > CACHE_RENEW_KEY_BYTES_MAX) {
      throw r.error(`renewal keys exceed maximum of ${CACHE_RENEW_KEY_BYTES_MAX} bytes`);
    }
    lines.push({ key, grantSeq: r.u53() });
  }
  return lines;
}

function readRefused(r: BinaryReader): number[] {
  const count = r.count(CACHE_RENEW_LINES_MAX, 4);
  const refused: number[] = [];
  for (let i = 0; i < count; i++) {
    const index = r.u32();
    if (index >= CACHE_RENEW_LINES_MAX) throw r.error(`refused line index ${index} out of range`);
    if (i > 0 && index <= refused[i - 1]!) throw r.error("refused line indexes not ascending");
    refused.push(index);
  }
  return refused;
}

function readKey(r: BinaryReader): Uint8Array {
  return r.u32Bytes(KV_KEY_BYTES_MAX);
}

function readFlag(r: BinaryReader): boolean {
  const flag = r.u8();
  if (flag > 1) throw r.error(`flag ${flag} is not 0 or 1`);
  return flag === 1;
}

function pick<T>(r: BinaryReader, values: readonly T[], field: string): T {
  const index = r.u8();
  const value = values[index];
  if (value === undefined) throw r.error(`unknown ${field} code ${index}`);
  return value;
}

function writeOptionalValue(w: BinaryWriter, value: Uint8Array | null): void {
  w.u8(value === null ? 0 : 1);
  if (value !== null) w.u32Bytes(value);
}

function readOptionalValue(r: BinaryReader): Uint8Array | null {
  return readFlag(r) ? r.u32Bytes(CACHE_VALUE_BYTES_MAX) : null;
}

/** A TTL (or TTL left, which may be 0): u8 presence flag, then u53 ms up to KV_TTL_MS_MAX. */
function writeTtl(w: BinaryWriter, ttlMs: number | null): void {
  w.u8(ttlMs === null ? 0 : 1);
  if (ttlMs === null) return;
  if (ttlMs > KV_TTL_MS_MAX) {
    throw new RangeError(`Cannot encode ${CONTEXT}: TTL ${ttlMs} exceeds ${KV_TTL_MS_MAX}`);
  }
  w.u53(ttlMs);
}

function readTtl(r: BinaryReader): number | null {
  if (!readFlag(r)) return null;
  const ttlMs = r.u53();
  if (ttlMs > KV_TTL_MS_MAX) throw r.error(`TTL ${ttlMs} exceeds maximum of ${KV_TTL_MS_MAX}`);
  return ttlMs;
}

function writeDirty(w: BinaryWriter, dirty: DirtyData): void {
  writeOptionalValue(w, dirty.value);
  writeTtl(w, dirty.ttlMs);
}

function readDirty(r: BinaryReader): DirtyData {
  return { value: readOptionalValue(r), ttlMs: readTtl(r) };
}
