import type { NodePool } from "./node_pool.ts";
import { bytesOrNull, integerReply } from "./replies.ts";

const decoder = new TextDecoder();

/** Options of SET. */
export interface SetOptions {
  /** Expire after this many ms (`PX`). */
  pxMs?: number;
  /** Only if the key does not exist (`NX`) / already exists (`XX`). */
  onlyIf?: "absent" | "present";
}

/**
 * The cache (key) commands. GET and EXISTS are sent again after a lost reply; SET and DEL are not
 * (a repeat could overwrite a newer value), they fail `TIMEOUT` instead.
 */
export class CacheClient {
  readonly #pool: NodePool;

  /** Cache commands through `pool`. */
  constructor(pool: NodePool) {
    this.#pool = pool;
  }

  /** `GET`: the value's bytes, or null. */
  async get(key: string): Promise<Uint8Array | null> {
    return bytesOrNull("GET", await this.#pool.call(["GET", key], { idempotent: true }));
  }

  /** `GET`, decoded as UTF-8. */
  async getText(key: string): Promise<string | null> {
    const value = await this.get(key);
    return value === null ? null : decoder.decode(value);
  }

  /** `SET`: true when set, false when `onlyIf` kept it from being set. */
  async set(key: string, value: string | Uint8Array, options: SetOptions = {}): Promise<boolean> {
    const args: Array<string | Uint8Array> = ["SET", key, value];
    if (options.pxMs !== undefined) args.push("PX", String(options.pxMs));
    if (options.onlyIf === "absent") args.push("NX");
    if (options.onlyIf === "present") args.push("XX");
    const reply = await this.#pool.call(args, { idempotent: false });
    return reply.type !== "null";
  }

  /** `DEL`: how many of `keys` existed. */
  async del(...keys: string[]): Promise<number> {
    return integerReply("DEL", await this.#pool.call(["DEL", ...keys], { idempotent: false }));
  }

  /** `EXISTS`: how many of `keys` exist. */
  async exists(...keys: string[]): Promise<number> {
    return integerReply("EXISTS", await this.#pool.call(["EXISTS", ...keys], { idempotent: true }));
  }
}
