import type { ClusterInfoView, ClusterMemberView, ClusterView } from "../commands/node_services.ts";
import type { NodeConfig } from "../config/node_config.ts";
import type { PeerTransport } from "../peer/peer_transport.ts";
import { formatHostPort } from "../util/host_port.ts";

const NO_META_GROUP = "TRYAGAIN no leader: membership changes go through the Raft meta group, " +
  "which this build does not run yet";

/**
 * The cluster as the peer transport sees it: members from --peers, health from the failure
 * detector. Roles, terms and membership changes come from the Raft meta group once it runs;
 * until then every node is a follower that knows no leader (term 0).
 */
export class PeerClusterView implements ClusterView {
  readonly #config: NodeConfig;
  readonly #transport: PeerTransport;

  constructor(config: NodeConfig, transport: PeerTransport) {
    this.#config = config;
    this.#transport = transport;
  }

  info(): ClusterInfoView {
    const members = this.members();
    return {
      nodeId: this.#config.id,
      clusterId: this.#config.clusterId,
      role: "follower",
      term: 0,
      leaderId: "",
      commitIndex: 0,
      appliedIndex: 0,
      memberCount: members.length,
      healthyMemberCount: members.filter((member) => member.state === "up").length,
    };
  }

  members(): ClusterMemberView[] {
    const self: ClusterMemberView = {
      id: this.#config.id,
      peerAddress: formatHostPort(this.#config.peerAddress),
      clientAddress: formatHostPort(this.#config.clientAddress),
      role: "follower",
      state: "up",
      lastContactMs: 0,
    };
    const others = this.#transport.peers().map((peer): ClusterMemberView => ({
      id: peer.id,
      peerAddress: peer.peerAddress,
      clientAddress: peer.clientAddress === "" ? "-" : peer.clientAddress,
      role: "follower",
      state: peer.health.state,
      lastContactMs: peer.health.lastContactAgoMs ?? -1,
    }));
    return [self, ...others].sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  }

  addMember(): Promise<void> {
    return Promise.reject(new Error(NO_META_GROUP));
  }

  removeMember(): Promise<void> {
    return Promise.reject(new Error(NO_META_GROUP));
  }

  transferLeadership(): Promise<void> {
    return Promise.reject(new Error(NO_META_GROUP));
  }
}
