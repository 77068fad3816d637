/**
 * The Raft group a key lives in, as one node sees it: `CLUSTER GROUPS` lines are
 * `group-id purpose slot-or-dash members leader-id term commit-index` (leader `-` while none is
 * known). Failover tools kill the leader of the group their workload uses, not the meta leader.
 */
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import { withTimeout } from "./dsync_lock_client.ts";

/** Bound on each call the helpers make (a paused or cut-off node must not stall them). */
const CALL_TIMEOUT_MS = 1_000;

/** One node's view of a slot's group. */
export interface SlotGroupView {
  /** The leader's node id, or null while the node knows none. */
  leaderId: string | null;
  term: number;
}

/** The view of `slot`'s group in a `CLUSTER GROUPS` reply, or null if the node hosts no such group. */
export function parseSlotGroup(groupsText: string, slot: number): SlotGroupView | null {
  for (const line of groupsText.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] !== "slot" || fields[2] !== String(slot)) continue;
    const term = Number(fields[5]);
    if (fields[4] === undefined || !Number.isSafeInteger(term)) {
      throw new Error(`Cannot read CLUSTER GROUPS line: ${JSON.stringify(line)}`);
    }
    return { leaderId: fields[4] === "-" ? null : fields[4], term };
  }
  return null;
}

/** `CLUSTER KEYSLOT key` asked of the node on `port`. */
export async function keySlotOf(port: number, key: string): Promise<number> {
  const connection = await RespConnection.open("127.0.0.1", port);
  try {
    const reply = await withTimeout(
      connection.call(["CLUSTER", "KEYSLOT", key]),
      CALL_TIMEOUT_MS,
      () => connection.close(),
      "CLUSTER KEYSLOT",
    );
    if (reply.type !== "integer") throw new Error(`CLUSTER KEYSLOT answered ${replyText(reply)}`);
    return Number(reply.value);
  } finally {
    connection.close();
  }
}

/**
 * Makes `slot`'s group elect (groups elect on first use: a short `LOCK.ACQUIRE` of `warmKey`, a
 * lock name in that slot that nothing else uses), then waits until a node on `ports` names its
 * leader; the highest term wins. Throws after `timeoutMs`.
 */
export async function slotLeaderOf(
  ports: readonly number[],
  slot: number,
  warmKey: string,
  timeoutMs: number,
): Promise<SlotGroupView & { leaderId: string }> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    let best: (SlotGroupView & { leaderId: string }) | null = null;
    for (const port of ports) {
      const connection = await RespConnection.open("127.0.0.1", port).catch(() => null);
      if (connection === null) continue;
      const call = (args: string[]) =>
        withTimeout(connection.call(args), CALL_TIMEOUT_MS, () => connection.close(), args[0]!);
      try {
        await call(["LOCK.ACQUIRE", warmKey, "slot-probe", "TTL", "1000"]);
        const view = parseSlotGroup(replyText(await call(["CLUSTER", "GROUPS"])), slot);
        if (view?.leaderId != null && (best === null || view.term > best.term)) {
          best = { leaderId: view.leaderId, term: view.term };
        }
      } catch {
        // node starting or cut off: ask the others
      } finally {
        connection.close();
      }
    }
    if (best !== null) return best;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Slot ${slot} elected no leader within ${timeoutMs} ms`);
}
