import type { RespValue } from "../../protocol/resp/mod.ts";
import { formatHostPort, type HostPort } from "../util/host_port.ts";
import { DsyncError, DsyncUnavailableError, errorFromLine } from "./errors.ts";
import { ConnectionLostError, NodeConnection } from "./node_connection.ts";

/** How the pool reaches a cluster; every field but `endpoints` has a default. */
export interface NodePoolOptions {
  /** Nodes to try, in order; the pool sticks to one and moves on when it fails. */
  endpoints: HostPort[];
  /** With ACLs: `AUTH [user] password` on every new connection. */
  user?: string;
  password?: string;
  /** Longest wait for a TCP connect (default 2,000). */
  connectTimeoutMs?: number;
  /** Longest wait for a reply beyond a command's own WAIT (default 10,000). */
  replyTimeoutMs?: number;
  /** How long one call keeps retrying TRYAGAIN, NOQUORUM and unreachable nodes (default 15,000). */
  retryBudgetMs?: number;
  /** Most open connections; further calls queue for one (default 64). */
  connectionsMax?: number;
}

/** How one command may be retried. */
export interface CallPolicy {
  /**
   * True when running the command twice has the effect of running it once, so a reply lost to a
   * `TIMEOUT` or a dropped connection may be sent again (to another node).
   */
  idempotent: boolean;
  /** The command's own server-side wait (`WAIT ms`), added to the reply timeout. */
  waitMs?: number;
  /** Give up retrying at this `performance.now()` time, even inside the retry budget. */
  deadlineAt?: number;
}

const BACKOFF_MS_MIN = 25;
const BACKOFF_MS_MAX = 1_000;
/** Most attempts of one call, whatever the budget. */
const ATTEMPTS_MAX = 200;

/**
 * Connections to a list of nodes with the contract's retry rules: `TRYAGAIN` is retried with
 * backoff; `NOQUORUM` and an unreachable node move on to the next endpoint (nothing ran); a
 * `TIMEOUT` or a connection lost after sending is retried only for idempotent commands.
 */
export class NodePool {
  readonly #endpoints: HostPort[];
  readonly #options: Required<Omit<NodePoolOptions, "user" | "password" | "endpoints">>;
  readonly #auth: string[] | null;
  #current = 0;
  readonly #idle: NodeConnection[] = [];
  /** Every open connection, idle or busy. */
  readonly #all = new Set<NodeConnection>();
  #openCount = 0;
  readonly #waiters: Array<() => void> = [];
  #closed = false;

