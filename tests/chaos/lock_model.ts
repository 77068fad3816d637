/**
 * The sequential model of one lock (LOCK.ACQUIRE with or without WAIT, LOCK.RELEASE,
 * LOCK.REFRESH, LOCK.INFO). Tokens are modelled by order, not value: a fresh grant's token must be
 * at least `tokenMin`, one more than every token handed out before. A grant whose reply was lost
 * has an unknown token (only a lower bound is kept) until a later reply reveals it.
 *
 * Leases: each holder keeps `leaseEndMs`, the earliest time (history clock, less the margin) its
 * lease may end: its last renewal's invocation (the earliest the server may have stamped it) plus
 * its TTL. Expiry is a lazy, nondeterministic choice: an operation whose effect may have come at
 * or after that time (`at.latestMs`) may find the holder gone, and only where its outcome needs it
 * (a grant to another owner, a 0 reply, a read without the holder). Inputs without `at` are
 * untimed: their grants never expire. A waited acquire (WAIT > 0) answered null is always
 * possible (fairness and wait timing are not judged); see docs/chaos.md.
 */
import type { Model, Outcome } from "./model.ts";

/** Lock mode of a grant request. */
export type LockMode = "exclusive" | "shared";

/** What a LOCK.INFO reply says (ttl-remaining and waiters are ignored). */
export interface LockReading {
  /** Current mode. */
  readonly mode: "none" | LockMode;
  /** Holders as (owner, token), any order. */
  readonly holders: readonly { readonly owner: string; readonly token: number }[];
}

/** When an operation may have taken effect, on the history clock (ms). */
export interface OperationTimes {
  /** Its invocation less the lease margin: the earliest a renewal by it may count from. */
  readonly renewFromMs: number;
  /** The latest it may have taken effect: its completion, or its deadline when unknown. */
  readonly latestMs: number;
}

/** One lock command, parsed; `at` is set when the history's times are known. */
export type LockInput =
  & (
    | {
      readonly kind: "acquire";
      readonly lock: string;
      readonly owner: string;
      readonly mode: LockMode;
      readonly ttlMs: number;
      /** WAIT in ms; 0 tries once. */
      readonly waitMs: number;
      /** Whether a waited EXCLUSIVE request on this lock may have been queued meanwhile. */
      readonly exclusiveWaitPossible?: boolean;
    }
    | {
      readonly kind: "release";
      readonly lock: string;
      readonly owner: string;
      readonly token: number | null;
    }
    | {
      readonly kind: "refresh";
      readonly lock: string;
      readonly owner: string;
      readonly ttlMs: number;
      readonly token: number | null;
    }
    | { readonly kind: "info"; readonly lock: string }
  )
  & { readonly at?: OperationTimes };

/** A reply: acquire token or null; release/refresh true (1) or false (0); an INFO reading. */
export type LockOutput = number | null | boolean | LockReading;

/** One holder in the model. */
export interface LockHolder {
  /** Owner name. */
  readonly owner: string;
  /** The grant's token when `tokenExact`, else a lower bound of it (its reply was lost). */
  readonly token: number;
  /** Whether `token` is known. */
  readonly tokenExact: boolean;
  /** Earliest ms its lease may end (last renewal's `renewFromMs` + TTL); Infinity if untimed. */
  readonly leaseEndMs: number;
}

/** The model state of one lock. */
export interface LockState {
  /** `none` exactly when there are no holders; `exclusive` has exactly one holder. */
  readonly mode: "none" | LockMode;
  /** Holders sorted by owner, at most one per owner. */
  readonly holders: readonly LockHolder[];
  /** Smallest value a fresh token may take: above every token handed out so far. */
  readonly tokenMin: number;
}

type Step = LockState[] | string; // possible next states, or why there are none

const INITIAL_STATE: LockState = { mode: "none", holders: [], tokenMin: Number.NEGATIVE_INFINITY };

