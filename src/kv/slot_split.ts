import type { KvAnswer } from "./answers.ts";
import type { KvRequest } from "./arguments.ts";
import type { KvPair } from "./types.ts";

/** One slot's share of a request: the sub-request for that slot and where its items came from. */
export interface SlotShare {
  slot: number;
  /** The same command with only this slot's keys (or pairs), in their original order. */
  request: KvRequest;
  /** Position in the original request of each of the share's keys (or pairs). */
  positions: number[];
}

/**
 * Splits a request by the slot of each key, shares in order of first appearance; a single-key
 * request (or one whose keys share a slot) is one share. Nothing is atomic across shares.
 */
export function splitBySlot(
  request: KvRequest,
  slotOf: (key: Uint8Array) => number,
): SlotShare[] {
  switch (request.command) {
    case "get":
    case "set":
    case "pttl":
      return [{ slot: slotOf(request.key), request, positions: [0] }];
    case "del":
    case "exists":
    case "mget": {
      const command = request.command;
      return group(request.keys, slotOf, (key) => key).map(({ slot, items, positions }) => ({
        slot,
        request: { command, keys: items },
        positions,
      }));
    }
    case "mset":
      return group(request.pairs, slotOf, (pair: KvPair) => pair.key).map((share) => ({
        slot: share.slot,
        request: { command: "mset", pairs: share.items },
        positions: share.positions,
      }));
  }
}

function group<T>(
  items: readonly T[],
  slotOf: (key: Uint8Array) => number,
  keyOf: (item: T) => Uint8Array,
): { slot: number; items: T[]; positions: number[] }[] {
  const bySlot = new Map<number, { slot: number; items: T[]; positions: number[] }>();
  items.forEach((item, position) => {
    const slot = slotOf(keyOf(item));
    let share = bySlot.get(slot);
    if (share === undefined) {
      share = { slot, items: [], positions: [] };
      bySlot.set(slot, share);
    }
    share.items.push(item);
    share.positions.push(position);
  });
  return [...bySlot.values()];
}

/**
 * Combines the answers of the shares (same order as `shares`) into the answer to `request`:
 * MGET values back in request order, DEL/EXISTS counts summed, MSET `ok`. The first error of any
 * share is the answer; the shares that succeeded stay applied (not atomic across slots).
 */
export function gatherAnswers(
  request: KvRequest,
  shares: readonly SlotShare[],
  answers: readonly KvAnswer[],
): KvAnswer {
  if (answers.length !== shares.length) {
    throw new RangeError(`Cannot gather ${answers.length} answers for ${shares.length} shares`);
  }
  const error = answers.find((answer) => answer.kind === "error");
  if (error !== undefined) return error;
  if (shares.length === 1) return answers[0]!;
  switch (request.command) {
    case "mget":
      return gatherValues(request.keys.length, shares, answers);
    case "del":
    case "exists": {
      let sum = 0;
      for (const answer of answers) sum += integerOf(answer);
      return { kind: "integer", value: sum };
    }
    case "mset":
      return { kind: "ok" };
    default:
      throw new RangeError(`Cannot gather ${shares.length} shares of ${request.command}`);
  }
}

function gatherValues(
  count: number,
  shares: readonly SlotShare[],
  answers: readonly KvAnswer[],
): KvAnswer {
  const values = new Array<Uint8Array | null>(count).fill(null);
  shares.forEach((share, shareIndex) => {
    const answer = answers[shareIndex]!;
    if (answer.kind !== "array" || answer.values.length !== share.positions.length) {
      throw new RangeError(
        `Cannot gather share ${shareIndex}: not ${share.positions.length} values`,
      );
    }
    share.positions.forEach((position, i) => (values[position] = answer.values[i]!));
  });
  return { kind: "array", values };
}

function integerOf(answer: KvAnswer): number {
  if (answer.kind !== "integer") throw new RangeError(`Cannot gather a ${answer.kind} as a count`);
  return answer.value;
}
