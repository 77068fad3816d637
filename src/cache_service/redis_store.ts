import type { RespValue } from "../../protocol/resp/mod.ts";
import type { CacheWrite } from "../cache/mod.ts";
import type { CacheBackendUrl } from "../config/cache_backend_url.ts";
import type { KvKeyState, KvKeyWrite } from "../kv_service/kv_service.ts";
import type { Logger } from "../log/logger.ts";
import { RespPipe, RespPipeError, type RespPipeOptions } from "../client/resp_pipe.ts";
import type { CacheStore } from "./cache_homes.ts";
import { StoreUnavailableError } from "./store_unavailable.ts";

/** Longest wait for one answer from Redis before the access fails (a write: outcome unknown). */
export const REDIS_COMMAND_TIMEOUT_MS = 2_000;
/** Longest wait for a TCP connection to Redis (and its AUTH/SELECT). */
const REDIS_CONNECT_TIMEOUT_MS = 2_000;
/** Reconnect delays grow by this much per failed attempt, up to REDIS_RECONNECT_DELAY_MS_MAX. */
const REDIS_RECONNECT_STEP_MS = 100;
const REDIS_RECONNECT_DELAY_MS_MAX = 1_000;

/** The connection's bounds: a reply over 64 MiB closes it (values are bounded far below). */
const REDIS_PIPE_OPTIONS: Readonly<RespPipeOptions> = Object.freeze({
  replyBytesMax: 64 * 1024 * 1024,
  /** More are refused, not sent. */
  batchesInFlightMax: 10_000,
  peerName: "the server",
  selfName: "this node",
});

/** What the Redis store needs. */
export interface RedisStoreOptions {
  url: CacheBackendUrl;
  logger: Logger;
  /** Defaults to REDIS_COMMAND_TIMEOUT_MS. */
  commandTimeoutMs?: number;
}

/**
 * The cache's store of record on a Redis server (`--cache-backend redis://...`): a home reads a
 * key through on a miss (GET and PTTL in one MULTI) and writes through (SET with PX/NX/XX, or
 * DEL) before it grants the line. One pipelined connection per node, reopened after a loss
 * (every second at most); commands are never queued while disconnected (they fail at once, safe
 * to retry) nor resent after a reconnect (a late duplicate could undo a newer write). Redis
 * answers a connection in order, so one home's writes of a key apply in the order it sent them.
 */
export class RedisStore implements CacheStore {
  readonly #options: RedisStoreOptions;
  #pipe: RespPipe | null = null;
  #stopped = true;
  #failedAttempts = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Counters for INFO cache. */
  readonly stats = { reads: 0, writes: 0, failed: 0, connects: 0 };

  constructor(options: RedisStoreOptions) {
    this.#options = options;
  }

  /** The URL without its password. */
  get display(): string {
    return this.#options.url.display;
  }

  /** True while the connection is up (and past AUTH/SELECT). */
  get connected(): boolean {
    return this.#pipe !== null && !this.#pipe.closed;
  }

  /** Connects, and reconnects after every loss until stopped. */
  start(): void {
    this.#stopped = false;
    void this.#connect();
  }

  /** Closes the connection; commands in flight fail. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#pipe?.close();
    this.#pipe = null;
  }

  /** The key's value and TTL, read in one MULTI so both are of the same moment. */
  async readKey(_slot: number, key: Uint8Array): Promise<KvKeyState> {
    const pipe = this.#ready();
    this.stats.reads++;
    const [value, pttl] = await this.#transaction(pipe, [["GET", key], ["PTTL", key]], false);
    return keyState(value!, pttl!);
  }

