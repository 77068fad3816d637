/**
 * A TCP proxy for one directed link on 127.0.0.1 (listen port -> target port) whose faults are
 * switched at run time: cut (close every connection, refuse new ones), one-way loss, delay with
 * seeded jitter. Buffers and connection count are bounded.
 */
import { SeededRandom } from "../../src/raft/mod.ts";
import { type Direction, Pump, type PumpControl } from "./proxy_pump.ts";

export type { Direction } from "./proxy_pump.ts";

/** Default bound on queued (delayed) bytes per direction of one connection. */
export const FAULT_PROXY_QUEUE_BYTES_MAX = 1024 * 1024;
/** Default size of one read from a socket, in bytes. */
export const FAULT_PROXY_READ_CHUNK_BYTES = 16 * 1024;
/** Default bound on simultaneously open proxied connections. */
export const FAULT_PROXY_CONNECTION_COUNT_MAX = 64;

const HOSTNAME = "127.0.0.1";

/** Options of `FaultProxy.listen`. */
export interface FaultProxyOptions {
  /** Port on 127.0.0.1 that connections are forwarded to. */
  readonly targetPort: number;
  /** Port to listen on; 0 (default) picks a free one. */
  readonly listenPort?: number;
  /** Seed of the delay jitter. */
  readonly seed?: number;
  /** Bound on queued bytes per direction per connection (>= readChunkBytes). */
  readonly queueBytesMax?: number;
  /** Bytes per socket read. */
  readonly readChunkBytes?: number;
  /** Connections over this bound are closed at once and counted as refused. */
  readonly connectionCountMax?: number;
}

/** Counters of a proxy since it started. */
export interface FaultProxyStats {
  /** Connections forwarded to the target. */
  readonly acceptedCount: number;
  /** Connections closed at once: cut, or over `connectionCountMax`. */
  readonly refusedCount: number;
  /** Connections closed because the target refused them. */
  readonly targetFailedCount: number;
  /** Proxied connections open now. */
  readonly openCount: number;
  /** Bytes written on, per direction. */
  readonly deliveredBytes: Readonly<Record<Direction, number>>;
  /** Bytes discarded by `dropDirection`, per direction. */
  readonly droppedBytes: Readonly<Record<Direction, number>>;
  /** Largest queue seen in one direction of one connection, bytes (<= queueBytesMax). */
  readonly queuedBytesPeak: number;
}

/** A delay drawn uniformly from [delayMs - jitterMs, delayMs + jitterMs], never below 0. */
export function sampleDelayMs(random: SeededRandom, delayMs: number, jitterMs: number): number {
  if (jitterMs === 0) return delayMs;
  return Math.max(0, delayMs + (random.next() * 2 - 1) * jitterMs);
}

class ProxyConnection {
  readonly pumps: Pump[] = [];
  #closed = false;

  constructor(readonly client: Deno.Conn, readonly target: Deno.Conn) {}

  get tainted(): boolean {
    return this.pumps.some((pump) => pump.tainted);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pump of this.pumps) pump.stop();
    for (const conn of [this.client, this.target]) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  }
}

