import { KV_KEY_BYTES_MAX, KV_OP_KEYS_MAX, KV_TTL_MS_MAX } from "./limits.ts";
import type { KvInvalid, KvLimitRefusal, KvOp } from "./types.ts";

const CONDITIONS: ReadonlySet<string> = new Set(["always", "ifMissing", "ifExists"]);

/**
 * What is wrong with `op` by the fixed rules (key length, key count, TTL range, revision), or
 * null. The configured limits (value and slot size, key count) are the slot's to check.
 */
export function kvOpProblem(op: KvOp): KvLimitRefusal | KvInvalid | null {
  switch (op.op) {
    case "set":
      if (!CONDITIONS.has(op.condition)) return invalid(`unknown condition ${op.condition}`);
      if (!(op.value instanceof Uint8Array)) return invalid("value is not bytes");
      if (op.ttlMs !== null && !isTtl(op.ttlMs)) {
        return invalid(`ttlMs ${op.ttlMs} is not an integer in 1..${KV_TTL_MS_MAX}`);
      }
      return keyProblem(op.key);
    case "del":
      return countProblem(op.keys.length) ?? firstProblem(op.keys.map(keyProblem));
    case "mset":
      return countProblem(op.pairs.length) ??
        firstProblem(op.pairs.map((pair) => {
          if (!(pair.value instanceof Uint8Array)) return invalid("value is not bytes");
          return keyProblem(pair.key);
        }));
    case "expire":
      if (!Number.isSafeInteger(op.revision) || op.revision < 1) {
        return invalid(`revision ${op.revision} is not a positive safe integer`);
      }
      return keyProblem(op.key);
    default:
      return invalid(`unknown op ${(op as { op: unknown }).op}`);
  }
}

/** Whether `ttlMs` is a TTL a key may carry. */
export function isTtl(ttlMs: number): boolean {
  return Number.isSafeInteger(ttlMs) && ttlMs >= 1 && ttlMs <= KV_TTL_MS_MAX;
}

function keyProblem(key: Uint8Array): KvLimitRefusal | KvInvalid | null {
  if (!(key instanceof Uint8Array)) return invalid("key is not bytes");
  if (key.length <= KV_KEY_BYTES_MAX) return null;
  return { kind: "limit", limit: "keyBytes", actual: key.length, maximum: KV_KEY_BYTES_MAX };
}

function countProblem(count: number): KvLimitRefusal | KvInvalid | null {
  if (count === 0) return invalid("no keys");
  if (count <= KV_OP_KEYS_MAX) return null;
  return { kind: "limit", limit: "opKeys", actual: count, maximum: KV_OP_KEYS_MAX };
}

function firstProblem<T>(problems: (T | null)[]): T | null {
  return problems.find((problem) => problem !== null) ?? null;
}

function invalid(message: string): KvInvalid {
  return { kind: "invalid", message };
}
