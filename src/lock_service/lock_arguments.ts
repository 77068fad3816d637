import type { LockMode } from "../locks/mod.ts";

/** Bounds on client-supplied lock arguments (from the node's options). */
export interface LockArgumentLimits {
  ttlMinMs: number;
  ttlMaxMs: number;
  waitMaxMs: number;
}

/** A parsed LOCK.ACQUIRE. `waiterId` is set only by a forwarding node (internal WAITERID). */
export interface AcquireRequest {
  name: string;
  owner: string;
  mode: LockMode;
  ttlMs: number;
  waitMs: number;
  waiterId: number | null;
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

/** Parses a non-negative safe integer argument or returns null. */
function integer(bytes: Uint8Array | undefined): number | null {
  if (bytes === undefined || bytes.length === 0 || bytes.length > 16) return null;
  const text = decoder.decode(bytes);
  if (!/^\d+$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

function text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

const NOT_INTEGER = "ERR value is not an integer or out of range";

function checkTtl(ttlMs: number, limits: LockArgumentLimits): string | null {
  if (ttlMs < limits.ttlMinMs || ttlMs > limits.ttlMaxMs) {
    return `ERR TTL must be between ${limits.ttlMinMs} and ${limits.ttlMaxMs} ms`;
  }
  return null;
}

/** LOCK.ACQUIRE name owner [SHARED|EXCLUSIVE] [TTL ms] [WAIT ms] (+ internal WAITERID id). */
export function parseAcquire(
  args: Uint8Array[],
  limits: LockArgumentLimits,
  internal: boolean,
): AcquireRequest | string {
  const request: AcquireRequest = {
    name: text(args[1]!),
    owner: text(args[2]!),
    ...ACQUIRE_DEFAULTS,
    waiterId: null,
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
    if (option === "TTL" || option === "WAIT" || (option === "WAITERID" && internal)) {
      if (value === null) return NOT_INTEGER;
      if (option === "TTL") request.ttlMs = value;
      else if (option === "WAIT") request.waitMs = value;
      else request.waiterId = value;
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
  return integer(args[from + 1]) ?? NOT_INTEGER;
}

/** LOCK.RELEASE name owner [TOKEN t] */
export function parseRelease(args: Uint8Array[]): ReleaseRequest | string {
  const token = parseToken(args, 3);
  if (typeof token === "string") return token;
  return { name: text(args[1]!), owner: text(args[2]!), token };
}

/** LOCK.REFRESH name owner ttl-ms [TOKEN t] */
export function parseRefresh(
  args: Uint8Array[],
  limits: LockArgumentLimits,
): RefreshRequest | string {
  const ttlMs = integer(args[3]);
  if (ttlMs === null) return NOT_INTEGER;
  const ttlProblem = checkTtl(ttlMs, limits);
  if (ttlProblem !== null) return ttlProblem;
  const token = parseToken(args, 4);
  if (typeof token === "string") return token;
  return { name: text(args[1]!), owner: text(args[2]!), ttlMs, token };
}
