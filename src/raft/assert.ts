/** Throws when a programmer belief about Raft state does not hold; never used for outside input. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`Raft invariant violated: ${message}`);
}
