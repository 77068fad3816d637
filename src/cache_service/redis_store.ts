import type { RespValue } from "../../protocol/resp/mod.ts";
import type { CacheWrite } from "../cache/mod.ts";
import type { CacheBackendUrl } from "../config/cache_backend_url.ts";
import type { KvKeyState, KvKeyWrite } from "../kv_service/kv_service.ts";
import type { Logger } from "../log/logger.ts";
import { RespPipe, RespPipeError, type RespPipeOptions } from "../client/resp_pipe.ts";
import type { CacheStore } from "./cache_homes.ts";
import { StoreUnavailableError } from "./store_unavailable.ts";
import { ClusterError } from "../consensus/cluster_error.ts";
import { createHash } from "node:crypto";

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
 * key through on a miss (GET and PTTL) and writes through (SET with PX/NX/XX, or DEL) before it
 * grants the line, each as one Lua script behind the slot's epoch fence: a key per slot holds the
 * newest home epoch (the slot leader's term) that touched Redis, a new home raises it before it
 * serves, and a script of an older epoch is refused before it reads or writes, so a home that lost
 * its lead cannot grant or commit after its successor started (docs/cache.md, "Redis as the store
 * of record"). One pipelined connection per node, reopened after a loss (every second at most);
 * commands are never queued while disconnected (they fail at once, safe to retry) nor resent after
 * a reconnect (a late duplicate could undo a newer write). Redis answers a connection in order, so
 * one home's writes of a key apply in the order it sent them.
 */
export class RedisStore implements CacheStore {
  readonly #options: RedisStoreOptions;
  #pipe: RespPipe | null = null;
  #stopped = true;
  #failedAttempts = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Counters for INFO cache. */
  readonly stats = { reads: 0, writes: 0, failed: 0, connects: 0, fenced: 0, scriptsSent: 0 };

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

  /**
   * Raises slot `slot`'s fence in Redis to `epoch` (a new home does this before it serves): true
   * when this epoch is the newest, false when a newer home of the slot already fenced it.
   */
  async fence(slot: number, epoch: number): Promise<boolean> {
    const pipe = this.#ready();
    try {
      await this.#script(pipe, FENCE_SCRIPT, slot, epoch, null, [], false);
      return true;
    } catch (error) {
      if (error instanceof ClusterError && error.code === "TRYAGAIN") return false;
      throw error;
    }
  }

  /** The key's value and TTL, read in one script (both of the same moment) under the fence. */
  async readKey(slot: number, key: Uint8Array, epoch: number): Promise<KvKeyState> {
    const pipe = this.#ready();
    this.stats.reads++;
    const [value, pttl] = await this.#script(pipe, READ_SCRIPT, slot, epoch, key, [], false);
    return keyState(value!, pttl!);
  }

  /** SET (with PX and NX/XX) or DEL under the fence, then the key as it is after the write. */
  async writeKey(
    slot: number,
    key: Uint8Array,
    write: CacheWrite,
    epoch: number,
  ): Promise<KvKeyWrite> {
    const pipe = this.#ready();
    this.stats.writes++;
    const condition = write.condition === "ifMissing"
      ? "NX"
      : write.condition === "ifExists"
      ? "XX"
      : "";
    const args = write.value === null
      ? ["DEL"]
      : ["SET", write.value, write.ttlMs === null ? "" : String(write.ttlMs), condition];
    const [applied, value, pttl] = await this.#script(
      pipe,
      WRITE_SCRIPT,
      slot,
      epoch,
      key,
      args,
      true,
    );
    if (write.value === null) {
      return { kind: "written", applied: isOne(applied!), value: null, ttlRemainingMs: null };
    }
    return { kind: "written", applied: isOne(applied!), ...keyState(value!, pttl!) };
  }

  #ready(): RespPipe {
    if (this.#pipe !== null && !this.#pipe.closed) return this.#pipe;
    this.stats.failed++;
    throw new StoreUnavailableError(`backend unavailable: ${this.display} is not connected`, false);
  }

  /**
   * Runs one of the fenced scripts (Redis runs it whole, nothing between its commands) on slot
   * `slot`'s fence key and `key`, and answers its array reply. It goes as EVALSHA (its SHA-1, not
   * its text); a server that does not have it cached (NOSCRIPT: restarted, or SCRIPT FLUSH) ran
   * nothing, and gets it once more as EVAL, which caches it. That resend may apply after a later
   * script of this node: harmless, since a home has one job per key at a time and raises a slot's
   * fence before it serves the slot. A newer epoch's fence fails it
   * with a ClusterError TRYAGAIN (nothing applied: the node retries at the newer home). Fails with
   * StoreUnavailableError otherwise: not sent, or an error reply (nothing applied: the script
   * checks before it writes, and Redis runs nothing after an error it raises); a lost or overdue
   * reply: `maybeSent` for a write.
   */
  async #script(
    pipe: RespPipe,
    script: LuaScript,
    slot: number,
    epoch: number,
    key: Uint8Array | null,
    args: Array<string | Uint8Array>,
    write: boolean,
  ): Promise<RespValue[]> {
    const keys = key === null ? [fenceKey(slot)] : [fenceKey(slot), key];
    const rest = [String(keys.length), ...keys, String(epoch), ...args];
    const timeoutMs = this.#options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS;
    let replies: RespValue[];
    try {
      replies = await pipe.send([["EVALSHA", script.sha1, ...rest]], timeoutMs);
      if (isNoScript(replies[0]!)) {
        this.stats.scriptsSent++;
        replies = await pipe.send([["EVAL", script.text, ...rest]], timeoutMs);
      }
    } catch (error) {
      this.stats.failed++;
      const maybeSent = write && (!(error instanceof RespPipeError) || error.sent);
      throw new StoreUnavailableError(
        `backend unavailable: ${this.display}: ${String((error as Error).message)}`,
        maybeSent,
      );
    }
    const reply = replies[0]!;
    if (reply.type === "error" && reply.value.startsWith(FENCED)) {
      this.stats.fenced++;
      throw new ClusterError(
        "TRYAGAIN",
        `slot ${slot} has a newer cache home than epoch ${epoch} (${reply.value}); retry`,
      );
    }
    if (reply.type !== "array") {
      this.stats.failed++;
      throw new StoreUnavailableError(
        `backend unavailable: ${this.display} answered ${describe(reply)}`,
        false,
      );
    }
    return reply.value;
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

/** Prefix of the error a fenced script raises. */
const FENCED = "FENCED";

/**
 * The key holding slot `slot`'s fence: the newest epoch (slot leader's term) of a home that
 * accessed Redis. One Redis database serves one dsync cluster (docs/cache.md).
 */
export function fenceKey(slot: number): string {
  return `dsync:cache:fence:${slot}`;
}

/**
 * The fence every script starts with (KEYS[1] the fence key, ARGV[1] the home's epoch): an older
 * epoch than the fence's is refused with FENCED before anything else runs; a newer one raises it
 * (so a Redis that lost the key gets it back from the next access).
 */
const FENCE_CHECK = `
local fence = tonumber(redis.call('GET', KEYS[1]) or '0')
local epoch = tonumber(ARGV[1])
if fence > epoch then return redis.error_reply('${FENCED} slot fence ' .. fence) end
if fence < epoch then redis.call('SET', KEYS[1], ARGV[1]) end
`;

/** A Lua script and the SHA-1 of its text (the name EVALSHA calls it by). */
interface LuaScript {
  text: string;
  sha1: string;
}

function luaScript(text: string): LuaScript {
  return { text, sha1: createHash("sha1").update(text).digest("hex") };
}

/** Returns {1}. */
const FENCE_SCRIPT = luaScript(`${FENCE_CHECK}
return {1}
`);

/** KEYS[2]: the key. Returns {value or nil, PTTL}. */
const READ_SCRIPT = luaScript(`${FENCE_CHECK}
return {redis.call('GET', KEYS[2]), redis.call('PTTL', KEYS[2])}
`);

/**
 * KEYS[2]: the key; ARGV[2] "DEL", or "SET" with ARGV[3] the value, ARGV[4] PX milliseconds or
 * "", ARGV[5] "NX", "XX" or "". Returns {applied 1/0, value or nil, PTTL}.
 */
const WRITE_SCRIPT = luaScript(`${FENCE_CHECK}
local applied = 0
if ARGV[2] == 'DEL' then
  applied = redis.call('DEL', KEYS[2])
else
  local set = {'SET', KEYS[2], ARGV[3]}
  if ARGV[4] ~= '' then table.insert(set, 'PX'); table.insert(set, ARGV[4]) end
  if ARGV[5] ~= '' then table.insert(set, ARGV[5]) end
  if redis.call(unpack(set)) then applied = 1 end
end
return {applied, redis.call('GET', KEYS[2]), redis.call('PTTL', KEYS[2])}
`);

/** Redis's answer to an EVALSHA of a script it does not have (it ran nothing). */
function isNoScript(reply: RespValue): boolean {
  return reply.type === "error" && reply.value.startsWith("NOSCRIPT");
}

function isOne(reply: RespValue): boolean {
  return reply.type === "integer" && reply.value === 1;
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
