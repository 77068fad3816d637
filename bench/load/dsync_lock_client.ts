/**
 * One dsync lock client for load tools: a RESP connection to one node, `LOCK.ACQUIRE` then
 * `LOCK.RELEASE ... TOKEN t`, every call bounded by a timeout.
 */
import type { RespValue } from "../../protocol/resp/mod.ts";
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import type { CycleOutcome, LockClient } from "./lock_workload.ts";

/** Timing of a dsync lock client. */
export interface DsyncLockOptions {
  /** Owner string of this client (unique per client). */
  owner: string;
  /** TTL of each grant, in milliseconds. */
  ttlMs: number;
  /** How long an acquire may wait in the lock's queue (the server answers null after it). */
  waitMs: number;
  /** Timeout of a call beyond its WAIT; a call past it closes the connection and throws. */
  requestTimeoutMs: number;
}

/** Runs `promise` but gives up after `timeoutMs`, calling `onTimeout` first (closes the socket). */
export async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  onTimeout: () => void,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what} got no reply within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** A reply the caller did not expect (the node answered: it is alive). */
export class ReplyError extends Error {
  /** The error code of an error reply (`TRYAGAIN`, `NOQUORUM`, ...), else null. */
  readonly code: string | null;

  constructor(command: string, reply: RespValue) {
    super(`${command} answered ${replyText(reply)}`);
    this.name = "ReplyError";
    this.code = reply.type === "error" ? reply.value.split(" ")[0]! : null;
  }
}

function unexpected(command: string, reply: RespValue): ReplyError {
  return new ReplyError(command, reply);
}

/** A dsync client on one node's client port. */
export class DsyncLockClient implements LockClient {
  readonly #connection: RespConnection;
  readonly #options: DsyncLockOptions;
  readonly #ttlText: string;
  readonly #waitText: string;

  private constructor(connection: RespConnection, options: DsyncLockOptions) {
    this.#connection = connection;
    this.#options = options;
    this.#ttlText = String(options.ttlMs);
    this.#waitText = String(options.waitMs);
  }

  /** Connects to 127.0.0.1:`port`. */
  static async open(port: number, options: DsyncLockOptions): Promise<DsyncLockClient> {
    const connection = await withTimeout(
      RespConnection.open("127.0.0.1", port),
      options.requestTimeoutMs,
      () => {},
      `connect to port ${port}`,
    );
    return new DsyncLockClient(connection, options);
  }

  /** Acquires `name` exclusively (TTL, WAIT), then releases it with the token it got. */
  async cycle(name: string): Promise<CycleOutcome> {
    const { owner, waitMs, requestTimeoutMs } = this.#options;
    const acquired = await this.#call(
      ["LOCK.ACQUIRE", name, owner, "TTL", this.#ttlText, "WAIT", this.#waitText],
      waitMs + requestTimeoutMs,
    );
    if (acquired.type === "null") return "not-granted";
    if (acquired.type !== "integer") throw unexpected("LOCK.ACQUIRE", acquired);
    const released = await this.#call(
      ["LOCK.RELEASE", name, owner, "TOKEN", String(acquired.value)],
      requestTimeoutMs,
    );
    if (released.type !== "integer" || released.value !== 1) {
      throw unexpected("LOCK.RELEASE", released);
    }
    return "done";
  }

  /** Closes the connection. */
  close(): Promise<void> {
    this.#connection.close();
    return Promise.resolve();
  }

  #call(args: string[], timeoutMs: number): Promise<RespValue> {
    return withTimeout(
      this.#connection.call(args),
      timeoutMs,
      () => this.#connection.close(),
      args[0] ?? "call",
    );
  }
}
