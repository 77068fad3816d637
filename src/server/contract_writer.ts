import { RespWriter } from "../../protocol/resp/mod.ts";
import { hasContractCode, internalErrorLine } from "../commands/replies.ts";

/**
 * The writer of a client's replies, and the last guard before its socket: an error line whose
 * code is not one of the contract's (a bug upstream) goes out as `ERR internal error: <line>`
 * and is reported, so no path can hand a client a foreign code.
 */
export class ContractRespWriter extends RespWriter {
  readonly #onForeignCode: (line: string) => void;

  /** `onForeignCode` hears each rewritten line (to log it). */
  constructor(initialBytes: number, onForeignCode: (line: string) => void) {
    super(initialBytes);
    this.#onForeignCode = onForeignCode;
  }

  override error(text: string): void {
    if (hasContractCode(text)) return super.error(text);
    this.#onForeignCode(text);
    super.error(internalErrorLine(text));
  }
}