  /** SET (with PX and NX/XX) or DEL, then the key as it is after the write. */
  async writeKey(_slot: number, key: Uint8Array, write: CacheWrite): Promise<KvKeyWrite> {
    const pipe = this.#ready();
    this.stats.writes++;
    if (write.value === null) {
      const [removed] = await this.#transaction(pipe, [["DEL", key]], true);
      const applied = removed?.type === "integer" && removed.value === 1;
      return { kind: "written", applied, value: null, ttlRemainingMs: null };
    }
    const set: Array<string | Uint8Array> = ["SET", key, write.value];
    if (write.ttlMs !== null) set.push("PX", String(write.ttlMs));
    if (write.condition === "ifMissing") set.push("NX");
    if (write.condition === "ifExists") set.push("XX");
    const [reply, value, pttl] = await this.#transaction(
      pipe,
      [set, ["GET", key], ["PTTL", key]],
      true,
    );
    return { kind: "written", applied: reply?.type === "simple", ...keyState(value!, pttl!) };
  }

  #ready(): RespPipe {
    if (this.#pipe !== null && !this.#pipe.closed) return this.#pipe;
    this.stats.failed++;
    throw new StoreUnavailableError(`backend unavailable: ${this.display} is not connected`, false);
  }

  /**
   * Runs `commands` in MULTI/EXEC and answers EXEC's replies. Fails with StoreUnavailableError:
   * not sent or refused as a whole (EXECABORT, an error reply to the first command): nothing
   * applied; a lost or overdue reply: `maybeSent`.
   */
  async #transaction(
    pipe: RespPipe,
    commands: Array<Array<string | Uint8Array>>,
    write: boolean,
  ): Promise<RespValue[]> {
    let replies: RespValue[];
    try {
      replies = await pipe.send(
        [["MULTI"], ...commands, ["EXEC"]],
        this.#options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS,
      );
    } catch (error) {
      this.stats.failed++;
      const maybeSent = !(error instanceof RespPipeError) || error.sent;
      throw new StoreUnavailableError(
        `backend unavailable: ${this.display}: ${String((error as Error).message)}`,
        maybeSent,
      );
    }
    const exec = replies[replies.length - 1]!;
    const results = exec.type === "array" ? exec.value : null;
    const failed = results === null
      ? exec
      : results.find((reply) => reply.type === "error") ?? null;
    if (failed !== null) {
      this.stats.failed++;
      // Inside EXEC only the first command writes: an error there (or no EXEC) applied nothing.
      const firstFailed = results === null || results[0]?.type === "error";
      throw new StoreUnavailableError(
        `backend unavailable: ${this.display} answered ${describe(failed)}`,
        write && !firstFailed,
      );
    }
    return results!;
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const { host, port, db, username, password } = this.#options.url;
    let pipe: RespPipe | null = null;
    try {
      pipe = await RespPipe.open({ host, port }, REDIS_CONNECT_TIMEOUT_MS, REDIS_PIPE_OPTIONS);
      const setup: string[][] = [];
      if (password !== null) {
        setup.push(["AUTH", ...(username === null ? [] : [username]), password]);
      }
      if (db !== 0) setup.push(["SELECT", String(db)]);
      setup.push(["PING"]);
      const replies = await pipe.send(setup, REDIS_CONNECT_TIMEOUT_MS);
      const refused = replies.find((reply) => reply.type === "error");
      if (refused !== undefined) throw new Error(`setup refused: ${describe(refused)}`);
    } catch (error) {
      pipe?.close();
      if (this.#failedAttempts === 0) {
        this.#options.logger.warn("cache backend unavailable", {
          backend: this.display,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      return this.#retryLater();
    }
    if (this.#stopped) return pipe.close();
    this.#pipe = pipe;
    this.#failedAttempts = 0;
    this.stats.connects++;
    this.#options.logger.info("cache backend connected", { backend: this.display });
    pipe.onClose = (reason) => {
      if (this.#pipe === pipe) this.#pipe = null;
      if (this.#stopped) return;
      this.#options.logger.warn("cache backend unavailable", { backend: this.display, reason });
      this.#failedAttempts = 1;
      this.#retryLater();
    };
  }

  #retryLater(): void {
    if (this.#stopped) return;
    this.#failedAttempts++;
    const delayMs = Math.min(
      this.#failedAttempts * REDIS_RECONNECT_STEP_MS,
      REDIS_RECONNECT_DELAY_MS_MAX,
    );
    this.#retryTimer = setTimeout(() => void this.#connect(), delayMs);
  }
}

/** A GET and PTTL pair as KvKeyState (PTTL -2: missing, -1: no expiry). */
function keyState(value: RespValue, pttl: RespValue): KvKeyState {
  if (value.type !== "bulk") return { value: null, ttlRemainingMs: null };
  if (pttl.type !== "integer" || pttl.value < 0) {
    return { value: value.value, ttlRemainingMs: null };
  }
  return { value: value.value, ttlRemainingMs: Math.max(1, pttl.value) };
}

function describe(reply: RespValue): string {
  return reply.type === "error" ? `-${reply.value}` : `a ${reply.type} reply`;
}
