/**
 * The lock workload of a chaos run: K clients on a few lock names, each with its own owner id,
 * connected round-robin to the nodes (moving on after a connection error or timeout), doing
 * try-once `LOCK.ACQUIRE ... WAIT 0`, a short hold, `LOCK.RELEASE ... TOKEN t`, and occasional
 * `LOCK.INFO`. Every call is bounded by a client-side timeout and recorded in a HistoryRecorder:
 * a reply is `ok`, an error reply is classified by its code, anything else is unknown (`info`).
 */
import type { RespValue } from "../../../protocol/resp/mod.ts";
import { RespConnection } from "../../../src/client/resp_connection.ts";
import { SeededRandom } from "../../../src/raft/mod.ts";
import { type HistoryRecorder, type JsonValue, outcomeOfError } from "../history.ts";
import { delay } from "./harness.ts";

/** Defaults of the workload. */
export const WORKLOAD_DEFAULTS = {
  clientCount: 10,
  lockCount: 4,
  callTimeoutMs: 3_000,
  thinkMsMax: 30,
  holdMsMax: 20,
  operationCountMax: 400_000,
  resolveAttemptsMax: 20,
} as const;

/** Options of `runWorkload`. */
export interface WorkloadOptions {
  /** Client ports of the nodes, in order; client p starts on node p mod N. */
  readonly ports: readonly number[];
  /** Seeds every client's choices. */
  readonly seed: number;
  /** Lease of every acquire in ms; must outlast the run (leases are not modelled). */
  readonly ttlMs: number;
  /** Number of clients, one history process each (default 10). */
  readonly clientCount?: number;
  /** Number of lock names `L0..` (default 4). */
  readonly lockCount?: number;
  /** Client-side bound on one call; past it the outcome is unknown (default 3000 ms). */
  readonly callTimeoutMs?: number;
  /** Longest pause between operations of a client (default 20 ms). */
  readonly thinkMsMax?: number;
  /** Longest hold of a granted lock before its release (default 20 ms). */
  readonly holdMsMax?: number;
  /** Bound on operations of the whole workload; reaching it stops the clients (default 400,000). */
  readonly operationCountMax?: number;
  /** Retries to resolve an unknown acquire or release before giving up (default 20). */
  readonly resolveAttemptsMax?: number;
}

/** What the workload did. */
export interface WorkloadSummary {
  /** Operations invoked. */
  readonly operationCount: number;
  /** True when `operationCountMax` stopped the clients before the end. */
  readonly operationCountCapped: boolean;
}

/** A lock name of the workload. */
export function lockName(lockIndex: number): string {
  return `L${lockIndex}`;
}

/** Turns a RESP reply into JSON; an error reply throws its text (`NOQUORUM ...`). */
export function replyToJson(value: RespValue): JsonValue {
  switch (value.type) {
    case "error":
    case "blobError":
      throw new Error(value.value);
    case "null":
      return null;
    case "integer":
    case "double":
    case "boolean":
      return value.value;
    case "simple":
      return value.value;
    case "bulk":
    case "verbatim":
      return new TextDecoder().decode(value.value);
    case "array":
    case "set":
    case "push":
      return value.value.map(replyToJson);
    default:
      throw new Error(`unexpected RESP reply type ${value.type}`);
  }
}

/** One client: its own connection, rotating over the nodes on trouble. */
export class WorkloadClient {
  #connection: RespConnection | null = null;
  #nodeIndex: number;

  /** `process` records into the history; `owner` is its lock owner id. */
  constructor(
    readonly process: number,
    readonly owner: string,
    readonly ports: readonly number[],
    readonly callTimeoutMs: number,
  ) {
    this.#nodeIndex = process % ports.length;
  }

