/**
 * The etcd counterpart of `lock_failover_trial.ts`: a fresh 3-member etcd on 127.0.0.1, kill -9 of
 * its leader, then (b) election: a survivor reports a leader other than the killed member, and
 * (c) the first lock+unlock cycle (etcd's lock API, one lease per client opened before the kill)
 * completed through a survivor. etcd has no member-down view to poll, so no detection time.
 */
import { startEtcdCluster, stopEtcdCluster } from "./etcd_cluster.ts";
import { EtcdLockClient } from "./etcd_lock_client.ts";

/** One etcd trial's times in ms after the SIGKILL. */
export interface EtcdFailoverTrial {
  electedMs: number;
  grantedMs: number;
}

const POLL_MS = 5;
const TRIAL_TIMEOUT_MS = 20_000;
/** Bound on one status request or lock attempt. */
const CALL_TIMEOUT_MS = 300;

interface MemberStatus {
  memberId: string;
  leaderId: string;
}

async function memberStatus(clientUrl: string): Promise<MemberStatus> {
  const response = await fetch(`${clientUrl}/v3/maintenance/status`, {
    method: "POST",
    body: "{}",
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  const status = await response.json() as { header?: { member_id?: string }; leader?: string };
  return { memberId: status.header?.member_id ?? "", leaderId: status.leader ?? "" };
}

/** Polls `probe` until one call returns true; ms since t0. */
async function firstTrue(
  probes: Array<() => Promise<boolean>>,
  t0: number,
  what: string,
): Promise<number> {
  let doneMs = -1;
  await Promise.all(probes.map(async (probe) => {
    while (doneMs < 0 && performance.now() - t0 < TRIAL_TIMEOUT_MS) {
      const hit = await probe().catch(() => false);
      if (hit && doneMs < 0) doneMs = performance.now() - t0;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }));
  if (doneMs < 0) throw new Error(`etcd: no ${what} within ${TRIAL_TIMEOUT_MS} ms`);
  return doneMs;
}

/** Runs etcd trial number `index` on a cluster it starts and stops (by PID). */
export async function etcdFailoverTrial(index: number): Promise<EtcdFailoverTrial> {
  const cluster = await startEtcdCluster(3);
  const clients: EtcdLockClient[] = [];
  try {
    const statuses = await Promise.all(cluster.members.map((m) => memberStatus(m.clientUrl)));
    const leaderIndex = statuses.findIndex((s) => s.leaderId !== "" && s.leaderId === s.memberId);
    if (leaderIndex < 0) throw new Error("etcd: no member reports itself as leader");
    const oldLeaderId = statuses[leaderIndex]!.memberId;
    const survivors = cluster.members.filter((_, i) => i !== leaderIndex);
    for (const member of survivors) {
      clients.push(
        await EtcdLockClient.open(member.clientUrl, {
          leaseTtlSeconds: 60,
          waitMs: CALL_TIMEOUT_MS,
          requestTimeoutMs: CALL_TIMEOUT_MS,
        }),
      );
    }
    const t0 = performance.now();
    cluster.members[leaderIndex]!.process.kill("SIGKILL");
    const [electedMs, grantedMs] = await Promise.all([
      firstTrue(
        survivors.map((member) => async () => {
          const status = await memberStatus(member.clientUrl);
          return status.leaderId !== "" && status.leaderId !== "0" &&
            status.leaderId !== oldLeaderId;
        }),
        t0,
        "new leader",
      ),
      firstTrue(
        clients.map((client) => async () => (await client.cycle(`failover-${index}`)) === "done"),
        t0,
        "lock granted",
      ),
    ]);
    return { electedMs, grantedMs };
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await stopEtcdCluster(cluster);
  }
}
