import { parseHostPort } from "../util/host_port.ts";
import { type Grant, LockHandle } from "./lock_handle.ts";
import { NodePool, type NodePoolOptions } from "./node_pool.ts";
import { flagReply, integerOrNull } from "./replies.ts";
import { QueueClient } from "./queue_client.ts";
import { CacheClient } from "./cache_client.ts";

/** Options of a DsyncClient: endpoints as `host:port` strings, the rest as in NodePoolOptions. */
export interface DsyncClientOptions extends Omit<NodePoolOptions, "endpoints"> {
  /** Nodes to talk to, `host:port` each (default the local cluster, 127.0.0.1:7001-7003). */
  endpoints?: string[];
}

/** How to take a lock. */
export interface LockOptions {
  /** Lease length in ms (default 30,000); refreshed every third of it while held. */
  ttlMs?: number;
  /** How long to wait for the lock, in ms: 0 tries once (default), Infinity waits for ever. */
  waitMs?: number;
  /** A shared (read) lock instead of an exclusive one. */
  shared?: boolean;
  /** The owner to hold it as (default: a fresh random id per lock() call). */
  owner?: string;
}

/** The local cluster of `dsync cluster` (and the contract's default endpoints). */
export const DEFAULT_ENDPOINTS = ["127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"];
/** One LOCK.ACQUIRE waits at most this long; longer waits are several of them. */
export const ACQUIRE_WAIT_MS_MAX = 30_000;

/** Thrown by withLock() when the lock could not be had within `waitMs`. */
export class LockNotAcquiredError extends Error {
  /** `lock`: the name; `waitMs`: how long was waited. */
  constructor(lock: string, waitMs: number) {
    super(`lock '${lock}' not acquired within ${waitMs} ms`);
    this.name = "LockNotAcquiredError";
  }
}

/**
 * A dsync client: locks that keep their lease alive, queues, the cache. It talks to one node of
 * `endpoints` at a time and moves on when that one fails. Close it when done.
 */
export class DsyncClient {
  readonly #pool: NodePool;
  readonly #handles = new Set<LockHandle>();
  /** Queue commands and the consume() loop. */
  readonly queue: QueueClient;
  /** Cache (key) commands. */
  readonly cache: CacheClient;

  /** A client over `options.endpoints`; connects lazily, on the first command. */
  constructor(options: DsyncClientOptions = {}) {
    const endpoints = (options.endpoints ?? DEFAULT_ENDPOINTS).map((text) =>
      parseHostPort(text, "endpoint")
    );
    this.#pool = new NodePool({ ...options, endpoints });
    this.queue = new QueueClient(this.#pool);
    this.cache = new CacheClient(this.#pool);
  }

  /** The node calls go to now (`host:port`). */
  get currentEndpoint(): string {
    return this.#pool.currentEndpoint;
  }

  /**
   * Takes `name` (`LOCK.ACQUIRE`), waiting up to `waitMs`; null when not granted in time. The
   * handle refreshes the lease until release() and fires its signal if the lease is lost.
   */
  async lock(name: string, options: LockOptions = {}): Promise<LockHandle | null> {
    const ttlMs = options.ttlMs ?? 30_000;
    const waitMs = options.waitMs ?? 0;
    if (!(waitMs >= 0)) throw new RangeError(`waitMs must be >= 0, got ${waitMs}`);
    const owner = options.owner ?? crypto.randomUUID();
    const mode = options.shared === true ? "SHARED" : "EXCLUSIVE";
    const giveUpAt = performance.now() + waitMs;
    for (;;) {
      const chunkMs = Math.floor(Math.min(ACQUIRE_WAIT_MS_MAX, giveUpAt - performance.now()));
      const sliceMs = Math.max(0, chunkMs);
      const sentAt = performance.now();
      const args = ["LOCK.ACQUIRE", name, owner, mode, "TTL", String(ttlMs)];
      args.push("WAIT", String(sliceMs));
      // Idempotent: the same owner re-acquiring gets the same grant (or takes over its own wait).
      const reply = await this.#pool.call(args, { idempotent: true, waitMs: sliceMs });
      const token = integerOrNull("LOCK.ACQUIRE", reply);
      if (token !== null) {
        const grant = { name, owner, token, shared: mode === "SHARED", ttlMs, confirmedAt: sentAt };
        const confirmed = await this.#confirmGrant(grant);
        if (confirmed === null) continue; // the lease ran out before the reply was read
        const handle = new LockHandle(this.#pool, confirmed, (done) => this.#handles.delete(done));
        this.#handles.add(handle);
        return handle;
      }
      if (performance.now() >= giveUpAt) return null;
    }
  }

  /**
   * A grant that waited may have started long after its request was sent: when the reply came
   * later than a third of the TTL, one refresh dates the lease from now. Null if it is gone.
   */
  async #confirmGrant(grant: Grant): Promise<Grant | null> {
    const sentAt = performance.now();
    if (sentAt - grant.confirmedAt < grant.ttlMs / 3) return grant;
    const args = ["LOCK.REFRESH", grant.name, grant.owner, String(grant.ttlMs)];
    args.push("TOKEN", String(grant.token));
    let held: boolean;
    try {
      held = flagReply("LOCK.REFRESH", await this.#pool.call(args, { idempotent: true }));
    } catch (error) {
      // Granted but not confirmed: free it (bound to its token) rather than leave it to its TTL.
      const release = ["LOCK.RELEASE", grant.name, grant.owner, "TOKEN", String(grant.token)];
      await this.#pool.call(release, { idempotent: true }).catch(() => {});
      throw error;
    }
    return held ? { ...grant, confirmedAt: sentAt } : null;
  }

  /**
   * Runs `fn` while holding `name`, then releases it (also when `fn` throws). `fn` gets the
   * handle: watch `handle.signal` and stop when it fires. Throws LockNotAcquiredError when the
   * lock is not had within `waitMs` (default: wait for ever).
   */
  async withLock<T>(
    name: string,
    fn: (handle: LockHandle) => Promise<T> | T,
    options: LockOptions = {},
  ): Promise<T> {
    const waitMs = options.waitMs ?? Infinity;
    const handle = await this.lock(name, { ...options, waitMs });
    if (handle === null) throw new LockNotAcquiredError(name, waitMs);
    try {
      return await fn(handle);
    } finally {
      await handle.release().catch(() => false);
    }
  }

  /**
   * Closes every connection; calls in flight fail. Held locks stop being refreshed (their signals
   * fire) but are not released: release them first.
   */
  close(): void {
    for (const handle of [...this.#handles]) handle.abandon();
    this.#pool.close();
  }
}
