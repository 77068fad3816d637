/** A SET condition: always, only when the key is missing (NX), only when it exists (XX). */
export type KvCondition = "always" | "ifMissing" | "ifExists";

/** Sets one key; with `ttlMs` the key expires (the leader decides when), without it never. */
export interface KvSetOp {
  op: "set";
  /** 0..KV_KEY_BYTES_MAX bytes (Redis keys are binary and may be empty). */
  key: Uint8Array;
  value: Uint8Array;
  /** 1..KV_TTL_MS_MAX, or null: no expiry (an existing TTL is dropped, as in Redis). */
  ttlMs: number | null;
  /** Evaluated when the op is applied, on the state at that point of the log. */
  condition: KvCondition;
}

/** Deletes keys; the outcome counts the distinct keys that existed. */
export interface KvDelOp {
  op: "del";
  /** 1..KV_OP_KEYS_MAX keys; repeats count once. */
  keys: Uint8Array[];
}

/** One key and its value. */
export interface KvPair {
  key: Uint8Array;
  value: Uint8Array;
}

/** Sets several keys of one slot atomically, dropping their TTLs; a repeated key: last wins. */
export interface KvMsetOp {
  op: "mset";
  /** 1..KV_OP_KEYS_MAX pairs. */
  pairs: KvPair[];
}

/**
 * The slot leader decided that the key, as last written by the write numbered `revision`, ran
 * out of time. It takes effect only if the key was not written since (same revision).
 */
export interface KvExpireOp {
  op: "expire";
  key: Uint8Array;
  /** The key's revision the leader saw when it decided; any later write voids the expiry. */
  revision: number;
}

/** One operation of a slot's store, carried in a committed Raft entry. */
export type KvOp = KvSetOp | KvDelOp | KvMsetOp | KvExpireOp;

/** Which configured or fixed limit a refused op would have passed. */
export type KvLimitName = "keyBytes" | "valueBytes" | "slotBytes" | "keys" | "opKeys";

/** A refusal for a limit: the op changed nothing. */
export interface KvLimitRefusal {
  kind: "limit";
  limit: KvLimitName;
  /** What the op would have reached (bytes, keys). */
  actual: number;
  maximum: number;
}

/** A malformed op (a bad TTL, no keys): a bug in the proposer; the op changed nothing. */
export interface KvInvalid {
  kind: "invalid";
  message: string;
}

/** The result of applying one op; every refusal changes nothing. */
export type KvOutcome =
  /** set (condition held) or mset: written. */
  | { kind: "ok" }
  /** set whose NX/XX condition did not hold: nothing written (Redis answers nil). */
  | { kind: "notSet" }
  /** del: how many distinct keys existed and were removed. */
  | { kind: "deleted"; count: number }
  /** expire: whether the key was removed (false: stale or already gone). */
  | { kind: "expired"; removed: boolean }
  | KvLimitRefusal
  | KvInvalid;

/** One stored key as a read sees it. */
export interface KvEntryView {
  readonly value: Uint8Array;
  /** The TTL of the last write, or null when the key never expires. */
  readonly ttlMs: number | null;
  /** The slot revision of the last write of this key. */
  readonly revision: number;
}

/** The line after `-LIMIT ` for a refusal, e.g. `slot bytes 67108900 exceed maximum of ...`. */
export function limitMessage(refusal: KvLimitRefusal): string {
  const what = LIMIT_WORDS[refusal.limit];
  return `${what} ${refusal.actual} would exceed maximum of ${refusal.maximum}`;
}

const LIMIT_WORDS: Readonly<Record<KvLimitName, string>> = {
  keyBytes: "key length in bytes",
  valueBytes: "value length in bytes",
  slotBytes: "slot size in bytes",
  keys: "keys in slot",
  opKeys: "keys in one operation",
};