/** The lock model for `checkLinearizability`, partitioned by lock name. */
export const LOCK_MODEL: Model<LockState, LockInput, LockOutput> = {
  name: "lock",
  init: () => INITIAL_STATE,
  step: (state, input, outcome) => {
    const result = stepLock(state, input, outcome);
    return typeof result === "string" ? [] : result;
  },
  stateKey: (state) =>
    `${state.mode}|${state.tokenMin}|` +
    JSON.stringify(
      state.holders.map((h) => [h.owner, h.tokenExact ? h.token : `>=${h.token}`, h.leaseEndMs]),
    ),
  partitionKey: (input) => input.lock,
  describeOperation,
  describeState: (state) =>
    `${state.mode} [${
      state.holders.map(describeHolder).join(", ")
    }], next token >= ${state.tokenMin}${describeLeases(state)}`,
  explainRejection: (state, input, outcome) => {
    const result = stepLock(state, input, outcome);
    return typeof result === "string" ? result : "possible";
  },
};

function stepLock(state: LockState, input: LockInput, outcome: Outcome<LockOutput>): Step {
  switch (input.kind) {
    case "acquire":
      return stepAcquire(state, input, outcome);
    case "release":
      return stepRelease(state, input, input.token, outcome, null);
    case "refresh":
      return stepRelease(state, input, input.token, outcome, input.ttlMs);
    case "info":
      return stepInfo(state, input, outcome);
  }
}

/** Whether `holder`'s lease may have ended by the time `input` took effect. */
function expirable(holder: LockHolder, input: LockInput): boolean {
  return input.at !== undefined && input.at.latestMs >= holder.leaseEndMs;
}

/** `state` without the holders of `owners` (they expired). */
function without(state: LockState, owners: readonly string[]): LockState {
  const holders = state.holders.filter((h) => !owners.includes(h.owner));
  return { ...state, mode: holders.length === 0 ? "none" : state.mode, holders };
}

/** The lease end of a renewal (grant, re-acquire, refresh) by `input` with `ttlMs`. */
function leaseEnd(input: LockInput, ttlMs: number): number {
  return input.at === undefined ? Number.POSITIVE_INFINITY : input.at.renewFromMs + ttlMs;
}

/** How an acquire may be granted: `same` returns the holder's token, `fresh` a new one. */
type GrantOption = { readonly kind: "same" | "fresh"; readonly mode: LockMode };

function grantOptions(
  state: LockState,
  owner: string,
  mode: LockMode,
  exclusiveWaitPossible: boolean,
) {
  const held = state.holders.find((h) => h.owner === owner);
  const sole = held !== undefined && state.holders.length === 1;
  let options: GrantOption[] = [];
  let refusable = false;
  if (state.mode === "none") options = [{ kind: "fresh", mode }];
  else if (mode === "exclusive" && state.mode === "exclusive") {
    options = held ? [{ kind: "same", mode }] : [];
  } else if (mode === "exclusive") {
    // The sole shared holder upgrades in place; whether the token changes is not specified.
    options = sole ? [{ kind: "same", mode }, { kind: "fresh", mode }] : [];
  } else if (state.mode === "shared") {
    options = [{ kind: held ? "same" : "fresh", mode }];
    // A newcomer queues behind a waiting exclusive request (fairness): then null is possible.
    refusable = held === undefined && exclusiveWaitPossible;
  } else {
    // SHARED asked by the exclusive holder is not specified: its token back with the lock
    // downgraded to shared (what src/locks does) or still exclusive, or null.
    options = held ? [{ kind: "same", mode: "shared" }, { kind: "same", mode: "exclusive" }] : [];
    refusable = held !== undefined;
  }
  return { options, held, refusable: refusable || options.length === 0 };
}

/**
 * The states an acquire may find, expiring leases only where it matters: as is; without the
 * requester's own grant; without the other holders that block the request.
 */
function acquirePreStates(state: LockState, input: LockInput & { kind: "acquire" }): LockState[] {
  const result: LockState[] = [state];
  const own = state.holders.find((h) => h.owner === input.owner);
  if (own !== undefined && expirable(own, input)) result.push(without(state, [input.owner]));
  for (const base of [...result]) {
    const blockers = base.holders.filter((h) =>
      h.owner !== input.owner && (input.mode === "exclusive" || base.mode === "exclusive")
    );
    if (blockers.length > 0 && blockers.every((h) => expirable(h, input))) {
      result.push(without(base, blockers.map((h) => h.owner)));
    }
  }
  return result;
}

