/** Thrown when a programmer's belief about the code's own state turns out false: a bug. */
export class AssertionError extends Error {
  override name = "AssertionError";
}

/** Crashes loudly when `condition` is false. Never use it to validate outside input. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(`Assertion failed: ${message}`);
}

/**
 * Crashes loudly, like a false assert(); for hot paths, where building assert()'s message on
 * every call (a template string) would cost an allocation: `if (bad) assertionFailed(...)`.
 */
export function assertionFailed(message: string): never {
  throw new AssertionError(`Assertion failed: ${message}`);
}
