import fc from "fast-check";

/** Member ids as an operator might choose them: any 1-12 characters, distinct. */
export function memberIdsArbitrary(count: number): fc.Arbitrary<string[]> {
  return fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), {
    minLength: count,
    maxLength: count,
  });
}

/** The member counts the placement bounds are stated for. */
export const MEMBER_COUNTS: readonly number[] = [3, 4, 5, 6, 7, 8, 9];

/** A permutation of `items` driven by fast-check (`keys` are sort keys, one per item). */
export function permute<T>(items: readonly T[], keys: readonly number[]): T[] {
  return items.map((item, index) => ({ item, key: keys[index] ?? 0, index }))
    .sort((a, b) => a.key - b.key || a.index - b.index)
    .map(({ item }) => item);
}
