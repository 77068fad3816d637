/**
 * Three production RaftHosts of one group (id 1) on simulated disks, messages delivered through
 * timers and ticked every TICK_MS: the harness of the host tests that hold or count log writes.
 */
import { type Message, SeededRandom } from "../../src/raft/mod.ts";
import { NodeLog, type RaftLogStore } from "../../src/storage/mod.ts";
import { Logger } from "../../src/log/logger.ts";
import { RaftHost, type ReplicatedStateMachine } from "../../src/consensus/raft_host.ts";
import { SimFileSystem } from "../storage/sim_file_system.ts";
import { eventually } from "../helpers/node_harness.ts";

/** Milliseconds between ticks of every host. */
export const TICK_MS = 10;
/** The three members. */
export const TRIO_IDS = ["n1", "n2", "n3"];

/** A state machine that counts the entries it applied (its snapshot is the count). */
export class CountingMachine implements ReplicatedStateMachine {
  applied = 0;
  apply(): string | null {
    this.applied++;
    return null;
  }
  skip(): void {}
  snapshot(): Uint8Array {
    return Uint8Array.of(this.applied);
  }
  restore(image: Uint8Array): void {
    this.applied = image[0] ?? 0;
  }
}

/** `inner` with its `append` replaced by `append(inner, batch)`; every other member is inner's. */
export function interceptAppend(
  inner: RaftLogStore,
  append: (target: RaftLogStore, batch: Parameters<RaftLogStore["append"]>[0]) => Promise<void>,
): RaftLogStore {
  return new Proxy(inner, {
    get(target, property) {
      if (property === "append") {
        return (batch: Parameters<RaftLogStore["append"]>[0]) => append(target, batch);
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** How the trio is built. */
export interface TrioOptions {
  /** Seeds of the hosts' randomness: seed, seed + 1, seed + 2. */
  seed: number;
  electionTicks: number;
  /** The log a host writes through (default: its node log's group 1 as is). */
  wal?: (id: string, inner: RaftLogStore) => RaftLogStore;
}

/** A running trio. */
export interface HostTrio {
  hosts: Map<string, RaftHost>;
  logs: Map<string, NodeLog>;
  machines: Map<string, CountingMachine>;
  /** Waits (bounded) until a host leads; its id and host. */
  leader(): Promise<[string, RaftHost]>;
  /** Closes every host and opens it again on its log (unwrapped), with fresh machines. */
  restart(seed: number): Promise<void>;
  /** Stops the ticks, closes the hosts and the logs. */
  close(): Promise<void>;
}

/** Opens and starts ticking three hosts. */
export async function openHostTrio(options: TrioOptions): Promise<HostTrio> {
  const logger = new Logger({ level: "error", format: "text", sink: () => {} });
  const hosts = new Map<string, RaftHost>();
  const logs = new Map<string, NodeLog>();
  const machines = new Map<string, CountingMachine>();
  const send = (message: Message) => {
    setTimeout(() => hosts.get(message.to)?.receive(message), 0);
    return true;
  };
  const openHosts = async (seed: number, walOf: (id: string) => RaftLogStore) => {
    for (const [n, id] of TRIO_IDS.entries()) {
      const machine = new CountingMachine();
      machines.set(id, machine);
      hosts.set(
        id,
        await RaftHost.open({
          nodeId: id,
          groupId: 1,
          bootstrap: { voters: TRIO_IDS, learners: [] },
          wal: walOf(id),
          machine,
          send,
          quorumReachable: () => true,
          logger,
          random: new SeededRandom(seed + n).fn(),
          raft: {
            electionTimeoutTicks: options.electionTicks,
            heartbeatTimeoutTicks: 1,
            quiesceAfterTicks: 0,
          },
          snapshotEntriesMax: 1_000,
          requestTimeoutMs: 30_000,
        }),
      );
    }
  };
  for (const id of TRIO_IDS) {
    const fs = new SimFileSystem();
    await fs.mkdir("/data");
    logs.set(
      id,
      await NodeLog.open("/data/raft", { clusterId: "c", nodeId: id, log: logger, fileSystem: fs }),
    );
  }
  const wrap = options.wal ?? ((_id: string, inner: RaftLogStore) => inner);
  await openHosts(options.seed, (id) => wrap(id, logs.get(id)!.group(1)));
  const tick = () => {
    for (const host of hosts.values()) host.tick();
  };
  let ticker = setInterval(tick, TICK_MS);
  const closeHosts = () => {
    clearInterval(ticker);
    for (const host of hosts.values()) host.close();
  };
  return {
    hosts,
    logs,
    machines,
    async leader() {
      await eventually("a leader", () => [...hosts.values()].some((h) => h.leading), 5_000, 5);
      return [...hosts].find(([, host]) => host.leading)!;
    },
    async restart(seed: number) {
      closeHosts();
      await openHosts(seed, (id) => logs.get(id)!.group(1));
      ticker = setInterval(tick, TICK_MS);
    },
    async close() {
      closeHosts();
      for (const log of logs.values()) await log.close();
    },
  };
}
