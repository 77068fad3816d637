/**
 * Extra Raft groups hosted for benchmarks only (`--debug-groups N`): each replicates nothing
 * useful, but elects, heartbeats (or goes quiet) and fails over like a real group, so a tool can
 * measure what many groups cost a node. Not part of the client contract.
 */
import { RaftHost, type ReplicatedStateMachine } from "../consensus/raft_host.ts";
import type { RaftGroups } from "../consensus/raft_groups.ts";
import type { RaftOutbox } from "../consensus/raft_outbox.ts";
import type { Logger } from "../log/logger.ts";
import { SeededRandom } from "../raft/mod.ts";
import type { NodeLog } from "../storage/mod.ts";
import type { NodeConfig } from "../config/node_config.ts";

/** Debug group ids start here (far from the meta group's 0 and any real group). */
export const DEBUG_GROUP_ID_BASE = 1_000_000;
/** Groups opened at once while starting. */
const OPEN_CONCURRENCY = 16;

/** A state machine that only counts applied entries. */
class NullMachine implements ReplicatedStateMachine {
  applied = 0;
  apply(): string | null {
    this.applied++;
    return null;
  }
  skip(): void {}
  snapshot(): Uint8Array {
    return new Uint8Array(0);
  }
  restore(): void {}
}

/** Debug groups of one node. */
export interface DebugGroups {
  /** Hosts by group id. */
  hosts: Map<number, RaftHost>;
}

/**
 * Opens `config.debugGroups` groups (voters: the first three --peers ids), each writing through
 * the node's one log like every group, and registers each as it opens; `result` fills in as they
 * do (the node starts them in the background).
 */
export async function openDebugGroups(
  config: NodeConfig,
  raft: { groups: RaftGroups; outbox: RaftOutbox; log: NodeLog },
  quorumReachable: () => boolean,
  logger: Logger,
  result: DebugGroups,
): Promise<void> {
  const count = config.debugGroups;
  if (count === 0) return;
  if (config.peers === null) throw new RangeError("--debug-groups needs --peers");
  const voters = [...config.peers.keys()].sort().slice(0, 3);
  if (!voters.includes(config.id)) return;
  const quiet = logger.with({ component: "debug-groups" });
  const openOne = async (groupId: number) => {
    const wal = raft.log.group(groupId);
    const host = await RaftHost.open({
      nodeId: config.id,
      groupId,
      bootstrap: { voters, learners: [] },
      wal,
      machine: new NullMachine(),
      send: (message) => raft.outbox.enqueue(message),
      quorumReachable,
      diskFull: () => raft.log.diskFull,
      logger: quiet,
      random: new SeededRandom(groupId * 31 + config.id.length).fn(),
      raft: {
        electionTimeoutTicks: config.electionTicks,
        heartbeatTimeoutTicks: 1,
        quiesceAfterTicks: config.quiesceAfterTicks,
      },
      snapshotEntriesMax: 10_000,
      requestTimeoutMs: config.requestTimeoutMs,
    });
    raft.groups.add(groupId, host);
    result.hosts.set(groupId, host);
  };
  for (let first = 0; first < count; first += OPEN_CONCURRENCY) {
    const batch: Promise<void>[] = [];
    for (let i = first; i < Math.min(count, first + OPEN_CONCURRENCY); i++) {
      batch.push(openOne(DEBUG_GROUP_ID_BASE + i));
    }
    await Promise.all(batch);
  }
}
