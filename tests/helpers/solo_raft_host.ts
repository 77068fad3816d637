import { SeededRandom } from "../../src/raft/mod.ts";
import type { Logger } from "../../src/log/logger.ts";
import {
  RaftHost,
  type RaftHostOptions,
  type ReplicatedStateMachine,
} from "../../src/consensus/raft_host.ts";
import { openSingleGroup, type SingleGroupLog } from "../storage/helpers.ts";

/** A RaftHost and the log it runs on; the caller closes both. */
export interface SoloRaftHost<R> {
  wal: SingleGroupLog;
  host: RaftHost<R>;
}

/**
 * Opens RaftHost n1 of group 1, the sole voter, on a single-group log in `dir`: messages are
 * dropped, a quorum is always reachable, seed 1; `overrides` replace any of these options.
 */
export async function openSoloRaftHost<R>(
  dir: string,
  machine: ReplicatedStateMachine<R>,
  logger: Logger,
  overrides: Partial<RaftHostOptions<R>> = {},
): Promise<SoloRaftHost<R>> {
  const wal = await openSingleGroup(dir, { clusterId: "c", nodeId: "n1", log: logger });
  const host = await RaftHost.open<R>({
    nodeId: "n1",
    groupId: 1,
    bootstrap: { voters: ["n1"], learners: [] },
    wal,
    machine,
    send: () => true,
    quorumReachable: () => true,
    logger,
    random: new SeededRandom(1).fn(),
    snapshotEntriesMax: 1_000,
    requestTimeoutMs: 30_000,
    ...overrides,
  });
  return { wal, host };
}
