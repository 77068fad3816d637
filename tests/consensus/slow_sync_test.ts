/**
 * A leader whose WAL sync takes much longer than an election timeout keeps its leadership: its
 * heartbeats (and its followers' answers) leave while the sync is in flight, not with the next
 * Ready, so a slow disk does not look like a dead leader.
 */
import assert from "node:assert/strict";
import type { RaftLogStore } from "../../src/storage/mod.ts";
import { interceptAppend, openHostTrio, TICK_MS } from "./host_trio.ts";

const ELECTION_TICKS = 10;
/** How long the leader's sync is held: ten election timeouts. */
const SLOW_SYNC_MS = 10 * ELECTION_TICKS * TICK_MS;

/** A group log whose appends, while `slow` is set, resolve only once it is cleared. */
function gatedLog(inner: RaftLogStore): { wal: RaftLogStore; gate: { slow: boolean } } {
  const gate = { slow: false };
  const waiting: Array<() => void> = [];
  const wal = interceptAppend(inner, async (target, batch) => {
    await target.append(batch);
    if (gate.slow) await new Promise<void>((resolve) => waiting.push(resolve));
  });
  const release = setInterval(() => {
    if (!gate.slow) { for (const resolve of waiting.splice(0)) resolve(); }
  }, TICK_MS);
  Deno.unrefTimer(release);
  return { wal, gate };
}

Deno.test("a leader whose log sync takes ten election timeouts keeps its term and leadership", async () => {
  const gates = new Map<string, { slow: boolean }>();
  const trio = await openHostTrio({
    seed: 5,
    electionTicks: ELECTION_TICKS,
    wal: (id, inner) => {
      const { wal, gate } = gatedLog(inner);
      gates.set(id, gate);
      return wal;
    },
  });
  try {
    const [leaderId, leader] = await trio.leader();
    await leader.propose(Uint8Array.of(1));
    const term = leader.status().term;

    gates.get(leaderId)!.slow = true;
    const proposal = leader.propose(Uint8Array.of(2));
    await new Promise((resolve) => setTimeout(resolve, SLOW_SYNC_MS));
    const terms = [...trio.hosts.values()].map((host) => host.status().term);
    const leaders = [...trio.hosts.values()].map((host) => host.status().leaderId);
    gates.get(leaderId)!.slow = false;
    await proposal;

    assert.deepEqual(terms, [term, term, term], "no election while the leader's sync was slow");
    assert.deepEqual(leaders, [leaderId, leaderId, leaderId]);
    assert.ok(leader.leading);
  } finally {
    await trio.close();
  }
});
