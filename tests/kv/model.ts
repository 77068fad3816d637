import { KV_ENTRY_OVERHEAD_BYTES, KV_KEY_BYTES_MAX, type KvLimits } from "../../src/kv/mod.ts";
import type { KvOp, KvOutcome } from "../../src/kv/mod.ts";

/** A key as the model stores it: hex, so the model shares no code with the slot's byte strings. */
export function hexOf(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** One key in the model. */
export interface ModelEntry {
  value: Uint8Array;
  ttlMs: number | null;
  revision: number;
}

/**
 * The slot's semantics written as plainly as possible: a map, a revision counter, the limits
 * checked in the documented order, sizes recounted from scratch on every op.
 */
export class KvModel {
  readonly entries = new Map<string, ModelEntry>();
  revision = 0;

  constructor(readonly limits: Readonly<KvLimits>) {}

  /** Bytes in the accounting, recounted. */
  bytes(): number {
    let sum = 0;
    for (const [hex, entry] of this.entries) {
      sum += hex.length / 2 + entry.value.length + KV_ENTRY_OVERHEAD_BYTES;
    }
    return sum;
  }

  apply(op: KvOp): KvOutcome {
    const keys = op.op === "mset" ? op.pairs.map((p) => p.key) : op.op === "del" ? op.keys : [
      op.key,
    ];
    const long = keys.find((key) => key.length > KV_KEY_BYTES_MAX);
    if (long !== undefined) {
      return { kind: "limit", limit: "keyBytes", actual: long.length, maximum: KV_KEY_BYTES_MAX };
    }
    switch (op.op) {
      case "set": {
        const exists = this.entries.has(hexOf(op.key));
        if (op.condition === "ifMissing" && exists) return { kind: "notSet" };
        if (op.condition === "ifExists" && !exists) return { kind: "notSet" };
        return this.#write([[hexOf(op.key), op.value]], op.ttlMs);
      }
      case "mset":
        return this.#write(op.pairs.map((p) => [hexOf(p.key), p.value]), null);
      case "del": {
        let count = 0;
        for (const hex of new Set(op.keys.map(hexOf))) {
          if (this.entries.delete(hex)) count += 1;
        }
        if (count > 0) this.revision += 1;
        return { kind: "deleted", count };
      }
      case "expire": {
        const hex = hexOf(op.key);
        const entry = this.entries.get(hex);
        if (entry === undefined || entry.ttlMs === null || entry.revision !== op.revision) {
          return { kind: "expired", removed: false };
        }
        this.entries.delete(hex);
        this.revision += 1;
        return { kind: "expired", removed: true };
      }
    }
  }

  #write(pairs: [string, Uint8Array][], ttlMs: number | null): KvOutcome {
    const { valueBytesMax, keysMax, slotBytesMax } = this.limits;
    for (const [, value] of pairs) {
      if (value.length > valueBytesMax) {
        return { kind: "limit", limit: "valueBytes", actual: value.length, maximum: valueBytesMax };
      }
    }
    const after = new Map(this.entries);
    const revision = this.revision + 1;
    for (const [hex, value] of pairs) after.set(hex, { value, ttlMs, revision });
    const before = { keys: this.entries.size, bytes: this.bytes() };
    const trial = new KvModel(this.limits);
    for (const [hex, entry] of after) trial.entries.set(hex, entry);
    const keys = after.size;
    const bytes = trial.bytes();
    if (keys > before.keys && keys > keysMax) {
      return { kind: "limit", limit: "keys", actual: keys, maximum: keysMax };
    }
    if (bytes > before.bytes && bytes > slotBytesMax) {
      return { kind: "limit", limit: "slotBytes", actual: bytes, maximum: slotBytesMax };
    }
    this.entries.clear();
    for (const [hex, entry] of after) this.entries.set(hex, entry);
    this.revision = revision;
    return { kind: "ok" };
  }
}
