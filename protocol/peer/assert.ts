/** Throws if a programmer belief does not hold; never used to validate outside input. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`Assertion failed: ${message}`);
}
