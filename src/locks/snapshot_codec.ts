import { BinaryReader, BinaryWriter, StringInterner } from "../../protocol/binary/mod.ts";
import { decodeError, MODE_CODES, modeOfCode } from "./binary.ts";
import { type LockTableLimits, NAME_BYTES_MAX, OWNER_BYTES_MAX, TTL_MS_MAX } from "./limits.ts";
import {
  addHolder,
  canGrantWaiter,
  createTableState,
  type Holder,
  insertLock,
  type LockEntry,
  parkWaiter,
  type TableState,
} from "./table_state.ts";
import { textProblem } from "./validate.ts";

/** Version byte leading every lock table snapshot (2: holders carry their lease index). */
export const LOCK_SNAPSHOT_VERSION = 2;
/** Version 1 snapshots are still read; their holders get lease index 0. */
const LOCK_SNAPSHOT_VERSION_OLDEST = 1;

const CONTEXT = "lock table snapshot";
/** Smallest encoding of a holder: owner length, token, ttl (version 2 adds a lease index). */
const HOLDER_BYTES_MIN = 2 + 8 + 4;
/** Smallest encoding of a waiter: owner length, mode, waiter id, ttl. */
const WAITER_BYTES_MIN = 2 + 1 + 8 + 4;
/** Smallest encoding of a lock: name length, mode, two counts, one holder. */
const LOCK_BYTES_MIN = 2 + 1 + 4 + 4 + HOLDER_BYTES_MIN;

/**
 * Encodes the replicated state: u8 version, u53 applied index, u53 last token, u32 lock count,
 * then per lock (in table order) its name, u8 mode, holders [owner, u53 token, u32 ttlMs,
 * u53 leaseIndex] and
 * waiters [owner, u8 mode, u53 waiterId, u32 ttlMs] in order, each list with a u32 count.
 */
export function encodeTableState(state: TableState): Uint8Array {
  const writer = new BinaryWriter(encodedBytesHint(state));
  encodeTableStateInto(state, writer);
  return writer.copy();
}

/** A size hint for the encoding of `state` (short names and owners fit without growing). */
export function encodedBytesHint(state: TableState): number {
  return 64 + state.locks.size * 48 + (state.holderCount + state.waiterCount) * 48;
}

/** Appends the encoding of `state` (see encodeTableState) to `writer`, with no copy of it. */
export function encodeTableStateInto(state: TableState, writer: BinaryWriter): void {
  const steps = encodeTableStateSteps(state, writer, Number.POSITIVE_INFINITY);
  while (steps.next().done !== true) { /* one step: the whole table */ }
}

/**
 * Appends the encoding of `state` (see encodeTableState) to `writer` in steps: after every
 * `itemsPerStep` items (a lock, a holder or a waiter each) it yields that count, so a caller can
 * give the event loop a turn between steps. The state must not change until the generator ends.
 */
export function* encodeTableStateSteps(
  state: TableState,
  writer: BinaryWriter,
  itemsPerStep: number,
): Generator<number, void, void> {
  if (!(itemsPerStep >= 1)) throw new RangeError(`itemsPerStep must be >= 1: ${itemsPerStep}`);
  writer.u8(LOCK_SNAPSHOT_VERSION).u53(state.appliedIndex).u53(state.lastToken);
  writer.u32(state.locks.size);
  const writeHolder = (holder: Holder): void => {
    writer.u16String(holder.owner).u53(holder.token).u32(holder.ttlMs).u53(holder.leaseIndex);
  };
  let items = 0;
  for (const lock of state.locks.values()) {
    writer.u16String(lock.name).u8(MODE_CODES[lock.mode]).u32(lock.holders.size);
    if (++items === itemsPerStep) {
      yield items;
      items = 0;
    }
    if (lock.holders.size === 1) {
      // The common case without an iterator object per lock (it doubled the encoding time).
      lock.holders.forEach(writeHolder);
      if (++items === itemsPerStep) {
        yield items;
        items = 0;
      }
    } else {
      for (const holder of lock.holders.values()) {
        writeHolder(holder);
        if (++items === itemsPerStep) {
          yield items;
          items = 0;
        }
      }
    }
    writer.u32(lock.queue.size);
    for (let waiter = lock.queue.head; waiter !== null; waiter = waiter.next) {
      writer.u16String(waiter.owner).u8(MODE_CODES[waiter.mode]).u53(waiter.waiterId);
      writer.u32(waiter.ttlMs);
      if (++items === itemsPerStep) {
        yield items;
        items = 0;
      }
    }
  }
  if (items > 0) yield items;
}

