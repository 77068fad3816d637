/**
 * The world the cache protocol is checked in: nodes running `CacheNode`, homes running
 * `CacheHome` (a new one per home change, which sends every node a Fence; the old one keeps
 * running but is fenced off the store), the slot's store of record (a register per key with a
 * commit position), an unordered bag of messages in flight (any may be delivered next, or lost)
 * and clients running fixed scripts. Time is discrete ticks. Every step clones only what it changes.
 * @module
 */
import { CacheHome, type StoreRequest } from "../../../src/cache/cache_home.ts";
import { CacheNode } from "../../../src/cache/cache_node.ts";
import type { CacheTiming } from "../../../src/cache/limits.ts";
import type {
  CacheWriteMode,
  HomeToNodeMessage,
  NodeToHomeMessage,
} from "../../../src/cache/types.ts";

/** One client operation: read or write a key (a write's value is its `writeId`, unique). */
export interface ScriptOp {
  kind: "read" | "write";
  key: number;
  writeId: number;
}

/** The bounds of one checked configuration. */
export interface WorldConfig {
  /** Per node, the operations its client runs one after the other. */
  scripts: ScriptOp[][];
  keyCount: number;
  timing: CacheTiming;
  /** Lines per node (1 with 2 keys makes every second miss evict). */
  maxEntries: number;
  /** Ticks of time at most. */
  ticksMax: number;
  /** Messages lost at most. */
  dropsMax: number;
  /** Changes of home (new epoch, on the next node) at most. */
  homeChangesMax: number;
  /** Ticks after which a client gives up on a request (the node abandons it). */
  requestTimeoutTicks: number;
  /** Renewal walks (`CacheNode.renewLines` at any point, nobody waiting) at most; 0 none. */
  renewalsMax?: number;
  /** False: a new home sends no epoch fence (it only waits for the old leases); default true. */
  fence?: boolean;
  /**
   * The current home may start taking its lines back at any point (`CacheHome.recall`: its node
   * stopping, docs/cache.md "A graceful stop"), and the step may repeat; a home change then waits
   * until the recall is done, as a stopping node leaves its slots only after it. Default false.
   */
  recall?: boolean;
  /** The nodes' write mode; default "through". */
  writeMode?: CacheWriteMode;
  /**
   * Write-back under faults: an acknowledged write may be lost (docs/cache.md, "What a crash
   * loses"), so reads are checked only to return a value some write made, and the single-writer
   * invariant is checked as always. Default false: every read returns the last acknowledged
   * write or a concurrent one.
   */
  acknowledgedWritesMayBeLost?: boolean;
}

/** A message or store access in flight. */
export type Envelope =
  | { kind: "toHome"; home: number; from: number; message: NodeToHomeMessage }
  | { kind: "toNode"; to: number; message: HomeToNodeMessage }
  | { kind: "store"; home: number; request: StoreRequest };

interface ActiveOp {
  op: ScriptOp;
  requestId: number;
  invokedAt: number;
  /** Store position every value this read may return must reach (acked writes, past reads). */
  floor: number;
}

/** One state of the world; never mutated once built (steps copy what they change). */
export interface World {
  now: number;
  nodes: CacheNode[];
  /** Homes by epoch - 1; the last one is current. */
  homes: { at: number; home: CacheHome }[];
  /** The store: per key the writeId it holds (0: missing), the store's epoch (fencing). */
  storeValues: number[];
  storeEpoch: number;
  /**
   * Position of each write in the order writes took effect (0 is the initial missing value): its
   * commit in the store, or, acknowledged locally on an M line (write-back), its acknowledgment
   * (its later commit keeps that position).
   */
  positions: Map<number, number>;
  /** The writeIds acknowledged locally (write-back): their commits keep their positions. */
  localWrites: ReadonlySet<number>;
  commits: number;
  bag: Envelope[];
  /** Per node: index of the next script op, and the op in progress. */
  next: number[];
  active: (ActiveOp | null)[];
  /** Per key: highest store position any completed operation has observed or acknowledged. */
  floors: number[];
  drops: number;
  /** Renewal walks that sent a RenewRequest so far (all nodes). */
  renewals: number;
  violation: string | null;
}

const SLOT = 0;

/** The key bytes of key number `k`. */
export function keyBytes(k: number): Uint8Array {
  return new Uint8Array([0x6b, k]);
}

/** The initial world: empty caches, the first home on node 0, nothing in flight. */
export function initialWorld(config: WorldConfig): World {
  const nodeCount = config.scripts.length;
  const nodes: CacheNode[] = [];
  for (let i = 0; i < nodeCount; i++) {
    nodes.push(
      new CacheNode({
        writeMode: config.writeMode ?? "through",
        timing: config.timing,
        maxBytes: 1 << 20,
        maxEntries: config.maxEntries,
      }),
    );
  }
  return {
    now: 0,
    nodes,
    homes: [{ at: 0, home: new CacheHome(SLOT, 1, -1_000_000, config.timing) }],
    storeValues: new Array(config.keyCount).fill(0),
    storeEpoch: 1,
    positions: new Map([[0, 0]]),
    localWrites: new Set(),
    commits: 0,
    bag: [],
    next: new Array(nodeCount).fill(0),
    active: new Array(nodeCount).fill(null),
    floors: new Array(config.keyCount).fill(0),
    drops: 0,
    renewals: 0,
    violation: null,
  };
}