function stepAcquire(
  state: LockState,
  input: LockInput & { kind: "acquire" },
  outcome: Outcome<LockOutput>,
): Step {
  const { owner, mode } = input;
  const waitPossible = input.exclusiveWaitPossible === true;
  const token = outcome.kind === "ok" ? outcome.output : null;
  if (outcome.kind === "ok" && token === null) {
    if (input.waitMs > 0) return [state]; // wait timing and fairness are not judged
    if (grantOptions(state, owner, mode, waitPossible).refusable) return [state];
    // A holder's re-acquire must be granted, a newcomer's need not: the own lease may be over.
    const own = state.holders.find((h) => h.owner === owner);
    const expired = own !== undefined && expirable(own, input) ? without(state, [owner]) : null;
    return expired !== null && grantOptions(expired, owner, mode, waitPossible).refusable
      ? [expired]
      : `${describeState(state)}: a try-once acquire must be granted${describeLease(own)}`;
  }
  if (outcome.kind === "ok" && typeof token !== "number") {
    return "acquire reply is not a token or null";
  }
  const states: LockState[] = [];
  const reasons: string[] = [];
  for (const pre of acquirePreStates(state, input)) {
    const { options, held, refusable } = grantOptions(pre, owner, mode, waitPossible);
    if (outcome.kind === "unknown") {
      if (refusable && pre === state) states.push(state);
      states.push(...options.map((option) => grant(pre, input, option, held, null)));
      continue;
    }
    if (options.length === 0) {
      reasons.push(`${describeState(pre)}: ${mode} cannot be granted to ${owner}`);
    }
    for (const option of options) {
      if (option.kind === "fresh" && (token as number) < pre.tokenMin) {
        reasons.push(`token ${token} is not above every earlier token (next >= ${pre.tokenMin})`);
      } else if (option.kind === "same" && held && !tokenMayBe(held, token as number)) {
        reasons.push(
          `${owner} already holds token ${describeHolder(held)}, reply ${token} differs`,
        );
      } else {
        states.push(grant(pre, input, option, held, token as number));
      }
    }
  }
  return states.length > 0 ? states : [...new Set(reasons)].join("; ");
}

/** The state after granting `option` to the requester; `token` null when the reply was lost. */
function grant(
  state: LockState,
  input: LockInput & { kind: "acquire" },
  option: GrantOption,
  held: LockHolder | undefined,
  token: number | null,
): LockState {
  const owner = input.owner;
  const others = state.holders.filter((h) => h.owner !== owner);
  const leaseEndMs = leaseEnd(input, input.ttlMs);
  let holder: LockHolder;
  let tokenMin = state.tokenMin;
  if (option.kind === "same" && held) {
    holder = token === null
      ? { ...held, leaseEndMs }
      : { owner, token, tokenExact: true, leaseEndMs };
    if (token !== null) tokenMin = Math.max(tokenMin, token + 1);
  } else {
    holder = token === null
      ? { owner, token: state.tokenMin, tokenExact: false, leaseEndMs }
      : { owner, token, tokenExact: true, leaseEndMs };
    tokenMin = token === null ? state.tokenMin + 1 : token + 1;
  }
  return { mode: option.mode, holders: sortHolders([...others, holder]), tokenMin };
}

/**
 * Release, or refresh (`refreshTtlMs` not null), which keeps the holder and restarts its lease:
 * 1 exactly when the grant is held; 0 also when its lease may have ended.
 */
function stepRelease(
  state: LockState,
  input: LockInput,
  token: number | null,
  outcome: Outcome<LockOutput>,
  refreshTtlMs: number | null,
): Step {
  const owner = input.kind === "info" ? "" : input.owner;
  const held = state.holders.find((h) => h.owner === owner);
  const match = held === undefined
    ? "no"
    : token === null
    ? "yes"
    : held.tokenExact
    ? (held.token === token ? "yes" : "no")
    : (token >= held.token ? "maybe" : "no");
  const done = (): LockState => {
    const learned = token === null ? state.tokenMin : Math.max(state.tokenMin, token + 1);
    if (refreshTtlMs !== null) {
      const leaseEndMs = leaseEnd(input, refreshTtlMs);
      const holders = state.holders.map((h) =>
        h.owner !== owner
          ? h
          : token !== null
          ? { owner, token, tokenExact: true, leaseEndMs }
          : { ...h, leaseEndMs }
      );
      return { ...state, holders, tokenMin: learned };
    }
    const holders = state.holders.filter((h) => h.owner !== owner);
    return { mode: holders.length === 0 ? "none" : state.mode, holders, tokenMin: learned };
  };
  if (outcome.kind === "unknown") {
    return match === "yes" ? [done()] : match === "maybe" ? [done(), state] : [state];
  }
  const what = refreshTtlMs !== null ? "refresh" : "release";
  if (outcome.output === true) {
    if (match !== "no") return [done()];
    return held === undefined
      ? `${owner} does not hold the lock (${describeState(state)}), ${what} cannot return 1`
      : `${owner} holds token ${describeHolder(held)}, not ${token}: ${what} cannot return 1`;
  }
  if (outcome.output !== false) return `${what} reply is not 0 or 1`;
  const expired = held !== undefined && expirable(held, input) ? [without(state, [owner])] : [];
  if (match !== "yes") return [state, ...expired];
  return expired.length > 0
    ? expired
    : `${owner} holds the lock${describeLease(held)}, ${what} cannot return 0`;
}

