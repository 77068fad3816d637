/** Thrown when a programmer belief stated with assert() turns out false: a bug, not bad input. */
export class RespAssertionError extends Error {
  /** `message` names the broken belief. */
  constructor(message: string) {
    super(message);
    this.name = "RespAssertionError";
  }
}

/** Throws RespAssertionError when `condition` is false. Never used to validate outside input. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new RespAssertionError(`Assertion failed: ${message}`);
}
