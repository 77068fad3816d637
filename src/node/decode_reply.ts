import { RespReplyDecoder, type RespValue } from "../../protocol/resp/mod.ts";
import { ClusterError } from "../consensus/cluster_error.ts";

/** Replies up to this size reuse one decoder (and its buffer); larger ones get their own. */
const SHARED_REPLY_BYTES_MAX = 64 * 1024;

let shared = new RespReplyDecoder();

/**
 * Decodes one complete RESP2 reply (a routed command's captured answer) so it can be re-encoded in
 * the client's protocol. Every forwarded or internal call decodes one, so small replies share a
 * decoder instead of allocating one with its buffer each time. That is safe because the decoder
 * copies what it is pushed and returns copies, and a decoder left with bytes or a failure is
 * replaced. Throws `-ERR` on a truncated reply.
 */
export function decodeReply(bytes: Uint8Array): RespValue {
  const decoder = bytes.length <= SHARED_REPLY_BYTES_MAX ? shared : new RespReplyDecoder();
  let value: RespValue | undefined;
  try {
    decoder.push(bytes);
    value = decoder.next();
  } finally {
    if (decoder === shared && (value === undefined || decoder.bufferedByteCount !== 0)) {
      shared = new RespReplyDecoder();
    }
  }
  if (value === undefined) throw new ClusterError("ERR", "truncated reply from the leader");
  return value;
}
