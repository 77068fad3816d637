import { DecodeError } from "../binary/mod.ts";

/**
 * Raised for a frame-level failure to decode peer protocol bytes (length, version, message type,
 * an undrained decoder); a malformed body raises the DecodeError it extends. Either way the
 * connection must then be closed.
 */
export class FrameError extends DecodeError {
  /** Creates a frame error with a message like "Cannot decode frame: ...". */
  constructor(message: string) {
    super(message);
    this.name = "FrameError";
  }
}