  /** Connects (not recorded: no command was sent); false when the node refused. */
  async connect(): Promise<boolean> {
    if (this.#connection !== null) return true;
    const port = this.ports[this.#nodeIndex % this.ports.length]!;
    const opening = RespConnection.open("127.0.0.1", port);
    try {
      this.#connection = await withTimeout(opening, this.callTimeoutMs);
      return true;
    } catch {
      opening.then((late) => late.close(), () => {});
      this.moveOn();
      return false;
    }
  }

  /** Drops the connection and moves to the next node. */
  moveOn(): void {
    this.#connection?.close();
    this.#connection = null;
    this.#nodeIndex++;
  }

  /**
   * Sends a command with the client-side timeout (`extraMs` more, e.g. its WAIT); trouble other
   * than an error reply moves on. With `closeAfterMs`, the client closes its connection that
   * long after sending if no reply came yet (a client leaving mid-wait): the outcome is unknown.
   */
  async call(args: string[], extraMs = 0, closeAfterMs?: number): Promise<JsonValue> {
    const connection = this.#connection;
    if (connection === null) throw new Error("not connected");
    let closedByUs = false;
    const closer = closeAfterMs === undefined ? undefined : setTimeout(() => {
      closedByUs = true;
      connection.close();
    }, closeAfterMs);
    let reply: RespValue;
    try {
      reply = await withTimeout(connection.call(args), this.callTimeoutMs + extraMs);
    } catch (error) {
      this.moveOn();
      if (closedByUs) throw new Error(`client closed the connection after ${closeAfterMs} ms`);
      throw error;
    } finally {
      clearTimeout(closer);
    }
    return replyToJson(reply);
  }

  /** Closes the connection for good. */
  close(): void {
    this.#connection?.close();
    this.#connection = null;
  }
}

/** Runs the workload until `shouldStop()` or the operation bound; records into `recorder`. */
export async function runWorkload(
  recorder: HistoryRecorder,
  options: WorkloadOptions,
  shouldStop: () => boolean,
): Promise<WorkloadSummary> {
  const o = { ...WORKLOAD_DEFAULTS, ...options };
  let operationCount = 0;
  let capped = false;
  const stop = () => {
    if (operationCount >= o.operationCountMax) capped = true;
    return capped || shouldStop();
  };
  const record = async (client: WorkloadClient, op: string, args: string[]) => {
    if (!await client.connect()) return { outcome: "skipped" as const };
    operationCount++;
    try {
      const value = await recorder.run(client.process, op, args, () => client.call([op, ...args]));
      return { outcome: "ok" as const, value };
    } catch (error) {
      return { outcome: "error" as const, text: error instanceof Error ? error.message : "" };
    }
  };
  const clients = Array.from(
    { length: o.clientCount },
    (_, p) => new WorkloadClient(p, `c${p}`, o.ports, o.callTimeoutMs),
  );
  await Promise.all(clients.map(async (client) => {
    const random = new SeededRandom((o.seed * 1_000_003 + client.process) >>> 0);
    try {
      while (!stop()) {
        await delay(random.int(o.thinkMsMax + 1));
        const lock = lockName(random.int(o.lockCount));
        if (random.next() < 0.1) {
          await record(client, "LOCK.INFO", [lock]);
          continue;
        }
        const mode = random.next() < 0.25 ? "SHARED" : "EXCLUSIVE";
        const acquireArgs = [lock, client.owner, mode, "TTL", String(o.ttlMs), "WAIT", "0"];
        let token: number | null = null;
        for (let attempt = 0; attempt < o.resolveAttemptsMax && !stop(); attempt++) {
          const result = await record(client, "LOCK.ACQUIRE", acquireArgs);
          if (result.outcome === "ok") {
            token = typeof result.value === "number" ? result.value : null;
            break;
          }
          // Failed or unknown: an unknown acquire may hold the lock; asking again reveals it.
          await delay(10 + random.int(40));
          if (result.outcome === "error" && outcomeOfError(result.text) === "fail") break;
        }
        if (token === null) continue;
        await delay(random.int(o.holdMsMax + 1));
        const releaseArgs = [lock, client.owner, "TOKEN", String(token)];
        for (let attempt = 0; attempt < o.resolveAttemptsMax && !shouldStop(); attempt++) {
          const result = await record(client, "LOCK.RELEASE", releaseArgs);
          if (result.outcome === "ok") break;
          await delay(10 + random.int(40));
        }
      }
    } finally {
      client.close();
    }
  }));
  return { operationCount, operationCountCapped: capped };
}

/** Rejects with `TIMEOUT client-side ...` when `promise` takes longer than `timeoutMs`. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`TIMEOUT client-side, no reply within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Bound on one call of the runner's own reads and writes after the faults. */
const RECORDED_CALL_TIMEOUT_MS = 3_000;

/**
 * One call on a fresh connection to the node at `port`, recorded as `process`; true when it
 * succeeded (a refused connection records nothing).
 */
export async function recordedCall(
  recorder: HistoryRecorder,
  process: number,
  port: number,
  name: string,
  args: string[],
): Promise<boolean> {
  const connection = await RespConnection.open("127.0.0.1", port).catch(() => null);
  if (connection === null) return false;
  try {
    await recorder.run(process, name, args, async () => {
      return replyToJson(
        await withTimeout(connection.call([name, ...args]), RECORDED_CALL_TIMEOUT_MS),
      );
    });
    return true;
  } catch {
    return false;
  } finally {
    connection.close();
  }
}
