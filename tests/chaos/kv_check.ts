/**
 * Checks recorded GET/SET/DEL commands for linearizability per key with the register model. A
 * history records `SET k v` as op `SET` with args `["k", "v"]`, `GET k` and `DEL k` likewise; the
 * reply as JSON (`"OK"`, a string or null, an integer). Replies are validated, never asserted.
 */
import type { HistoryOperation, JsonValue } from "./history.ts";
import {
  checkLinearizability,
  describeVerdict,
  type LinearizabilityOptions,
  type LinearizabilityVerdict,
} from "./linearizability.ts";
import { deadlineFinder } from "./lock_call.ts";
import { KV_MODEL, type KvInput, type KvOutput } from "./kv_model.ts";
import type { ModelOperation } from "./model.ts";

/** A key-value operation in the form the checker takes. */
export type KvOperation = ModelOperation<KvInput, KvOutput>;

/** Options of `kvOperations`. */
export interface KvOperationsOptions {
  /**
   * Assume an unknown write took effect within this many ms of its invocation, or never.
   * Default Infinity: no assumption (sound).
   */
  readonly unknownEffectWindowMs?: number;
}

/** Per key: operations handed to the checker and how many of them had an unknown outcome. */
export interface KvKeyCounts {
  /** The key. */
  readonly key: string;
  /** Operations checked (definitely failed ones and unknown reads are left out). */
  readonly opCount: number;
  /** Writes (SET, DEL) with an unknown outcome. */
  readonly unknownCount: number;
}

/** The verdict of a key-value history, with its text. */
export interface KvCheckResult {
  /** The verdict. */
  readonly verdict: LinearizabilityVerdict<KvInput, KvOutput>;
  /** Per key counts, sorted by key. */
  readonly keys: readonly KvKeyCounts[];
  /** Per key counts and `describeVerdict` of the verdict. */
  readonly text: string;
}

const KV_COMMANDS = new Set(["GET", "SET", "DEL"]);

/** True for an op the key-value checker reads. */
export function isKvOp(op: HistoryOperation): boolean {
  return KV_COMMANDS.has(op.op.toUpperCase());
}

/** Parses one recorded command into the model's input. */
export function parseKvInput(name: string, args: readonly JsonValue[]): KvInput {
  const command = name.toUpperCase();
  if (!args.every((arg): arg is string => typeof arg === "string")) {
    throw new TypeError(`Cannot parse ${command}: arguments must be strings`);
  }
  const expected = command === "SET" ? 2 : 1;
  if (args.length !== expected) {
    throw new TypeError(`Cannot parse ${command}: expected ${expected} arguments (no options)`);
  }
  const key = args[0]!;
  if (command === "SET") return { kind: "set", key, value: args[1]! };
  if (command === "GET") return { kind: "get", key };
  if (command === "DEL") return { kind: "del", key };
  throw new TypeError(`Cannot parse ${command}: not GET, SET or DEL`);
}

function parseKvOutput(input: KvInput, result: JsonValue, opIndex: number): KvOutput {
  const fits = input.kind === "get"
    ? result === null || typeof result === "string"
    : input.kind === "set"
    ? result === "OK"
    : result === 0 || result === 1;
  if (!fits) {
    throw new TypeError(
      `Cannot check op #${opIndex}: ${input.kind} answered ${JSON.stringify(result)}`,
    );
  }
  return result as KvOutput;
}

/**
 * The key-value operations of a history: other ops are skipped, definitely failed ones dropped,
 * and reads with an unknown outcome dropped (a read changes nothing). Real-time order is the event
 * index.
 */
export function kvOperations(
  ops: readonly HistoryOperation[],
  options: KvOperationsOptions = {},
): KvOperation[] {
  const windowMs = options.unknownEffectWindowMs ?? Number.POSITIVE_INFINITY;
  if (!(windowMs >= 0)) {
    throw new RangeError(`Cannot check: unknownEffectWindowMs ${windowMs} is not a duration`);
  }
  const deadlineOrder = windowMs === Number.POSITIVE_INFINITY
    ? () => Number.POSITIVE_INFINITY
    : deadlineFinder(ops);
  const result: KvOperation[] = [];
  for (const op of ops) {
    if (!isKvOp(op) || op.outcome === "fail") continue;
    const input = parseKvInput(op.op, op.args);
    const known = op.outcome === "ok" && op.completeIndex !== null;
    if (!known && input.kind === "get") continue;
    result.push({
      id: op.opIndex,
      process: op.process,
      input,
      outcome: known
        ? { kind: "ok", output: parseKvOutput(input, op.result, op.opIndex) }
        : { kind: "unknown" },
      invokeOrder: op.invokeIndex,
      completeOrder: known ? op.completeIndex as number : deadlineOrder(op, op.invokeMs + windowMs),
    });
  }
  return result;
}

/** Checks the GET/SET/DEL operations of a history against the register model, per key. */
export function checkKvHistory(
  ops: readonly HistoryOperation[],
  options: LinearizabilityOptions & KvOperationsOptions = {},
): KvCheckResult {
  const kvOps = kvOperations(ops, options);
  const byKey = new Map<string, { opCount: number; unknownCount: number }>();
  for (const op of kvOps) {
    const counts = byKey.get(op.input.key) ?? { opCount: 0, unknownCount: 0 };
    counts.opCount++;
    if (op.outcome.kind === "unknown") counts.unknownCount++;
    byKey.set(op.input.key, counts);
  }
  const keys = [...byKey].map(([key, c]) => ({ key, ...c }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const verdict = checkLinearizability(KV_MODEL, kvOps, options);
  const unknownTotal = keys.reduce((sum, k) => sum + k.unknownCount, 0);
  const text = [
    `keys: ${keys.length}, operations checked: ${kvOps.length}, unknown writes: ${unknownTotal}`,
    ...keys.map((k) => `  ${k.key}: ${k.opCount} ops, ${k.unknownCount} unknown`),
    `linearizable: ${verdict.valid}`,
    describeVerdict(KV_MODEL, verdict),
  ].join("\n");
  return { verdict, keys, text };
}
