import { NAME_BYTES_MAX, OWNER_BYTES_MAX, TTL_MS_MAX } from "./limits.ts";
import type { LockOp } from "./types.ts";

const TEXT_ENCODER = new TextEncoder();

/** What is wrong with an op: `limit` for oversize names, `invalid` for malformed values. */
export interface LockOpProblem {
  kind: "limit" | "invalid";
  message: string;
}

/** Returns why `op` cannot be applied or encoded, or null when it is well formed. */
export function lockOpProblem(op: LockOp): LockOpProblem | null {
  const text = textProblem(op.name, "name", NAME_BYTES_MAX) ??
    textProblem(op.owner, "owner", OWNER_BYTES_MAX);
  if (text !== null) return text;
  const invalid = fieldProblem(op);
  return invalid === null ? null : { kind: "invalid", message: invalid };
}

/** Why `text` cannot be a name or owner (`field`) of at most `bytesMax` UTF-8 bytes, or null. */
export function textProblem(text: unknown, field: string, bytesMax: number): LockOpProblem | null {
  if (typeof text !== "string") return { kind: "invalid", message: `${field} is not a string` };
  if (!text.isWellFormed()) {
    return { kind: "invalid", message: `${field} is not well-formed Unicode (lone surrogate)` };
  }
  // Each UTF-16 unit takes 1..3 UTF-8 bytes; only encode when that bound cannot decide.
  if (text.length * 3 <= bytesMax) return null;
  const lengthBytes = TEXT_ENCODER.encode(text).length;
  if (lengthBytes <= bytesMax) return null;
  return {
    kind: "limit",
    message: `${field} length ${lengthBytes} exceeds maximum of ${bytesMax} bytes`,
  };
}

function fieldProblem(op: LockOp): string | null {
  switch (op.op) {
    case "acquire":
      if (op.mode !== "shared" && op.mode !== "exclusive") return `unknown mode ${op.mode}`;
      if (typeof op.wait !== "boolean") return `wait ${op.wait} is not a boolean`;
      return ttlProblem(op.ttlMs) ?? waiterIdProblem(op.waiterId);
    case "release":
      return op.token === null ? null : tokenProblem(op.token);
    case "refresh":
      return ttlProblem(op.ttlMs) ?? (op.token === null ? null : tokenProblem(op.token));
    case "expire":
      return tokenProblem(op.token) ?? leaseIndexProblem(op.leaseIndex);
    case "cancelWait":
      return waiterIdProblem(op.waiterId);
    default:
      return `unknown op ${(op as { op: unknown }).op}`;
  }
}

function ttlProblem(ttlMs: number): string | null {
  if (Number.isInteger(ttlMs) && ttlMs >= 1 && ttlMs <= TTL_MS_MAX) return null;
  return `ttlMs ${ttlMs} is not an integer in 1..${TTL_MS_MAX}`;
}

function tokenProblem(token: number): string | null {
  if (Number.isSafeInteger(token) && token >= 1) return null;
  return `token ${token} is not a positive safe integer`;
}

function leaseIndexProblem(leaseIndex: number): string | null {
  if (Number.isSafeInteger(leaseIndex) && leaseIndex >= 0) return null;
  return `leaseIndex ${leaseIndex} is not a non-negative safe integer`;
}

function waiterIdProblem(waiterId: number): string | null {
  if (Number.isSafeInteger(waiterId) && waiterId >= 0) return null;
  return `waiterId ${waiterId} is not a non-negative safe integer`;
}
