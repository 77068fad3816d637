/** Raised for every failure to decode peer protocol bytes; the connection must then be closed. */
export class FrameError extends Error {
  /** Creates a frame error with a message like "Cannot decode frame: ...". */
  constructor(message: string) {
    super(message);
    this.name = "FrameError";
  }
}
