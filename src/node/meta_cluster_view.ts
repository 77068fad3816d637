import type { ClusterInfoView, ClusterMemberView, ClusterView } from "../commands/node_services.ts";
import type { NodeConfig } from "../config/node_config.ts";
import type { PeerTransport } from "../peer/peer_transport.ts";
import { ClusterError } from "../consensus/cluster_error.ts";
import { memberProblem } from "../meta/member_arguments.ts";
import type { MetaGroup } from "../meta/meta_group.ts";

/** The cluster as the meta Raft group sees it; membership changes run on the leader. */
export class MetaClusterView implements ClusterView {
  readonly #config: NodeConfig;
  readonly #meta: MetaGroup;
  readonly #transport: PeerTransport;

  constructor(
    config: NodeConfig,
    meta: MetaGroup,
    transport: PeerTransport,
  ) {
    this.#config = config;
    this.#meta = meta;
    this.#transport = transport;
  }

  info(): ClusterInfoView {
    const status = this.#meta.status();
    const members = this.members();
    return {
      nodeId: this.#config.id,
      clusterId: this.#config.clusterId,
      role: roleName(status.role),
      term: status.term,
      leaderId: status.leaderId ?? "",
      commitIndex: status.commitIndex,
      appliedIndex: status.appliedIndex,
      memberCount: members.length,
      healthyMemberCount: members.filter((member) => member.state === "up").length,
      registeredMemberCount: this.#meta.state.registeredCount(),
    };
  }

  members(): ClusterMemberView[] {
    const status = this.#meta.status();
    const ids = [...status.confState.voters, ...status.confState.learners].sort();
    const health = new Map(this.#transport.peers().map((peer) => [peer.id, peer.health]));
    return ids.map((id) => {
      const address = this.#meta.addressOf(id);
      const self = id === this.#config.id;
      const peerHealth = health.get(id);
      return {
        id,
        peerAddress: address?.peerAddress ?? "-",
        clientAddress: address?.clientAddress || "-",
        role: self
          ? roleName(status.role)
          : id === status.leaderId
          ? "leader"
          : status.confState.learners.includes(id)
          ? "learner"
          : "follower",
        state: self ? "up" : peerHealth?.state ?? "down",
        lastContactMs: self ? 0 : peerHealth?.lastContactAgoMs ?? -1,
      };
    });
  }

  /**
   * Leader only: records the addresses and adds `id` as a learner; answers once that change is
   * committed. The leader promotes it to voter by itself once it has caught up (MetaGroup), so a
   * slow or dead newcomer never blocks the reply or becomes a voter it cannot serve as.
   */
  async addMember(id: string, peerAddress: string, clientAddress: string): Promise<void> {
    const problem = memberProblem(id, peerAddress, clientAddress);
    if (problem !== null) {
      const at = problem.indexOf(" ");
      throw new ClusterError(problem.startsWith("LIMIT ") ? "LIMIT" : "ERR", problem.slice(at + 1));
    }
    await this.#meta.proposeCommand({
      op: "setMember",
      member: { id, peerAddress, clientAddress, incarnationId: "" },
    });
    const conf = this.#meta.status().confState;
    if (!conf.voters.includes(id) && !conf.learners.includes(id)) {
      await this.#meta.host.proposeConfChange({ type: "addLearner", nodeId: id });
    }
  }

  /** Leader only: removes `id` from the configuration, then forgets its addresses. */
  async removeMember(id: string): Promise<void> {
    const conf = this.#meta.status().confState;
    if (!conf.voters.includes(id) && !conf.learners.includes(id)) {
      throw new ClusterError("ERR", `no member '${id}'`);
    }
    await this.#meta.host.proposeConfChange({ type: "removeNode", nodeId: id });
    if (id !== this.#config.id) await this.#meta.proposeCommand({ op: "forgetMember", id });
  }

  /** Leader only: hands leadership to `id`. */
  async transferLeadership(id: string): Promise<void> {
    const status = this.#meta.status();
    if (status.leaderId === id) return;
    if (!status.confState.voters.includes(id)) {
      throw new ClusterError("ERR", `'${id}' is not a voting member`);
    }
    await this.#meta.host.transferLeadership(id);
  }
}

function roleName(role: string): string {
  return role === "preCandidate" ? "candidate" : role;
}