/** The proxy; create it with `FaultProxy.listen`. */
export class FaultProxy {
  readonly #listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr>;
  readonly #options: Required<FaultProxyOptions>;
  readonly #random: SeededRandom;
  readonly #connections = new Set<ProxyConnection>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #dropping = new Set<Direction>();
  #cut = false;
  #closed = false;
  #delayMs = 0;
  #jitterMs = 0;
  #stats = {
    acceptedCount: 0,
    refusedCount: 0,
    targetFailedCount: 0,
    deliveredBytes: { forward: 0, backward: 0 },
    droppedBytes: { forward: 0, backward: 0 },
    queuedBytesPeak: 0,
  };

  private constructor(options: Required<FaultProxyOptions>) {
    this.#options = options;
    this.#random = new SeededRandom(options.seed);
    this.#listener = Deno.listen({ hostname: HOSTNAME, port: options.listenPort });
    this.#track(this.#acceptLoop());
  }

  /** Starts listening on 127.0.0.1 and forwarding to the target port. */
  static listen(options: FaultProxyOptions): FaultProxy {
    const full: Required<FaultProxyOptions> = {
      listenPort: 0,
      seed: 1,
      queueBytesMax: FAULT_PROXY_QUEUE_BYTES_MAX,
      readChunkBytes: FAULT_PROXY_READ_CHUNK_BYTES,
      connectionCountMax: FAULT_PROXY_CONNECTION_COUNT_MAX,
      ...options,
    };
    for (const key of ["targetPort", "readChunkBytes", "connectionCountMax"] as const) {
      if (!Number.isSafeInteger(full[key]) || full[key] < 1) {
        throw new RangeError(`Cannot start proxy: ${key} ${full[key]} is not a positive integer`);
      }
    }
    if (!Number.isSafeInteger(full.queueBytesMax) || full.queueBytesMax < full.readChunkBytes) {
      throw new RangeError(
        `Cannot start proxy: queueBytesMax ${full.queueBytesMax} is below ` +
          `readChunkBytes ${full.readChunkBytes}`,
      );
    }
    return new FaultProxy(full);
  }

  /** The port the proxy listens on. */
  get port(): number {
    return this.#listener.addr.port;
  }

  /** Closes every connection and refuses new ones until `heal()`. */
  cut(): void {
    this.#cut = true;
    for (const connection of this.#connections) connection.close();
  }

  /** Discards bytes travelling in `direction` until `heal()` (one-way loss). */
  dropDirection(direction: Direction): void {
    this.#dropping.add(direction);
  }

  /** Delays every later chunk by `delayMs` +- `jitterMs` (seeded); order is kept. */
  delay(delayMs: number, jitterMs = 0): void {
    if (!(delayMs >= 0 && jitterMs >= 0 && Number.isFinite(delayMs + jitterMs))) {
      throw new RangeError(`Cannot delay: ${delayMs} ms +- ${jitterMs} ms is not a delay`);
    }
    this.#delayMs = delayMs;
    this.#jitterMs = jitterMs;
  }

  /**
   * Restores a perfect link: no cut, no loss, no delay. Connections that lost bytes are closed,
   * since their byte streams have holes.
   */
  heal(): void {
    this.#cut = false;
    this.#dropping.clear();
    this.#delayMs = 0;
    this.#jitterMs = 0;
    for (const connection of this.#connections) {
      if (connection.tainted) connection.close();
    }
  }

  /** A snapshot of the counters. */
  stats(): FaultProxyStats {
    const s = this.#stats;
    return {
      ...s,
      deliveredBytes: { ...s.deliveredBytes },
      droppedBytes: { ...s.droppedBytes },
      openCount: this.#connections.size,
    };
  }

  /** Stops listening, closes every connection and waits for all of the proxy's tasks. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    for (const connection of this.#connections) connection.close();
    while (this.#tasks.size > 0) await Promise.all([...this.#tasks]);
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task));
  }

  async #acceptLoop(): Promise<void> {
    try {
      for await (const client of this.#listener) {
        if (
          this.#cut || this.#closed || this.#connections.size >= this.#options.connectionCountMax
        ) {
          this.#stats.refusedCount++;
          client.close();
          continue;
        }
        this.#track(this.#forward(client));
      }
    } catch {
      // The listener was closed: no more connections.
    }
  }

  async #forward(client: Deno.Conn): Promise<void> {
    let target: Deno.Conn;
    try {
      target = await Deno.connect({ hostname: HOSTNAME, port: this.#options.targetPort });
    } catch {
      this.#stats.targetFailedCount++;
      client.close();
      return;
    }
    const connection = new ProxyConnection(client, target);
    if (this.#cut || this.#closed) {
      this.#stats.refusedCount++;
      connection.close();
      return;
    }
    this.#stats.acceptedCount++;
    this.#connections.add(connection);
    const control = this.#control(connection);
    const limits = {
      queueBytesMax: this.#options.queueBytesMax,
      readChunkBytes: this.#options.readChunkBytes,
    };
    connection.pumps.push(
      new Pump(client, target, "forward", control, limits),
      new Pump(target, client, "backward", control, limits),
    );
    await Promise.all(connection.pumps.map((pump) => pump.done));
    connection.close();
    this.#connections.delete(connection);
  }

  #control(connection: ProxyConnection): PumpControl {
    const stats = this.#stats;
    return {
      isDropping: (direction) => this.#dropping.has(direction),
      nextDelayMs: () => sampleDelayMs(this.#random, this.#delayMs, this.#jitterMs),
      nowMs: () => performance.now(),
      count: (direction, deliveredBytes, droppedBytes) => {
        stats.deliveredBytes[direction] += deliveredBytes;
        stats.droppedBytes[direction] += droppedBytes;
      },
      queued: (_direction, queuedBytes) => {
        stats.queuedBytesPeak = Math.max(stats.queuedBytesPeak, queuedBytes);
      },
      broken: () => connection.close(),
    };
  }
}
