/**
 * Read ids (the `context` of a ReadIndex request) that differ across restarts of a node.
 *
 * A follower's read is confirmed by a readIndexResponse that the leader sends to the node id, so
 * a response to a read of the process before a restart can reach the restarted process. Were ids
 * to restart at 1, it would complete a new read at the older read index: a stale read. So each
 * RaftHost starts its ids at a random point of [0, 2^52) and counts up (wrapping after 2^53 - 1).
 * A stale response then matches a new read only if the new process's ids, counted from its own
 * random start, reached an id the old one had pending: with n reads since the restart, about
 * n / 2^52. The Raft core only carries the id; the randomness stays here, at the edge.
 */

/** Largest read id; the next one is 0 (read ids travel as u53). */
export const READ_ID_MAX = Number.MAX_SAFE_INTEGER;

/** A random first read id in [0, 2^52), from the platform's cryptographic source. */
export function randomReadIdStart(): number {
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return (high! >>> 12) * 2 ** 32 + low!;
}

/** The id after `id`. */
export function nextReadId(id: number): number {
  return id === READ_ID_MAX ? 0 : id + 1;
}
