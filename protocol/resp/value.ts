/**
 * One decoded RESP2/RESP3 reply. `attribute` (RESP3 `|`) is delivered as its own value before
 * the reply it annotates when it appears at top level; see RespReplyDecoder for nested ones.
 */
export type RespValue =
  | { type: "simple"; value: string }
  | { type: "error"; value: string }
  | { type: "integer"; value: number }
  | { type: "bulk"; value: Uint8Array }
  | { type: "null" }
  | { type: "array"; value: RespValue[] }
  | { type: "boolean"; value: boolean }
  | { type: "double"; value: number }
  | { type: "bignum"; value: bigint }
  | { type: "verbatim"; format: string; value: Uint8Array }
  | { type: "blobError"; value: string }
  | { type: "map"; value: Array<[RespValue, RespValue]> }
  | { type: "set"; value: RespValue[] }
  | { type: "attribute"; value: Array<[RespValue, RespValue]> }
  | { type: "push"; value: RespValue[] };

/** Pairs up a flat key, value, key, value list (its length must be even). */
export function pairUp(items: RespValue[]): Array<[RespValue, RespValue]> {
  const pairs = new Array<[RespValue, RespValue]>(items.length >> 1);
  for (let i = 0; i < pairs.length; i++) {
    pairs[i] = [items[2 * i] as RespValue, items[2 * i + 1] as RespValue];
  }
  return pairs;
}
