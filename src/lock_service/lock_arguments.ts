import type { LockMode } from "../locks/mod.ts";
import { NAME_BYTES_MAX, OWNER_BYTES_MAX } from "../locks/limits.ts";
import { textProblem } from "../locks/validate.ts";

/** Bounds on client-supplied lock arguments (from the node's options). */
export interface LockArgumentLimits {
  ttlMinMs: number;
  ttlMaxMs: number;
  waitMaxMs: number;
}

/** A parsed LOCK.ACQUIRE. */
export interface AcquireRequest {
  name: string;
  owner: string;
  mode: LockMode;
  ttlMs: number;
  waitMs: number;
}

/** A parsed LOCK.RELEASE. */
export interface ReleaseRequest {
  name: string;
  owner: string;
  token: number | null;
}

/** A parsed LOCK.REFRESH. */
export interface RefreshRequest extends ReleaseRequest {
  ttlMs: number;
}

/** Defaults of the contract: EXCLUSIVE, TTL 30000, WAIT 0. */
export const ACQUIRE_DEFAULTS = { mode: "exclusive" as LockMode, ttlMs: 30_000, waitMs: 0 };

const decoder = new TextDecoder();
/** Arguments up to this length are decoded as ASCII without TextDecoder when they are ASCII. */
const ASCII_FAST_BYTES_MAX = 64;
/** One reused code array for the ASCII fast path (not an array per argument). */
const ASCII_CODES: number[] = [];
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** Most digits of an integer argument (2^53 has 16). */
const INTEGER_DIGITS_MAX = 16;

/** Parses a non-negative safe integer argument (ASCII digits only) or returns null. */
function integer(bytes: Uint8Array | undefined): number | null {
  if (bytes === undefined || bytes.length === 0 || bytes.length > INTEGER_DIGITS_MAX) return null;
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte < DIGIT_0 || byte > DIGIT_9) return null;
    value = value * 10 + (byte - DIGIT_0);
  }
  return Number.isSafeInteger(value) ? value : null;
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

/** The argument as text (invalid UTF-8 as U+FFFD); short ASCII without TextDecoder. */
function text(bytes: Uint8Array): string {
  if (bytes.length > ASCII_FAST_BYTES_MAX || !isAscii(bytes)) return decoder.decode(bytes);
  const codes = ASCII_CODES;
  codes.length = bytes.length;
  for (let i = 0; i < bytes.length; i++) codes[i] = bytes[i]!;
  return String.fromCharCode.apply(null, codes);
}

const NOT_INTEGER = "ERR value is not an integer or out of range";

/**
 * `-LIMIT` naming the argument, its length and the maximum when a lock name or owner is longer
 * than the op codec takes; null when it fits. Raw bytes are checked first (nothing long is
 * decoded), then the decoded text: invalid UTF-8 becomes U+FFFD, 3 bytes each.
 */
function textArgumentProblem(bytes: Uint8Array, what: string, bytesMax: number): string | null {
  if (bytes.length <= bytesMax && isAscii(bytes)) return null; // as many UTF-8 bytes as bytes
  const problem = bytes.length > bytesMax
    ? { message: `${what} length ${bytes.length} exceeds maximum of ${bytesMax} bytes` }
    : textProblem(text(bytes), what, bytesMax);
  return problem === null ? null : `LIMIT lock ${problem.message}`;
}

function nameOwnerProblem(args: Uint8Array[]): string | null {
  return textArgumentProblem(args[1]!, "name", NAME_BYTES_MAX) ??
    textArgumentProblem(args[2]!, "owner", OWNER_BYTES_MAX);
}

function checkTtl(ttlMs: number, limits: LockArgumentLimits): string | null {
  if (ttlMs < limits.ttlMinMs || ttlMs > limits.ttlMaxMs) {
    return `ERR TTL must be between ${limits.ttlMinMs} and ${limits.ttlMaxMs} ms`;
  }
  return null;
}

