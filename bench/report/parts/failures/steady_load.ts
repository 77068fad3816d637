/**
 * A steady load for the failures timelines: lock clients loop acquire+release cycles
 * (`DsyncLockClient`) and key-value clients loop SETs, all on keys of one hash tag so that they
 * use one Raft group. Clients are spread over the nodes; a client whose call times out, or whose
 * node answers NOQUORUM, moves on to the next node, as a client with several endpoints would; one
 * refused otherwise (TRYAGAIN, TIMEOUT: the node is alive) tries again on the same node. Every completion time is
 * recorded (`performance.now()`), for bucketing into a timeline afterwards.
 */
import { RespConnection } from "../../../../src/client/resp_connection.ts";
import { DsyncLockClient, ReplyError, withTimeout } from "../../../load/dsync_lock_client.ts";

/** Settings of a steady load. */
export interface SteadyLoadOptions {
  /** Client ports of the nodes; client i starts on ports[i % ports.length]. */
  ports: readonly number[];
  lockClientCount: number;
  setClientCount: number;
  /** Hash tag every lock name and key carries (`{tl}` puts them in one slot). */
  hashTag: string;
  /** Bound on one call; past it the connection is dropped and the client moves on. */
  requestTimeoutMs: number;
  /** Pause after a failed call before the client tries the next node. */
  retryDelayMs: number;
}

/** What a steady load recorded. */
export interface SteadyLoadResult {
  /** Completion times of acquire+release cycles, ascending. */
  lockCompletionsMs: number[];
  /** Completion times of acknowledged SETs, ascending. */
  setCompletionsMs: number[];
  errorCount: number;
  firstError: string | null;
}

/** Most clients of one steady load. */
export const STEADY_CLIENT_COUNT_MAX = 256;
/** Most completions recorded per kind (a bound on memory; later ones are not recorded). */
export const STEADY_COMPLETION_COUNT_MAX = 2_000_000;

/** One kind of client: open on a port, run one operation. */
interface Worker {
  open(port: number): Promise<{ run(): Promise<boolean>; close(): void }>;
  completions: number[];
}

/** A running steady load; `stop()` ends every client loop and returns what was recorded. */
export class SteadyLoad {
  readonly #options: SteadyLoadOptions;
  readonly #loops: Promise<void>[] = [];
  readonly #result: SteadyLoadResult = {
    lockCompletionsMs: [],
    setCompletionsMs: [],
    errorCount: 0,
    firstError: null,
  };
  #stopped = false;

  private constructor(options: SteadyLoadOptions) {
    this.#options = options;
  }

  /** Starts every client loop (connections are opened inside the loops). */
  static start(options: SteadyLoadOptions): SteadyLoad {
    const total = options.lockClientCount + options.setClientCount;
    if (options.ports.length === 0 || total < 1 || total > STEADY_CLIENT_COUNT_MAX) {
      throw new RangeError(
        `Cannot start a steady load of ${total} clients on ${options.ports.length} ports ` +
          `(1..${STEADY_CLIENT_COUNT_MAX} clients, at least one port)`,
      );
    }
    const load = new SteadyLoad(options);
    for (let i = 0; i < options.lockClientCount; i++) {
      load.#loops.push(load.#loop(i, load.#lockWorker(i)));
    }
    for (let i = 0; i < options.setClientCount; i++) {
      load.#loops.push(load.#loop(i, load.#setWorker(i)));
    }
    return load;
  }

  /** Stops the loops (each finishes or times out its call in flight) and returns the record. */
  async stop(): Promise<SteadyLoadResult> {
    this.#stopped = true;
    await Promise.all(this.#loops);
    return this.#result;
  }

  #lockWorker(clientIndex: number): Worker {
    const { hashTag, requestTimeoutMs } = this.#options;
    const owner = `timeline-${clientIndex}`;
    const name = `${hashTag}lock-${clientIndex}`;
    return {
      completions: this.#result.lockCompletionsMs,
      open: async (port) => {
        const client = await DsyncLockClient.open(port, {
          owner,
          ttlMs: 10_000,
          waitMs: requestTimeoutMs,
          requestTimeoutMs,
        });
        return {
          run: async () => (await client.cycle(name)) === "done",
          close: () => void client.close(),
        };
      },
    };
  }

  #setWorker(clientIndex: number): Worker {
    const { hashTag, requestTimeoutMs } = this.#options;
    const key = `${hashTag}key-${clientIndex}`;
    let sequence = 0;
    return {
      completions: this.#result.setCompletionsMs,
      open: async (port) => {
        const connection = await withTimeout(
          RespConnection.open("127.0.0.1", port),
          requestTimeoutMs,
          () => {},
          `connect to port ${port}`,
        );
        return {
          run: async () => {
            const args = ["SET", key, String(sequence++)];
            const reply = await withTimeout(
              connection.call(args),
              requestTimeoutMs,
              () => connection.close(),
              "SET",
            );
            if (reply.type !== "simple" || reply.value !== "OK") throw new ReplyError("SET", reply);
            return true;
          },
          close: () => connection.close(),
        };
      },
    };
  }

  async #loop(clientIndex: number, worker: Worker): Promise<void> {
    const { ports, retryDelayMs } = this.#options;
    let portIndex = clientIndex % ports.length;
    while (!this.#stopped) {
      let client: Awaited<ReturnType<Worker["open"]>> | null = null;
      try {
        client = await worker.open(ports[portIndex]!);
        while (!this.#stopped) {
          const done = await client.run();
          if (done && worker.completions.length < STEADY_COMPLETION_COUNT_MAX) {
            worker.completions.push(performance.now());
          }
        }
      } catch (error) {
        this.#result.errorCount++;
        this.#result.firstError ??= error instanceof Error ? error.message : String(error);
        // A node that answered is alive and forwards to whichever node leads now: the client
        // stays. No answer, or NOQUORUM (the node is cut off from its peers), moves it on.
        if (!(error instanceof ReplyError) || error.code === "NOQUORUM") {
          portIndex = (portIndex + 1) % ports.length;
        }
        if (!this.#stopped) await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
      } finally {
        client?.close();
      }
    }
  }
}