/** A shallow copy: arrays copied, their elements shared until a step replaces them. */
export function copyWorld(w: World): World {
  return {
    ...w,
    nodes: [...w.nodes],
    homes: [...w.homes],
    storeValues: [...w.storeValues],
    bag: [...w.bag],
    next: [...w.next],
    active: [...w.active],
    floors: [...w.floors],
  };
}

/** Moves a node's outbox into the bag, addressed to the current home. */
export function flushNode(w: World, index: number): void {
  const home = w.homes.length - 1;
  for (const message of w.nodes[index]!.takeMessages()) {
    w.bag.push({ kind: "toHome", home, from: index, message });
  }
}

/** Moves a home's outboxes (messages, store accesses) into the bag. */
export function flushHome(w: World, epochIndex: number): void {
  const home = w.homes[epochIndex]!.home;
  for (const { to, message } of home.takeMessages()) {
    w.bag.push({ kind: "toNode", to: Number(to.slice(1)), message });
  }
  for (const request of home.takeStoreRequests()) {
    w.bag.push({ kind: "store", home: epochIndex, request });
  }
}

/** A node's id as homes see it. */
export function nodeId(index: number): string {
  return `n${index}`;
}

/** Records a completed read of `writeId` by the active op of node `index`; checks it. */
export function completeRead(
  w: World,
  index: number,
  writeId: number,
  config: WorldConfig,
): void {
  const active = w.active[index]!;
  const position = w.positions.get(writeId);
  const key = active.op.key;
  if (position === undefined) {
    w.violation ??= `node n${index} read k${key} = w${writeId}, a value never written`;
  } else if (config.acknowledgedWritesMayBeLost === true) {
    // Only that the value was written: an older one may follow a lost write.
  } else if (position < active.floor) {
    w.violation ??= `stale read: node n${index} read k${key} = w${writeId} (store position ` +
      `${position}) but a write or read at position ${active.floor} completed before it began`;
  } else {
    w.floors[key] = Math.max(w.floors[key]!, position);
  }
  finishOp(w, index);
}

/**
 * A write acknowledged locally by node `index` (write-back on a line it owns): it takes effect
 * now, before any commit of it.
 */
export function completeLocalWrite(w: World, index: number): void {
  const writeId = w.active[index]!.op.writeId;
  w.positions = new Map(w.positions).set(writeId, ++w.commits);
  w.localWrites = new Set(w.localWrites).add(writeId);
  completeWrite(w, index);
}

/** Records an acknowledged write of the active op of node `index`. */
export function completeWrite(w: World, index: number): void {
  const active = w.active[index]!;
  const position = w.positions.get(active.op.writeId);
  if (position === undefined) {
    w.violation ??= `node n${index} got an ack for w${active.op.writeId}, never committed`;
  } else {
    const key = active.op.key;
    w.floors[key] = Math.max(w.floors[key]!, position);
  }
  finishOp(w, index);
}

/** Ends the active op of node `index` (answered, refused or timed out). */
export function finishOp(w: World, index: number): void {
  w.active[index] = null;
  w.next[index] = w.next[index]! + 1;
}

/** Starts the op of node `index`: the floor is what has completed before it began. */
export function startOp(w: World, index: number, op: ScriptOp, requestId: number): void {
  w.active[index] = { op, requestId, invokedAt: w.now, floor: w.floors[op.key]! };
}

/** Fingerprints of parts shared between worlds (a part is never changed once in a world). */
const PART_TEXTS = new WeakMap<object, string>();

function partText<T extends object>(part: T, text: (part: T) => string): string {
  let value = PART_TEXTS.get(part);
  if (value === undefined) {
    value = text(part);
    PART_TEXTS.set(part, value);
  }
  return value;
}

/** The canonical text of a world. */
export function worldFingerprint(w: World): string {
  return JSON.stringify([
    w.now,
    w.nodes.map((n) => partText(n, (x) => x.fingerprint())),
    w.homes.map((h) => [h.at, partText(h.home, (x) => x.fingerprint())]),
    w.storeValues,
    w.storeEpoch,
    [...w.positions].sort((a, b) => a[0] - b[0]),
    [...w.localWrites].sort((a, b) => a - b),
    w.bag.map(envelopeText).sort(),
    w.next,
    w.active.map((a) => a === null ? null : [a.requestId, a.invokedAt, a.floor]),
    w.floors,
    w.drops,
    w.renewals,
    w.violation,
  ]);
}

/** The text of an envelope, for fingerprints and traces. */
export function envelopeText(e: Envelope): string {
  return partText(e, envelopeTextOf);
}

function envelopeTextOf(e: Envelope): string {
  switch (e.kind) {
    case "toHome":
      return `n${e.from}->home${e.home + 1} ${compact(e.message)}`;
    case "toNode":
      return `->n${e.to} ${compact(e.message)}`;
    case "store":
      return `store<-home${e.home + 1} ${compact(e.request)}`;
  }
}

/** `type=grant key=6b00 ...`: short, exact text of a message (bytes in hex). */
function compact(value: unknown): string {
  if (value instanceof Uint8Array) return [...value].map((b) => b.toString(16)).join("");
  if (value === null || typeof value !== "object") return String(value);
  return Object.entries(value).map(([k, v]) =>
    typeof v === "object" && v !== null && !(v instanceof Uint8Array)
      ? `${k}={${compact(v)}}`
      : `${k}=${compact(v)}`
  ).join(" ");
}