/** LOCK.ACQUIRE name owner [SHARED|EXCLUSIVE] [TTL ms] [WAIT ms]. */
export function parseAcquire(
  args: Uint8Array[],
  limits: LockArgumentLimits,
): AcquireRequest | string {
  const sizeProblem = nameOwnerProblem(args);
  if (sizeProblem !== null) return sizeProblem;
  const request: AcquireRequest = {
    name: text(args[1]!),
    owner: text(args[2]!),
    ...ACQUIRE_DEFAULTS,
  };
  if (request.name === "" || request.owner === "") {
    return "ERR lock name and owner must not be empty";
  }
  for (let i = 3; i < args.length; i++) {
    const option = text(args[i]!).toUpperCase();
    if (option === "SHARED" || option === "EXCLUSIVE") {
      request.mode = option === "SHARED" ? "shared" : "exclusive";
      continue;
    }
    const value = integer(args[i + 1]);
    if (option === "TTL" || option === "WAIT") {
      if (value === null) return NOT_INTEGER;
      if (option === "TTL") request.ttlMs = value;
      else request.waitMs = value;
      i++;
      continue;
    }
    return `ERR syntax error near '${text(args[i]!).slice(0, 32)}'`;
  }
  const ttlProblem = checkTtl(request.ttlMs, limits);
  if (ttlProblem !== null) return ttlProblem;
  if (request.waitMs > limits.waitMaxMs) {
    return `ERR WAIT must be at most ${limits.waitMaxMs} ms`;
  }
  return request;
}

/** Reads an optional trailing `TOKEN t`. */
function parseToken(args: Uint8Array[], from: number): number | null | string {
  if (args.length === from) return null;
  if (args.length !== from + 2 || text(args[from]!).toUpperCase() !== "TOKEN") {
    return "ERR syntax error: expected TOKEN <fencing-token>";
  }
  const token = integer(args[from + 1]);
  if (token === null) return NOT_INTEGER;
  if (token < 1) return `ERR TOKEN must be between 1 and ${Number.MAX_SAFE_INTEGER}`;
  return token;
}

/** LOCK.RELEASE name owner [TOKEN t] */
export function parseRelease(args: Uint8Array[]): ReleaseRequest | string {
  const sizeProblem = nameOwnerProblem(args);
  if (sizeProblem !== null) return sizeProblem;
  const token = parseToken(args, 3);
  if (typeof token === "string") return token;
  return { name: text(args[1]!), owner: text(args[2]!), token };
}

/** LOCK.REFRESH name owner ttl-ms [TOKEN t] */
export function parseRefresh(
  args: Uint8Array[],
  limits: LockArgumentLimits,
): RefreshRequest | string {
  const sizeProblem = nameOwnerProblem(args);
  if (sizeProblem !== null) return sizeProblem;
  const ttlMs = integer(args[3]);
  if (ttlMs === null) return NOT_INTEGER;
  const ttlProblem = checkTtl(ttlMs, limits);
  if (ttlProblem !== null) return ttlProblem;
  const token = parseToken(args, 4);
  if (typeof token === "string") return token;
  return { name: text(args[1]!), owner: text(args[2]!), ttlMs, token };
}

/** LOCK.INFO name: the name, or the error line for an oversize one. */
export function parseInfoName(args: Uint8Array[]): { name: string } | string {
  const problem = textArgumentProblem(args[1]!, "name", NAME_BYTES_MAX);
  return problem ?? { name: text(args[1]!) };
}

/** Internal LOCK.CANCELWAIT name owner waiter-id (sent by the node that parked the wait). */
export function parseCancelWait(
  args: Uint8Array[],
): { name: string; owner: string; waiterId: number } | string {
  const sizeProblem = nameOwnerProblem(args);
  if (sizeProblem !== null) return sizeProblem;
  const waiterId = integer(args[3]);
  if (waiterId === null) return NOT_INTEGER;
  return { name: text(args[1]!), owner: text(args[2]!), waiterId };
}
