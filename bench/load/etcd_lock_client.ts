/**
 * One etcd lock client over etcd's v3 JSON gateway (`/v3/...`, etcd 3.4), with `fetch`: one lease
 * per client (as etcd's concurrency package does), `lock` with that lease, `unlock` by key.
 */
import type { CycleOutcome, LockClient } from "./lock_workload.ts";

/** Timing of an etcd lock client. */
export interface EtcdLockOptions {
  /** Lease TTL granted once per client, in seconds; kept alive every third of it. */
  leaseTtlSeconds: number;
  /** How long `lock` may wait for the lock before the request is aborted (not granted). */
  waitMs: number;
  /** Timeout of every other request (lease grant, keepalive, unlock, revoke). */
  requestTimeoutMs: number;
}

const encoder = new TextEncoder();

/** Standard base64 of a UTF-8 string (etcd's JSON gateway carries bytes as base64). */
export function base64Text(text: string): string {
  let binary = "";
  for (const byte of encoder.encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** POSTs a JSON body to the gateway; throws on a non-2xx answer with etcd's message. */
export async function post(url: string, body: unknown, signal: AbortSignal): Promise<unknown> {
  const response = await fetch(url, { method: "POST", body: JSON.stringify(body), signal });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(
      `etcd ${new URL(url).pathname} answered ${response.status}: ${text.slice(0, 200)}`,
    );
  }
  return JSON.parse(text);
}

function field(value: unknown, name: string): string {
  const found = (value as Record<string, unknown> | null)?.[name];
  if (typeof found !== "string" || found === "") {
    throw new Error(`Cannot read etcd reply: field '${name}' missing in ${JSON.stringify(value)}`);
  }
  return found;
}

/** An etcd client holding one lease; lease ids stay strings (they exceed 2^53). */
export class EtcdLockClient implements LockClient {
  readonly #baseUrl: string;
  readonly #options: EtcdLockOptions;
  readonly #leaseId: string;
  readonly #keepAlive: ReturnType<typeof setInterval>;

  private constructor(baseUrl: string, options: EtcdLockOptions, leaseId: string) {
    this.#baseUrl = baseUrl;
    this.#options = options;
    this.#leaseId = leaseId;
    const everyMs = Math.max(1, Math.floor((options.leaseTtlSeconds * 1000) / 3));
    this.#keepAlive = setInterval(() => void this.#renew(), everyMs);
  }

  /** Grants the client's lease on the member at `baseUrl` (e.g. "http://127.0.0.1:2379"). */
  static async open(baseUrl: string, options: EtcdLockOptions): Promise<EtcdLockClient> {
    const reply = await post(
      `${baseUrl}/v3/lease/grant`,
      { TTL: options.leaseTtlSeconds },
      AbortSignal.timeout(options.requestTimeoutMs),
    );
    return new EtcdLockClient(baseUrl, options, field(reply, "ID"));
  }

  /** Locks `name` with the client's lease, then unlocks the returned key. */
  async cycle(name: string): Promise<CycleOutcome> {
    let key: string;
    try {
      const reply = await post(
        `${this.#baseUrl}/v3/lock/lock`,
        { name: base64Text(name), lease: this.#leaseId },
        AbortSignal.timeout(this.#options.waitMs),
      );
      key = field(reply, "key");
    } catch (error) {
      // etcd's lock has no WAIT: an aborted request is the "not granted within WAIT" outcome.
      if (error instanceof DOMException && error.name === "TimeoutError") return "not-granted";
      throw error;
    }
    await post(
      `${this.#baseUrl}/v3/lock/unlock`,
      { key },
      AbortSignal.timeout(this.#options.requestTimeoutMs),
    );
    return "done";
  }

  /** Stops the keepalive and revokes the lease (which drops any key it still holds). */
  async close(): Promise<void> {
    clearInterval(this.#keepAlive);
    await post(
      `${this.#baseUrl}/v3/lease/revoke`,
      { ID: this.#leaseId },
      AbortSignal.timeout(this.#options.requestTimeoutMs),
    ).catch(() => {}); // the lease expires by itself within its TTL
  }

  async #renew(): Promise<void> {
    await post(
      `${this.#baseUrl}/v3/lease/keepalive`,
      { ID: this.#leaseId },
      AbortSignal.timeout(this.#options.requestTimeoutMs),
    ).catch(() => {}); // a missed renewal shows up as failed locks, counted as errors
  }
}
