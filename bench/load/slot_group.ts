/**
 * Raft groups as one node sees them: `CLUSTER GROUPS` lines are
 * `group-id purpose slot-or-dash members leader-id term commit-index` (leader `-` while none is
 * known). Locks live in the meta group (id 0); a key-value key lives in its slot's group
 * (id 1000 + slot), which elects on first use.
 */
import { replyText, RespConnection } from "../../src/client/resp_connection.ts";
import { parseClusterGroups } from "../../src/client/cluster_groups.ts";
import { withTimeout } from "./dsync_lock_client.ts";

/** Bound on each call the helpers make (a paused or cut-off node must not stall them). */
const CALL_TIMEOUT_MS = 1_000;

/** Id of the meta group (membership, placement, locks). */
export const META_GROUP_ID = 0;
/** Id of slot `slot`'s group. */
export function slotGroupId(slot: number): number {
  return 1000 + slot;
}

/** One node's view of a group. */
export interface SlotGroupView {
  /** The leader's node id, or null while the node knows none. */
  leaderId: string | null;
  term: number;
}

/** The view of group `groupId` in a `CLUSTER GROUPS` reply, or null if the node hosts no such group. */
export function parseGroup(groupsText: string, groupId: number): SlotGroupView | null {
  const group = parseClusterGroups(groupsText).find((each) => each.groupId === groupId);
  return group === undefined ? null : { leaderId: group.leaderId, term: group.term };
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
 * Makes `slot`'s group elect (slot groups elect on first use: a `SET` of `warmKey`, a key in that
 * slot that nothing else uses), then waits until a node on `ports` names its leader; the highest
 * term wins. Throws after `timeoutMs`.
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
        await call(["SET", warmKey, "warm"]);
        const view = parseGroup(replyText(await call(["CLUSTER", "GROUPS"])), slotGroupId(slot));
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
