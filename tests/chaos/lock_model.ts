/**
 * The sequential model of one lock (LOCK.ACQUIRE without WAIT, LOCK.RELEASE, LOCK.REFRESH,
 * LOCK.INFO). Tokens are modelled by order, not value: a fresh grant's token must be at least
 * `tokenMin`, one more than every token handed out before. A grant whose reply was lost has an
 * unknown token (only a lower bound is kept) until a later reply reveals it. Leases are not
 * modelled: the workload uses TTLs longer than the run, so no lease may expire.
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

/** One lock command, parsed. */
export type LockInput =
  | {
    readonly kind: "acquire";
    readonly lock: string;
    readonly owner: string;
    readonly mode: LockMode;
    readonly ttlMs: number;
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
  | { readonly kind: "info"; readonly lock: string };

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
    JSON.stringify(state.holders.map((h) => [h.owner, h.tokenExact ? h.token : `>=${h.token}`])),
  partitionKey: (input) => input.lock,
  describeOperation,
  describeState: (state) =>
    `${state.mode} [${
      state.holders.map(describeHolder).join(", ")
    }], next token >= ${state.tokenMin}`,
  explainRejection: (state, input, outcome) => {
    const result = stepLock(state, input, outcome);
    return typeof result === "string" ? result : "possible";
  },
};

function stepLock(state: LockState, input: LockInput, outcome: Outcome<LockOutput>): Step {
  switch (input.kind) {
    case "acquire":
      return stepAcquire(state, input.owner, input.mode, outcome);
    case "release":
      return stepRelease(state, input.owner, input.token, outcome, false);
    case "refresh":
      return stepRelease(state, input.owner, input.token, outcome, true);
    case "info":
      return stepInfo(state, outcome);
  }
}

/** How an acquire may be granted: `same` returns the holder's token, `fresh` a new one. */
type GrantOption = { readonly kind: "same" | "fresh"; readonly mode: LockMode };

function grantOptions(state: LockState, owner: string, mode: LockMode) {
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
  } else {
    // SHARED asked by the exclusive holder is not specified: its token back with the lock
    // downgraded to shared (what src/locks does) or still exclusive, or null.
    options = held ? [{ kind: "same", mode: "shared" }, { kind: "same", mode: "exclusive" }] : [];
    refusable = held !== undefined;
  }
  return { options, held, refusable: refusable || options.length === 0 };
}

function stepAcquire(
  state: LockState,
  owner: string,
  mode: LockMode,
  outcome: Outcome<LockOutput>,
): Step {
  const { options, held, refusable } = grantOptions(state, owner, mode);
  if (outcome.kind === "unknown") {
    const states = options.map((option) => grant(state, owner, option, held, null));
    return refusable ? [state, ...states] : states;
  }
  const token = outcome.output;
  if (token === null) {
    return refusable ? [state] : `${describeState(state)}: a try-once acquire must be granted`;
  }
  if (typeof token !== "number") return "acquire reply is not a token or null";
  if (options.length === 0) return `${describeState(state)}: ${mode} cannot be granted to ${owner}`;
  const states: LockState[] = [];
  const reasons: string[] = [];
  for (const option of options) {
    if (option.kind === "fresh" && token < state.tokenMin) {
      reasons.push(`token ${token} is not above every earlier token (next >= ${state.tokenMin})`);
    } else if (option.kind === "same" && held && !tokenMayBe(held, token)) {
      reasons.push(`${owner} already holds token ${describeHolder(held)}, reply ${token} differs`);
    } else {
      states.push(grant(state, owner, option, held, token));
    }
  }
  return states.length > 0 ? states : reasons.join("; ");
}

/** The state after granting `option` to `owner`; `token` null when the reply was lost. */
function grant(
  state: LockState,
  owner: string,
  option: GrantOption,
  held: LockHolder | undefined,
  token: number | null,
): LockState {
  const others = state.holders.filter((h) => h.owner !== owner);
  let holder: LockHolder;
  let tokenMin = state.tokenMin;
  if (option.kind === "same" && held) {
    holder = token === null ? held : { owner, token, tokenExact: true };
    if (token !== null) tokenMin = Math.max(tokenMin, token + 1);
  } else {
    holder = token === null
      ? { owner, token: state.tokenMin, tokenExact: false }
      : { owner, token, tokenExact: true };
    tokenMin = token === null ? state.tokenMin + 1 : token + 1;
  }
  return { mode: option.mode, holders: sortHolders([...others, holder]), tokenMin };
}

/** Release (or refresh, which keeps the holder): 1 exactly when the grant is held. */
function stepRelease(
  state: LockState,
  owner: string,
  token: number | null,
  outcome: Outcome<LockOutput>,
  refresh: boolean,
): Step {
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
    if (refresh) {
      const holders = state.holders.map((h) =>
        h.owner === owner && token !== null ? { owner, token, tokenExact: true } : h
      );
      return { ...state, holders, tokenMin: learned };
    }
    const holders = state.holders.filter((h) => h.owner !== owner);
    return { mode: holders.length === 0 ? "none" : state.mode, holders, tokenMin: learned };
  };
  if (outcome.kind === "unknown") {
    return match === "yes" ? [done()] : match === "maybe" ? [done(), state] : [state];
  }
  const what = refresh ? "refresh" : "release";
  if (outcome.output === true) {
    if (match !== "no") return [done()];
    return held === undefined
      ? `${owner} does not hold the lock (${describeState(state)}), ${what} cannot return 1`
      : `${owner} holds token ${describeHolder(held)}, not ${token}: ${what} cannot return 1`;
  }
  if (outcome.output !== false) return `${what} reply is not 0 or 1`;
  return match !== "yes" ? [state] : `${owner} holds the lock, ${what} cannot return 0`;
}

function stepInfo(state: LockState, outcome: Outcome<LockOutput>): Step {
  if (outcome.kind === "unknown") return [state];
  const reading = outcome.output;
  if (reading === null || typeof reading !== "object") return "info reply is not a reading";
  const seen = `read ${describeReading(reading)} but the lock is ${describeState(state)}`;
  if (reading.mode !== state.mode || reading.holders.length !== state.holders.length) return seen;
  let tokenMin = state.tokenMin;
  const holders: LockHolder[] = [];
  for (const holder of state.holders) {
    const shown = reading.holders.find((h) => h.owner === holder.owner);
    if (shown === undefined || !tokenMayBe(holder, shown.token)) return seen;
    holders.push({ owner: holder.owner, token: shown.token, tokenExact: true });
    tokenMin = Math.max(tokenMin, shown.token + 1);
  }
  return [{ mode: state.mode, holders, tokenMin }];
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
