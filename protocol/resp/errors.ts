/** Malformed input: the connection must reply `-ERR <message>` and close. */
export class RespProtocolError extends Error {
  /** `detail` is the text after the `Protocol error: ` prefix. */
  constructor(detail: string) {
    super(`Protocol error: ${detail}`);
    this.name = "RespProtocolError";
  }
}

/** A configured limit was exceeded: connection replies `-LIMIT <message>` and closes. */
export class RespLimitError extends Error {
  /** `message` is the complete text, e.g. `command has 2000 arguments, maximum is 1024`. */
  constructor(message: string) {
    super(message);
    this.name = "RespLimitError";
  }
}
