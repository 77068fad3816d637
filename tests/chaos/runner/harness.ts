/**
 * A chaos cluster: N real `dsync node` processes on 127.0.0.1, every peer link through a
 * `FaultProxy` per directed link, and process faults (kill -9, pause, restart, wipe and re-join).
 * Node i's `--peers` entry for j is the proxy P(i->j), which forwards to j's real peer port.
 * The lower node id dials the higher one, so the logical link i<->j travels on P(min->max).
 */
import { pingNode, spawnDsync } from "../../../src/cluster/node_process.ts";
import { callNode } from "../../../src/node/join.ts";
import { replyText } from "../../../src/client/resp_connection.ts";
import { FaultProxy } from "../fault_proxy.ts";
import { freePort } from "../../../src/util/free_ports.ts";

/** Most nodes a chaos cluster may have. */
export const CHAOS_NODE_COUNT_MAX = 5;
/** Log lines kept per node (older lines are dropped). */
export const NODE_LOG_LINES_MAX = 5_000;
/** Longest wait for a started node to answer PING. */
export const NODE_READY_TIMEOUT_MS = 20_000;
/** Longest wait for a SIGTERM'd node to exit before it is killed. */
export const NODE_STOP_TIMEOUT_MS = 5_000;
/** Client-side timeout of the harness's own admin calls (CLUSTER INFO, REMOVE). */
export const ADMIN_CALL_TIMEOUT_MS = 2_000;

/** Options of `ChaosCluster.start`. */
export interface ChaosClusterOptions {
  /** Number of nodes, 1..CHAOS_NODE_COUNT_MAX (default 3). */
  readonly nodeCount?: number;
  /** Seeds the proxies' delay jitter. */
  readonly seed?: number;
  /** Extra flags for every node (timing, limits). */
  readonly nodeArgs?: readonly string[];
  /** Called with every harness log line. */
  readonly log?: (line: string) => void;
}

/** One node process and its addresses. */
interface NodeSlot {
  readonly id: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  process: Deno.ChildProcess | null;
  exited: Promise<Deno.CommandStatus> | null;
  paused: boolean;
  /** True while the harness itself is stopping the process (its exit is expected). */
  stopping: boolean;
  /** "joined the cluster" lines seen so far. */
  joinedCount: number;
  /** True until a `--join` start has joined (an exit before is a failed join, not a crash). */
  joining: boolean;
  readonly lines: string[];
}

/** A running cluster with proxies; `close()` stops every process it started, by PID. */
export class ChaosCluster {
  /** Node ids, `n1`..`nN`. */
  readonly ids: readonly string[];
  /** Cluster id given to every node. */
  readonly clusterId: string;
  readonly #slots: Map<string, NodeSlot>;
  readonly #proxies: Map<string, FaultProxy>;
  readonly #dataRoot: string;
  readonly #nodeArgs: readonly string[];
  readonly #log: (line: string) => void;
  readonly #unexpectedExits: string[] = [];

  private constructor(
    slots: Map<string, NodeSlot>,
    proxies: Map<string, FaultProxy>,
    dataRoot: string,
    clusterId: string,
    options: ChaosClusterOptions,
  ) {
    this.ids = [...slots.keys()];
    this.#slots = slots;
    this.#proxies = proxies;
    this.#dataRoot = dataRoot;
    this.clusterId = clusterId;
    this.#nodeArgs = options.nodeArgs ?? [];
    this.#log = options.log ?? (() => {});
  }

