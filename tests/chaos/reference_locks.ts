/**
 * A plain, separately written lock table (try-once acquires, no leases) that produces real
 * replies for the property tests of the lock model: histories it generates must be linearizable.
 */
import type { JsonValue } from "./history.ts";

interface RefLock {
  mode: "none" | "shared" | "exclusive";
  holders: Map<string, number>;
  lastToken: number;
}

/** Options of the reference: how tokens grow and how an upgrade treats the token. */
export interface ReferenceOptions {
  /** Returns the step (>= 1) to the next token. */
  readonly tokenStep: () => number;
  /** Whether the sole shared holder's upgrade to exclusive gets a new token. */
  readonly upgradeGetsNewToken: boolean;
  /** Whether SHARED asked by the exclusive holder downgrades the lock (else it stays exclusive). */
  readonly downgradeInPlace: boolean;
}

/** The reference lock table. */
export class ReferenceLocks {
  readonly #locks = new Map<string, RefLock>();
  readonly #options: ReferenceOptions;

  /** Creates an empty table. */
  constructor(options: ReferenceOptions) {
    this.#options = options;
  }

  /** Whether `lock` has no holder. */
  isFree(lock: string): boolean {
    return this.#get(lock).mode === "none";
  }

  /** Runs one LOCK.* command (name without prefix, args as recorded) and returns its reply. */
  run(name: string, args: readonly string[]): JsonValue {
    const [lock = "", owner = ""] = args;
    switch (name) {
      case "ACQUIRE":
        return this.#acquire(lock, owner, args[2] === "SHARED" ? "shared" : "exclusive");
      case "RELEASE":
        return this.#release(lock, owner, tokenArg(args, 2));
      case "REFRESH":
        return this.#holds(lock, owner, tokenArg(args, 3)) ? 1 : 0;
      case "INFO": {
        const entry = this.#get(lock);
        const holders = [...entry.holders].map(([who, token]) => [who, token, 1000]);
        return [entry.mode, holders, []];
      }
      default:
        throw new Error(`unknown command ${name}`);
    }
  }

  #get(lock: string): RefLock {
    let entry = this.#locks.get(lock);
    if (entry === undefined) {
      entry = { mode: "none", holders: new Map(), lastToken: 0 };
      this.#locks.set(lock, entry);
    }
    return entry;
  }

  #fresh(entry: RefLock): number {
    entry.lastToken += this.#options.tokenStep();
    return entry.lastToken;
  }

  #acquire(lock: string, owner: string, mode: "shared" | "exclusive"): number | null {
    const entry = this.#get(lock);
    const mine = entry.holders.get(owner);
    if (
      entry.mode === "none" || (entry.mode === "shared" && mode === "shared" && mine === undefined)
    ) {
      const token = this.#fresh(entry);
      entry.mode = mode;
      entry.holders.set(owner, token);
      return token;
    }
    if (mine === undefined) return null;
    if (entry.mode === "exclusive" && mode === "shared" && this.#options.downgradeInPlace) {
      entry.mode = "shared";
      return mine;
    }
    if (entry.mode === "exclusive" || mode === "shared") return mine;
    if (entry.holders.size > 1) return null;
    const token = this.#options.upgradeGetsNewToken ? this.#fresh(entry) : mine;
    entry.mode = "exclusive";
    entry.holders.set(owner, token);
    return token;
  }

  #holds(lock: string, owner: string, token: number | null): boolean {
    const mine = this.#get(lock).holders.get(owner);
    return mine !== undefined && (token === null || token === mine);
  }

  #release(lock: string, owner: string, token: number | null): number {
    if (!this.#holds(lock, owner, token)) return 0;
    const entry = this.#get(lock);
    entry.holders.delete(owner);
    if (entry.holders.size === 0) entry.mode = "none";
    return 1;
  }
}

function tokenArg(args: readonly string[], index: number): number | null {
  return args[index] === "TOKEN" ? Number(args[index + 1]) : null;
}
