/** Shared helpers of the storage tests (not a test file itself). */
import type { LogFields } from "../../src/log/logger.ts";
import {
  type LogRecordEntry,
  type WalLog,
  type WalOptions,
  WriteAheadLog,
} from "../../src/storage/mod.ts";

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

/** Options for tests: small limits so rolling and eviction happen with little data. */
export function testOptions(overrides: Partial<WalOptions> = {}): WalOptions {
  return {
    clusterId: "test-cluster",
    nodeId: "n1",
    segmentBytesMax: 64 * 1024,
    recordBytesMax: 16 * 1024,
    batchBytesMax: 32 * 1024,
    pendingBytesMax: 1024 * 1024,
    cacheBytesMax: 1024 * 1024,
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

/** Opens a log in `dir` with `testOptions(overrides)`. */
export function openWal(dir: string, overrides: Partial<WalOptions> = {}): Promise<WriteAheadLog> {
  return WriteAheadLog.open(dir, testOptions(overrides));
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