  /** Plans ports and proxies and starts every node; on failure everything started is stopped. */
  static async start(options: ChaosClusterOptions = {}): Promise<ChaosCluster> {
    const nodeCount = options.nodeCount ?? 3;
    if (!Number.isSafeInteger(nodeCount) || nodeCount < 1 || nodeCount > CHAOS_NODE_COUNT_MAX) {
      throw new RangeError(
        `Cannot start chaos cluster: ${nodeCount} nodes is not in 1..${CHAOS_NODE_COUNT_MAX}`,
      );
    }
    const dataRoot = await Deno.makeTempDir({ prefix: "dsync-chaos-" });
    const slots = new Map<string, NodeSlot>();
    for (let i = 1; i <= nodeCount; i++) {
      const id = `n${i}`;
      slots.set(id, {
        id,
        clientPort: freePort(),
        peerPort: freePort(),
        dataDir: `${dataRoot}/${id}`,
        process: null,
        exited: null,
        paused: false,
        stopping: false,
        joinedCount: 0,
        joining: false,
        lines: [],
      });
    }
    const proxies = new Map<string, FaultProxy>();
    for (const from of slots.values()) {
      for (const to of slots.values()) {
        if (from === to) continue;
        const proxy = FaultProxy.listen({ targetPort: to.peerPort, seed: options.seed ?? 1 });
        proxies.set(linkKey(from.id, to.id), proxy);
      }
    }
    const cluster = new ChaosCluster(
      slots,
      proxies,
      dataRoot,
      `chaos-${options.seed ?? 1}`,
      options,
    );
    try {
      await Promise.all(cluster.ids.map((id) => cluster.startNode(id)));
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** Client port of a node. */
  clientPort(id: string): number {
    return this.#slot(id).clientPort;
  }

  /** True while the node's process runs and is not paused. */
  isServing(id: string): boolean {
    const slot = this.#slot(id);
    return slot.process !== null && !slot.paused;
  }

  /** True while the node is stopped by SIGSTOP. */
  isPaused(id: string): boolean {
    return this.#slot(id).paused;
  }

  /** The node's recent log lines. */
  logLines(id: string): readonly string[] {
    return this.#slot(id).lines;
  }

  /** The `--peers` flag of node `id`: its own real peer port, proxies for the others. */
  peersFlag(id: string): string {
    return this.ids.map((other) => {
      const port = other === id ? this.#slot(id).peerPort : this.#proxy(id, other).port;
      return `${other}=127.0.0.1:${port}`;
    }).join(",");
  }

  /** Starts node `id` (existing data, `--peers`), or empty with `--join` through `joinVia`. */
  async startNode(id: string, joinVia?: string): Promise<void> {
    const slot = this.#slot(id);
    if (slot.process !== null) throw new Error(`Cannot start node ${id}: it is running`);
    const membership = joinVia === undefined
      ? ["--peers", this.peersFlag(id), "--cluster-id", this.clusterId]
      : ["--join", `127.0.0.1:${this.#slot(joinVia).clientPort}`];
    const keep = (line: string) => {
      slot.lines.push(line);
      if (line.includes("joined the cluster")) slot.joinedCount++;
      if (slot.lines.length > NODE_LOG_LINES_MAX) slot.lines.shift();
    };
    const process = spawnDsync([
      "node",
      ...["--id", id, "--client", `127.0.0.1:${slot.clientPort}`],
      ...["--peer", `127.0.0.1:${slot.peerPort}`, ...membership, "--data", slot.dataDir],
      ...this.#nodeArgs,
    ], keep);
    slot.process = process;
    slot.paused = false;
    slot.stopping = false;
    slot.joining = joinVia !== undefined;
    slot.exited = process.status;
    void process.status.then((status) => {
      if (slot.process !== process || slot.stopping) return;
      slot.process = null;
      slot.exited = null;
      slot.paused = false;
      if (slot.joining) return;
      const line = `${id} (pid ${process.pid}) exited by itself with code ${status.code}: ` +
        (slot.lines.findLast((l) => /ERROR/.test(l)) ?? "no error logged");
      this.#unexpectedExits.push(line);
      this.#log(line);
    });
    this.#log(`started ${id} (pid ${process.pid}${joinVia ? `, joining via ${joinVia}` : ""})`);
    const joinedBefore = slot.joinedCount;
    await this.#waitReady(slot, process);
    if (joinVia !== undefined) await this.#waitJoined(slot, process, joinedBefore);
  }

  /** Nodes that exited without the harness stopping them, with their last error line. */
  get unexpectedExits(): readonly string[] {
    return this.#unexpectedExits;
  }

  /** A joining node answers PING before the cluster added it: wait for its "joined" line. */
  async #waitJoined(slot: NodeSlot, process: Deno.ChildProcess, joinedBefore: number) {
    const deadline = performance.now() + NODE_READY_TIMEOUT_MS;
    while (performance.now() < deadline && slot.process === process) {
      if (slot.joinedCount > joinedBefore) {
        slot.joining = false;
        return;
      }
      await delay(50);
    }
    const why = slot.lines.findLast((l) => /ERROR/.test(l)) ?? "no error logged";
    await this.killNode(slot.id);
    throw new Error(`Cannot join node ${slot.id} through the cluster: ${why}`);
  }

  async #waitReady(slot: NodeSlot, process: Deno.ChildProcess): Promise<void> {
    let exited = false;
    void process.status.then(() => exited = true);
    const deadline = performance.now() + NODE_READY_TIMEOUT_MS;
    while (performance.now() < deadline && !exited) {
      if (await pingNode("127.0.0.1", slot.clientPort, 500)) return;
      await delay(50);
    }
    await this.killNode(slot.id);
    throw new Error(
      `Cannot start node ${slot.id}: no PING answer within ${NODE_READY_TIMEOUT_MS} ms\n` +
        slot.lines.slice(-10).join("\n"),
    );
  }

