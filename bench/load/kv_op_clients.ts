/**
 * Key-value clients for the key-value part of `deno task report`: each "cycle" of the shared
 * workload (lock_workload.ts) is one SET or one GET, over RESP (dsync, redis-server) or etcd's
 * JSON gateway (put, range), every request bounded by a timeout.
 */
import { RespConnection } from "../../src/client/resp_connection.ts";
import { replyText } from "../../src/client/resp_connection.ts";
import { withTimeout } from "./dsync_lock_client.ts";
import { base64Text, post } from "./etcd_lock_client.ts";
import type { CycleOutcome, LockClient, OpenClient } from "./lock_workload.ts";

/** The operation every cycle of a level performs. */
export type KvOp = "set" | "get";

/** Bytes of every value written (one short record). */
export const KV_VALUE_BYTES = 100;
const VALUE = "v".repeat(KV_VALUE_BYTES);
const VALUE_BASE64 = base64Text(VALUE);

/** A RESP client doing SET key value or GET key per cycle. */
class RespKvClient implements LockClient {
  readonly #connection: RespConnection;
  readonly #op: KvOp;
  readonly #timeoutMs: number;

  constructor(connection: RespConnection, op: KvOp, timeoutMs: number) {
    this.#connection = connection;
    this.#op = op;
    this.#timeoutMs = timeoutMs;
  }

  async cycle(key: string): Promise<CycleOutcome> {
    const args = this.#op === "set" ? ["SET", key, VALUE] : ["GET", key];
    const reply = await withTimeout(
      this.#connection.call(args),
      this.#timeoutMs,
      () => this.#connection.close(),
      args[0]!,
    );
    const ok = this.#op === "set"
      ? reply.type === "simple" && reply.value === "OK"
      : reply.type === "bulk" || reply.type === "null";
    if (!ok) throw new Error(`${args[0]} answered ${replyText(reply)}`);
    return "done";
  }

  close(): Promise<void> {
    this.#connection.close();
    return Promise.resolve();
  }
}

/** Opens RESP clients on `ports` (round-robin by client index). */
export function respKvOpener(ports: number[], op: KvOp, timeoutMs: number): OpenClient {
  return async (clientIndex) => {
    const port = ports[clientIndex % ports.length]!;
    const connection = await withTimeout(
      RespConnection.open("127.0.0.1", port),
      timeoutMs,
      () => {},
      `connect to port ${port}`,
    );
    return new RespKvClient(connection, op, timeoutMs);
  };
}

/** An etcd client doing one put or one (linearizable) range per cycle. */
class EtcdKvClient implements LockClient {
  readonly #baseUrl: string;
  readonly #op: KvOp;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, op: KvOp, timeoutMs: number) {
    this.#baseUrl = baseUrl;
    this.#op = op;
    this.#timeoutMs = timeoutMs;
  }

  async cycle(key: string): Promise<CycleOutcome> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    if (this.#op === "set") {
      await post(
        `${this.#baseUrl}/v3/kv/put`,
        { key: base64Text(key), value: VALUE_BASE64 },
        signal,
      );
    } else {
      await post(`${this.#baseUrl}/v3/kv/range`, { key: base64Text(key) }, signal);
    }
    return "done";
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Opens etcd clients on `urls` (round-robin by client index). */
export function etcdKvOpener(urls: string[], op: KvOp, timeoutMs: number): OpenClient {
  return (clientIndex) =>
    Promise.resolve(new EtcdKvClient(urls[clientIndex % urls.length]!, op, timeoutMs));
}
