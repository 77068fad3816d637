/** Shared helpers of the storage tests (not a test file itself). */
import type { LogFields } from "../../src/log/logger.ts";
import { SimFileSystem } from "./sim_file_system.ts";
import {
  type AppendBatch,
  type GroupLog,
  type LogRecordEntry,
  NodeLog,
  type NodeLogOptions,
  type NodeLogStats,
  type SnapshotMeta,
  type StoredHardState,
  type StoredSnapshot,
  type StoreIdentity,
  type WalLog,
} from "../../src/storage/mod.ts";

/** The group id every single-group test log uses. */
export const TEST_GROUP_ID = 1;

/**
 * A node log holding one group (`TEST_GROUP_ID`), read and written through that group's view:
 * the storage tests that predate multi-group logs run against the node log through it.
 */
export class SingleGroupLog {
  /** The node log underneath. */
  readonly node: NodeLog;
  /** The view of the test group. */
  readonly group: GroupLog;

  constructor(node: NodeLog) {
    this.node = node;
    this.group = node.group(TEST_GROUP_ID);
  }

  /** Who owns the data dir. */
  identity(): StoreIdentity {
    return this.node.identity();
  }

  /** True when this open initialised the data dir. */
  wasCreated(): boolean {
    return this.node.wasCreated();
  }

  /** First live index of the group. */
  firstIndex(): number {
    return this.group.firstIndex();
  }

  /** Last index of the group. */
  lastIndex(): number {
    return this.group.lastIndex();
  }

  /** Term of entry `index` of the group. */
  term(index: number): number | undefined {
    return this.group.term(index);
  }

  /** Hard state of the group. */
  hardState(): StoredHardState {
    return this.group.hardState();
  }

  /** Latest snapshot of the group. */
  snapshotMeta(): SnapshotMeta | null {
    return this.group.snapshotMeta();
  }

  /** Appends to the group. */
  append(batch: AppendBatch): Promise<void> {
    return this.group.append(batch);
  }

  /** Reads entries of the group. */
  entries(
    fromIndex: number,
    toIndexExclusive: number,
    bytesMax?: number,
  ): Promise<LogRecordEntry[]> {
    return this.group.entries(fromIndex, toIndexExclusive, bytesMax);
  }

  /** Reads cached entries of the group. */
  cachedEntries(
    fromIndex: number,
    toIndexExclusive: number,
    bytesMax?: number,
  ): LogRecordEntry[] | null {
    return this.group.cachedEntries(fromIndex, toIndexExclusive, bytesMax);
  }

  /** Saves a snapshot of the group. */
  saveSnapshot(meta: SnapshotMeta, data: Uint8Array): Promise<void> {
    return this.group.saveSnapshot(meta, data);
  }

  /** Loads the group's snapshot. */
  loadSnapshot(): Promise<StoredSnapshot | null> {
    return this.group.loadSnapshot();
  }

  /** Counters of the node log. */
  stats(): NodeLogStats {
    return this.node.stats();
  }

  /** Closes the node log. */
  close(): Promise<void> {
    return this.node.close();
  }

  /** Closes the node log. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.node.close();
  }
}

/** Opens a single-group node log in `dir` with exactly `options`. */
export async function openSingleGroup(
  dir: string,
  options: NodeLogOptions,
): Promise<SingleGroupLog> {
  return new SingleGroupLog(await NodeLog.open(dir, options));
}

/** A `WalLog` that keeps every line for assertions. */
export class CapturingLog implements WalLog {
  /** Lines as `level message`, plus their fields. */
  readonly lines: { level: string; message: string; fields: LogFields | undefined }[] = [];

  info(message: string, fields?: LogFields): void {
    this.lines.push({ level: "info", message, fields });
  }

  warn(message: string, fields?: LogFields): void {
    this.lines.push({ level: "warn", message, fields });
  }
}

/** Options for tests: one group and small limits, so rolling and eviction need little data. */
export function testOptions(overrides: Partial<NodeLogOptions> = {}): NodeLogOptions {
  return {
    clusterId: "test-cluster",
    nodeId: "n1",
    segmentBytesMax: 64 * 1024,
    recordBytesMax: 16 * 1024,
    batchBytesMax: 32 * 1024,
    pendingBytesMax: 1024 * 1024,
    cacheBytesMax: 1024 * 1024,
    groupsMax: 1,
    log: new CapturingLog(),
    ...overrides,
  };
}

/** Runs `body` with a fresh temporary directory, removed afterwards. */
export async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dsync_storage_test_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Opens a single-group node log in `dir` with `testOptions(overrides)`. */
export function openLog(
  dir: string,
  overrides: Partial<NodeLogOptions> = {},
): Promise<SingleGroupLog> {
  return openSingleGroup(dir, testOptions(overrides));
}

/** Data dir of the single-group logs on a simulated disk. */
export const SIM_DATA_DIR = "/data/n1";

/** A simulated disk whose `/data` directory already exists durably. */
export async function simDisk(): Promise<SimFileSystem> {
  const fs = new SimFileSystem();
  await fs.mkdir("/data");
  await fs.syncDir("/");
  return fs;
}

/** Opens a single-group node log in `SIM_DATA_DIR` on `fs` with `testOptions(overrides)`. */
export function openSim(
  fs: SimFileSystem,
  overrides: Partial<NodeLogOptions> = {},
): Promise<SingleGroupLog> {
  return openSingleGroup(SIM_DATA_DIR, testOptions({ fileSystem: fs, ...overrides }));
}

/** Entries `from .. from + count - 1` of term `term`, data derived from index and term. */
export function makeEntries(from: number, count: number, term: number): LogRecordEntry[] {
  const entries: LogRecordEntry[] = [];
  for (let k = 0; k < count; k++) {
    const index = from + k;
    entries.push({ index, term, data: entryData(index, term) });
  }
  return entries;
}

/** Deterministic data of entry `index` in `term` (length varies with the index). */
export function entryData(index: number, term: number): Uint8Array {
  return new TextEncoder().encode(`entry-${index}-term-${term}-${"x".repeat(index % 23)}`);
}

/** Entries as plain `[index, term, text]` triples, for readable deep equality. */
export function describe(entries: readonly LogRecordEntry[]): [number, number, string][] {
  const decoder = new TextDecoder();
  return entries.map((entry) => [entry.index, entry.term, decoder.decode(entry.data)]);
}

/** Path of segment `seq` in `dir`. */
export function segmentPath(dir: string, seq: number): string {
  return `${dir}/wal/${String(seq).padStart(20, "0")}.seg`;
}

/** Snapshot directory of the test group in `dir`. */
export function snapshotDir(dir: string): string {
  return `${dir}/snap/${String(TEST_GROUP_ID).padStart(10, "0")}`;
}

/** Awaits `promise`, which must reject with an instance of `type`; returns the error. */
export async function rejection<T extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof type) return error;
    throw new Error(`expected ${type.name}, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected ${type.name}, but the promise resolved`);
}