function stepInfo(state: LockState, input: LockInput, outcome: Outcome<LockOutput>): Step {
  if (outcome.kind === "unknown") return [state];
  const reading = outcome.output;
  if (reading === null || typeof reading !== "object") return "info reply is not a reading";
  const seen = `read ${describeReading(reading)} but the lock is ${describeState(state)}`;
  const gone = state.holders.filter((h) => !reading.holders.some((r) => r.owner === h.owner));
  if (!gone.every((h) => expirable(h, input))) return `${seen}${describeLeases(state)}`;
  const rest = without(state, gone.map((h) => h.owner));
  if (reading.mode !== rest.mode || reading.holders.length !== rest.holders.length) return seen;
  let tokenMin = rest.tokenMin;
  const holders: LockHolder[] = [];
  for (const holder of rest.holders) {
    const shown = reading.holders.find((h) => h.owner === holder.owner);
    if (shown === undefined || !tokenMayBe(holder, shown.token)) return seen;
    holders.push({ ...holder, token: shown.token, tokenExact: true });
    tokenMin = Math.max(tokenMin, shown.token + 1);
  }
  return [{ mode: rest.mode, holders, tokenMin }];
}

function tokenMayBe(holder: LockHolder, token: number): boolean {
  return holder.tokenExact ? holder.token === token : token >= holder.token;
}

function sortHolders(holders: LockHolder[]): LockHolder[] {
  return holders.sort((a, b) => (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
}

function describeHolder(holder: LockHolder): string {
  return holder.tokenExact
    ? `${holder.owner}:${holder.token}`
    : `${holder.owner}:>=${holder.token}`;
}

function describeState(state: LockState): string {
  return state.mode === "none"
    ? "free"
    : `${state.mode} [${state.holders.map(describeHolder).join(", ")}]`;
}

function describeLease(holder: LockHolder | undefined): string {
  return holder === undefined || holder.leaseEndMs === Number.POSITIVE_INFINITY
    ? ""
    : ` (lease until >= ${holder.leaseEndMs} ms)`;
}

function describeLeases(state: LockState): string {
  const timed = state.holders.filter((h) => h.leaseEndMs !== Number.POSITIVE_INFINITY);
  return timed.length === 0
    ? ""
    : `; leases ${timed.map((h) => `${h.owner} >= ${h.leaseEndMs} ms`).join(", ")}`;
}

function describeReading(reading: LockReading): string {
  const holders = reading.holders.map((h) => `${h.owner}:${h.token}`).join(", ");
  return `${reading.mode} [${holders}]`;
}

/** One line such as `acquire L1 c1 exclusive -> 7` or `release L1 c2 token 5 -> ?`. */
export function describeOperation(input: LockInput, outcome: Outcome<LockOutput>): string {
  const out = outcome.kind === "unknown" ? "?" : describeOutput(outcome.output);
  switch (input.kind) {
    case "acquire":
      return `acquire ${input.lock} ${input.owner} ${input.mode} -> ${out}`;
    case "release":
    case "refresh": {
      const token = input.token === null ? "" : ` token ${input.token}`;
      return `${input.kind} ${input.lock} ${input.owner}${token} -> ${out}`;
    }
    case "info":
      return `info ${input.lock} -> ${out}`;
  }
}

function describeOutput(output: LockOutput): string {
  if (output === null) return "null";
  if (typeof output === "boolean") return output ? "1" : "0";
  if (typeof output === "number") return String(output);
  return describeReading(output);
}
