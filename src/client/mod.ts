/**
 * The dsync client for Deno and Node: locks that keep their lease alive, queues with a consume()
 * loop, the cache. On the project's own RESP codec over `node:net` (see docs/clients.md).
 *
 * ```ts
 * const dsync = new DsyncClient({ endpoints: ["127.0.0.1:7001", "127.0.0.1:7002"] });
 * await dsync.withLock("invoices", async (lock) => {
 *   await writeInvoices({ fencingToken: lock.token, signal: lock.signal });
 * }, { ttlMs: 10_000 });
 * dsync.close();
 * ```
 */
export {
  ACQUIRE_WAIT_MS_MAX,
  DEFAULT_ENDPOINTS,
  DsyncClient,
  type DsyncClientOptions,
  LockNotAcquiredError,
  type LockOptions,
} from "./client.ts";
export { DsyncError, type DsyncErrorCode, DsyncUnavailableError } from "./errors.ts";
export { LeaseLostError, LockHandle, LockReleasedError } from "./lock_handle.ts";
export { type PopOptions, type PushOptions, QueueClient } from "./queue_client.ts";
export { QueueMessage } from "./queue_message.ts";
export {
  type ConsumeOptions,
  type ConsumerCounts,
  type MessageHandler,
  QueueConsumer,
} from "./queue_consumer.ts";
export { CacheClient, type SetOptions } from "./cache_client.ts";
export { UnexpectedReplyError } from "./replies.ts";