  /** A pool over `options.endpoints` (at least one). */
  constructor(options: NodePoolOptions) {
    if (options.endpoints.length === 0) throw new RangeError("at least one endpoint is needed");
    this.#endpoints = [...options.endpoints];
    this.#options = {
      connectTimeoutMs: options.connectTimeoutMs ?? 2_000,
      replyTimeoutMs: options.replyTimeoutMs ?? 10_000,
      retryBudgetMs: options.retryBudgetMs ?? 15_000,
      connectionsMax: options.connectionsMax ?? 64,
    };
    this.#auth = options.password === undefined
      ? null
      : options.user === undefined
      ? ["AUTH", options.password]
      : ["AUTH", options.user, options.password];
  }

  /** The endpoint calls go to now (`host:port`). */
  get currentEndpoint(): string {
    return formatHostPort(this.#endpoints[this.#current]!);
  }

  /** Sends `args` under `policy`; returns the reply, or throws DsyncError/DsyncUnavailableError. */
  async call(args: ReadonlyArray<string | Uint8Array>, policy: CallPolicy): Promise<RespValue> {
    const command = String(args[0]).toUpperCase();
    const budgetEnd = performance.now() + this.#options.retryBudgetMs;
    const deadlineAt = Math.min(budgetEnd, policy.deadlineAt ?? Infinity);
    const replyTimeoutMs = this.#options.replyTimeoutMs + (policy.waitMs ?? 0);
    let backoffMs = BACKOFF_MS_MIN;
    let lastFailure: unknown = new Error("no attempt made");
    for (let attempt = 1; attempt <= ATTEMPTS_MAX; attempt++) {
      if (this.#closed) throw new Error("the dsync client is closed");
      const connection = await this.#connectionOrNull(deadlineAt);
      if (connection !== null) {
        try {
          const reply = await connection.call(args, replyTimeoutMs);
          this.#giveBack(connection);
          if (reply.type !== "error") return reply;
          const error = errorFromLine(reply.value, command);
          if (!this.#retryable(error, policy)) throw error;
          if (error.code === "NOQUORUM") this.#moveOn(connection.endpoint);
          lastFailure = error;
        } catch (error) {
          if (!(error instanceof ConnectionLostError)) throw error;
          this.#dropped(connection);
          if (error.sent && !policy.idempotent) {
            throw new DsyncError("TIMEOUT", error.message, command, false);
          }
          lastFailure = error;
        }
      } else {
        lastFailure = this.#lastConnectError;
      }
      if (performance.now() + backoffMs >= deadlineAt) break;
      await this.#sleep(backoffMs * (0.5 + Math.random() / 2));
      backoffMs = Math.min(BACKOFF_MS_MAX, backoffMs * 2);
    }
    if (lastFailure instanceof DsyncError) throw lastFailure;
    if (lastFailure instanceof ConnectionLostError) {
      throw new DsyncError("TIMEOUT", lastFailure.message, command, false);
    }
    throw new DsyncUnavailableError(this.#endpoints.map(formatHostPort), lastFailure);
  }

  /** Closes every connection; calls in flight fail, backoff waits end at once. */
  close(): void {
    this.#closed = true;
    for (const [timer, wake] of this.#sleeps) {
      clearTimeout(timer);
      wake();
    }
    this.#sleeps.clear();
    this.#idle.length = 0;
    for (const connection of this.#all) connection.close();
    for (const wake of this.#waiters.splice(0)) wake();
  }

  readonly #sleeps = new Map<ReturnType<typeof setTimeout>, () => void>();

  #sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      const timer = setTimeout(() => {
        this.#sleeps.delete(timer);
        wake();
      }, ms);
      this.#sleeps.set(timer, wake);
    });
  }

  #retryable(error: DsyncError, policy: CallPolicy): boolean {
    if (error.code === "TRYAGAIN" || error.code === "NOQUORUM") return true;
    return error.code === "TIMEOUT" && policy.idempotent;
  }

  #lastConnectError: unknown = new Error("no connection attempted");

  /** An idle or new connection to the current endpoint (moving on past failing ones), or null. */
  async #connectionOrNull(deadlineAt: number): Promise<NodeConnection | null> {
    while (this.#openCount >= this.#options.connectionsMax && this.#idle.length === 0) {
      if (this.#closed || performance.now() >= deadlineAt) return null;
      await new Promise<void>((wake) => this.#waiters.push(wake));
    }
    const current = this.#endpoints[this.#current]!;
    for (;;) {
      const idle = this.#idle.pop();
      if (idle === undefined) break;
      if (!idle.closed && idle.endpoint === current) return idle;
      this.#dropped(idle);
    }
    for (let tried = 0; tried < this.#endpoints.length; tried++) {
      const endpoint = this.#endpoints[this.#current]!;
      this.#openCount++;
      let connection: NodeConnection | null = null;
      try {
        connection = await NodeConnection.open(endpoint, this.#options.connectTimeoutMs);
        this.#all.add(connection);
        if (this.#auth !== null) await this.#authenticate(connection);
        return connection;
      } catch (error) {
        if (connection !== null) {
          connection.close();
          this.#all.delete(connection);
        }
        this.#openCount--;
        this.#lastConnectError = error;
        if (this.#closed) return null;
        if (error instanceof DsyncError) throw error;
        this.#moveOn(endpoint);
      }
    }
    return null;
  }

  async #authenticate(connection: NodeConnection): Promise<void> {
    const reply = await connection.call(this.#auth!, this.#options.replyTimeoutMs);
    if (reply.type === "error") throw errorFromLine(reply.value, "AUTH");
  }

  /** Moves to the endpoint after `failed`, unless another call already did. */
  #moveOn(failed: HostPort): void {
    if (this.#endpoints[this.#current] === failed) {
      this.#current = (this.#current + 1) % this.#endpoints.length;
    }
  }

  #giveBack(connection: NodeConnection): void {
    if (this.#closed || connection.closed) {
      this.#dropped(connection);
      return;
    }
    this.#idle.push(connection);
    this.#waiters.shift()?.();
  }

  #dropped(connection: NodeConnection): void {
    connection.close();
    this.#all.delete(connection);
    this.#openCount--;
    if (connection.endpoint === this.#endpoints[this.#current]) this.#moveOn(connection.endpoint);
    this.#waiters.shift()?.();
  }
}