/**
 * Decodes and validates a snapshot into a fresh state with `limits`. Checks the structure
 * (unique names, owners and tokens, tokens <= last token, modes consistent with holders, at
 * most one exclusive holder, upgrade waiters first, a head that is not grantable); not the
 * configured count limits (a table may legitimately exceed lowered limits) nor acyclicity.
 */
export function decodeTableState(bytes: Uint8Array, limits: Readonly<LockTableLimits>): TableState {
  const steps = decodeTableStateSteps(bytes, limits, Number.POSITIVE_INFINITY);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/**
 * decodeTableState in steps: after the first lock that brings a step to `itemsPerStep` items (a
 * lock, a holder or a waiter each) it yields the step's count, so a caller can give the event
 * loop a turn; a step is at most `itemsPerStep - 1` plus one lock's items. Returns the state.
 */
export function* decodeTableStateSteps(
  bytes: Uint8Array,
  limits: Readonly<LockTableLimits>,
  itemsPerStep: number,
): Generator<number, TableState, void> {
  if (!(itemsPerStep >= 1)) throw new RangeError(`itemsPerStep must be >= 1: ${itemsPerStep}`);
  const reader = new BinaryReader(bytes, CONTEXT);
  const version = reader.u8();
  if (version < LOCK_SNAPSHOT_VERSION_OLDEST || version > LOCK_SNAPSHOT_VERSION) {
    throw reader.error(`unknown version ${version}`);
  }
  const state = createTableState(limits);
  state.appliedIndex = reader.u53();
  state.lastToken = reader.u53();
  const ctx: ReadContext = { state, tokens: [], owners: new StringInterner(), version };
  // Not reader.list(): it would also build an array of a million undefined results.
  const lockCount = reader.u32();
  if (lockCount * LOCK_BYTES_MIN > reader.remainingBytes) {
    throw reader.error(
      `list count ${lockCount} needs at least ${lockCount * LOCK_BYTES_MIN} bytes ` +
        `but only ${reader.remainingBytes} remain`,
    );
  }
  let items = 0;
  for (let lockIndex = 0; lockIndex < lockCount; lockIndex++) {
    items += readLock(reader, ctx);
    if (items >= itemsPerStep) {
      yield items;
      items = 0;
    }
  }
  if (items > 0) yield items;
  checkTokensUnique(reader, ctx.tokens);
  reader.expectEnd();
  return state;
}

/** What reading one lock needs besides the reader. */
interface ReadContext {
  state: TableState;
  /** Tokens seen so far; checked for duplicates at the end (a sort costs less than a Set). */
  tokens: number[];
  /**
   * Owners read so far: an owner holding many locks is kept as one string, not one per grant
   * (the heap and the GC work of a million fresh strings).
   */
  owners: StringInterner;
  version: number;
}

/** Reads one lock; returns its item count (the lock, its holders and its waiters). */
function readLock(reader: BinaryReader, ctx: ReadContext): number {
  const state = ctx.state;
  const name = readText(reader, "lock name", NAME_BYTES_MAX);
  const modeCode = reader.u8();
  const mode = modeOfCode(modeCode);
  if (mode === undefined) throw reader.error(`lock ${name} has unknown mode code ${modeCode}`);
  const lock = insertLock(state, name, mode);
  if (lock === null) throw reader.error(`lock ${name} listed twice`);
  const holderCount = reader.u32();
  if (holderCount === 0 || (mode === "exclusive" && holderCount > 1)) {
    throw reader.error(`lock ${name} is ${mode} with ${holderCount} holders`);
  }
  checkCount(reader, holderCount, HOLDER_BYTES_MIN);
  for (let holderIndex = 0; holderIndex < holderCount; holderIndex++) {
    readHolder(reader, ctx, lock);
  }
  const waiterCount = reader.u32();
  checkCount(reader, waiterCount, WAITER_BYTES_MIN);
  for (let waiterIndex = 0; waiterIndex < waiterCount; waiterIndex++) {
    readWaiter(reader, ctx, lock);
  }
  const head = lock.queue.head;
  if (head !== null && canGrantWaiter(lock, head)) {
    throw reader.error(`lock ${name} has a grantable waiter ${head.owner} at its head`);
  }
  return 1 + holderCount + waiterCount;
}

function readHolder(reader: BinaryReader, ctx: ReadContext, lock: LockEntry): void {
  const { state, tokens } = ctx;
  const owner = readOwner(reader, ctx, "holder owner");
  if (lock.holders.has(owner)) throw reader.error(`${owner} holds lock ${lock.name} twice`);
  const token = reader.u53();
  if (token < 1 || token > state.lastToken) {
    throw reader.error(`token ${token} is not in 1..${state.lastToken}`);
  }
  tokens.push(token);
  const ttlMs = readTtl(reader);
  const leaseIndex = ctx.version === 1 ? 0 : reader.u53();
  if (leaseIndex > state.appliedIndex) {
    throw reader.error(
      `lease index ${leaseIndex} of ${owner} exceeds applied ${state.appliedIndex}`,
    );
  }
  addHolder(state, lock, { owner, token, ttlMs, leaseIndex }, lock.mode);
}

function readWaiter(reader: BinaryReader, ctx: ReadContext, lock: LockEntry): void {
  const state = ctx.state;
  const owner = readOwner(reader, ctx, "waiter owner");
  if (lock.queue.get(owner) !== undefined) {
    throw reader.error(`${owner} waits for lock ${lock.name} twice`);
  }
  const modeCode = reader.u8();
  const mode = modeOfCode(modeCode);
  if (mode === undefined) throw reader.error(`waiter ${owner} has unknown mode code ${modeCode}`);
  const waiterId = reader.u53();
  const ttlMs = readTtl(reader);
  const tail = lock.queue.tail;
  if (lock.holders.has(owner)) {
    // An upgrade wait: exclusive, of a shared holder, behind only other upgrade waits.
    const first = tail === null || lock.holders.has(tail.owner);
    if (mode !== "exclusive" || lock.mode !== "shared" || !first) {
      throw reader.error(`holder ${owner} of lock ${lock.name} waits out of place`);
    }
  }
  parkWaiter(state, lock, { owner, mode, waiterId, ttlMs, prev: null, next: null }, tail);
}

function checkTokensUnique(reader: BinaryReader, tokens: number[]): void {
  const sorted = Float64Array.from(tokens).sort();
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) throw reader.error(`token ${sorted[i]} is reused`);
  }
}

function readText(reader: BinaryReader, field: string, bytesMax: number): string {
  const text = reader.u16String();
  const problem = textProblem(text, field, bytesMax);
  if (problem !== null) throw reader.error(problem.message);
  return text;
}

/** Reads an owner, as the string decoded before for the same bytes where the cache has it. */
function readOwner(reader: BinaryReader, ctx: ReadContext, field: string): string {
  const text = reader.u16String(ctx.owners);
  const problem = textProblem(text, field, OWNER_BYTES_MAX);
  if (problem !== null) throw reader.error(problem.message);
  return text;
}

function readTtl(reader: BinaryReader): number {
  const ttlMs = reader.u32();
  if (ttlMs < 1 || ttlMs > TTL_MS_MAX) {
    throw reader.error(`ttlMs ${ttlMs} is not an integer in 1..${TTL_MS_MAX}`);
  }
  return ttlMs;
}

function checkCount(reader: BinaryReader, count: number, itemBytesMin: number): void {
  if (count * itemBytesMin > reader.remainingBytes) {
    throw decodeError(CONTEXT, `count ${count} exceeds what ${reader.remainingBytes} bytes hold`);
  }
}