  /** SIGKILL by PID and waits for the exit; a no-op when not running. */
  async killNode(id: string): Promise<void> {
    const slot = this.#slot(id);
    if (slot.process === null) return;
    slot.stopping = true;
    signal(slot.process, "SIGKILL");
    await slot.exited;
    slot.process = null;
    slot.exited = null;
    slot.paused = false;
    this.#log(`killed ${id}`);
  }

  /** SIGTERM, waits up to NODE_STOP_TIMEOUT_MS, then SIGKILL. */
  async stopNode(id: string): Promise<void> {
    const slot = this.#slot(id);
    if (slot.process === null) return;
    if (slot.paused) this.resumeNode(id);
    slot.stopping = true;
    signal(slot.process, "SIGTERM");
    const exited = await Promise.race([
      (slot.exited ?? Promise.resolve()).then(() => true),
      delay(NODE_STOP_TIMEOUT_MS).then(() => false),
    ]);
    if (!exited) this.#log(`${id} ignored SIGTERM for ${NODE_STOP_TIMEOUT_MS} ms`);
    await this.killNode(id);
  }

  /** SIGSTOP. */
  pauseNode(id: string): void {
    const slot = this.#slot(id);
    if (slot.process === null || slot.paused) return;
    signal(slot.process, "SIGSTOP");
    slot.paused = true;
  }

  /** SIGCONT. */
  resumeNode(id: string): void {
    const slot = this.#slot(id);
    if (slot.process === null || !slot.paused) return;
    signal(slot.process, "SIGCONT");
    slot.paused = false;
  }

  /** Erases the node's data directory (the node must be stopped). */
  async wipeData(id: string): Promise<void> {
    const slot = this.#slot(id);
    if (slot.process !== null) throw new Error(`Cannot wipe ${id}: it is running`);
    await Deno.remove(slot.dataDir, { recursive: true }).catch(() => {});
  }

  /** Cuts the logical link a<->b (both directed proxies). */
  cutLink(a: string, b: string): void {
    this.#proxy(a, b).cut();
    this.#proxy(b, a).cut();
  }

  /** Drops bytes sent from `from` to `to` (one way), on the proxy that carries the link. */
  dropLink(from: string, to: string): void {
    if (from < to) this.#proxy(from, to).dropDirection("forward");
    else this.#proxy(to, from).dropDirection("backward");
  }

  /** Delays the logical link a<->b. */
  delayLink(a: string, b: string, delayMs: number, jitterMs: number): void {
    this.#proxy(a, b).delay(delayMs, jitterMs);
    this.#proxy(b, a).delay(delayMs, jitterMs);
  }

  /** Heals every proxy. */
  healLinks(): void {
    for (const proxy of this.#proxies.values()) proxy.heal();
  }

  /** Sends one admin command to a node; the reply as text (errors as `-CODE ...`). */
  async admin(id: string, args: string[]): Promise<string> {
    const reply = await callNode(
      { host: "127.0.0.1", port: this.#slot(id).clientPort },
      args,
      ADMIN_CALL_TIMEOUT_MS,
    );
    return replyText(reply);
  }

  /** The serving node that reports role leader with the highest term, or null. */
  async findLeader(): Promise<string | null> {
    let best: { id: string; term: number } | null = null;
    await Promise.all(
      this.ids.filter((id) => this.isServing(id)).map(async (id) => {
        const info = await this.admin(id, ["CLUSTER", "INFO"]).catch(() => "");
        const term = Number(/term:(\d+)/.exec(info)?.[1] ?? -1);
        if (/role:leader/.test(info) && (best === null || term > best.term)) best = { id, term };
      }),
    );
    return (best as { id: string } | null)?.id ?? null;
  }

  /** Stops every process (SIGCONT, SIGKILL by PID), closes the proxies, removes the data. */
  async close(): Promise<void> {
    await Promise.all(this.ids.map(async (id) => {
      this.resumeNode(id);
      await this.killNode(id);
    }));
    await Promise.all([...this.#proxies.values()].map((proxy) => proxy.close()));
    await Deno.remove(this.#dataRoot, { recursive: true }).catch(() => {});
  }

  #slot(id: string): NodeSlot {
    const slot = this.#slots.get(id);
    if (slot === undefined) throw new RangeError(`Unknown node id ${JSON.stringify(id)}`);
    return slot;
  }

  #proxy(from: string, to: string): FaultProxy {
    const proxy = this.#proxies.get(linkKey(from, to));
    if (proxy === undefined) throw new RangeError(`No proxy for link ${from}->${to}`);
    return proxy;
  }
}

function linkKey(from: string, to: string): string {
  return `${from}->${to}`;
}

function signal(process: Deno.ChildProcess, name: Deno.Signal): void {
  try {
    process.kill(name);
  } catch {
    // already exited
  }
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
