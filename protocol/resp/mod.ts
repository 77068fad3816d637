/**
 * RESP2 + RESP3 codec (the Redis protocol) for the dsync client port: a zero-copy request
 * decoder, a reply decoder for tools and tests, and a reusable reply writer.
 *
 * ```ts
 * const decoder = new RespRequestDecoder();
 * const writer = new RespWriter();
 * const region = decoder.writable();
 * decoder.commit((await conn.read(region)) ?? 0);
 * for (let args = decoder.next(); args !== undefined; args = decoder.next()) {
 *   writer.simple("PONG"); // args are views: valid until the next writable()/push()
 * }
 * // ...write all of writer.bytes() to the connection, then:
 * writer.reset();
 * ```
 *
 * On RespProtocolError reply `-ERR <message>` and close; on RespLimitError `-LIMIT <message>`.
 *
 * @module
 */

export { DEFAULT_RESP_LIMITS, type RespLimits } from "./limits.ts";
export { RespLimitError, RespProtocolError } from "./errors.ts";
export { RespRequestDecoder } from "./request_decoder.ts";
export { RespReplyDecoder, type RespValue } from "./reply_decoder.ts";
export { encodeCommand, encodeValue, type RespVersion, RespWriter } from "./writer.ts";
