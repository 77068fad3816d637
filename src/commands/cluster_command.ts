import type { CommandCall, CommandSpec, ReplyFn } from "./command_table.ts";
import { okWhenDone } from "./replies.ts";
import { memberIdLengthProblem, memberProblem } from "../meta/member_arguments.ts";
import { keySlot } from "../placement/key_slot.ts";

const textDecoder = new TextDecoder();

function clusterInfo(call: CommandCall): void {
  const info = call.services.cluster.info();
  const lines = [
    `node_id:${info.nodeId}`,
    `cluster_id:${info.clusterId}`,
    `role:${info.role}`,
    `term:${info.term}`,
    `leader_id:${info.leaderId}`,
    `commit_index:${info.commitIndex}`,
    `applied_index:${info.appliedIndex}`,
    `members:${info.memberCount}`,
    `healthy_members:${info.healthyMemberCount}`,
  ];
  call.out.verbatim("txt", lines.join("\r\n") + "\r\n", call.session.protocol);
}

function clusterNodes(call: CommandCall): void {
  const lines = call.services.cluster.members().map((member) =>
    `${member.id} ${member.peerAddress} ${member.clientAddress} ${member.role} ` +
    `${member.state} ${member.lastContactMs}`
  );
  call.out.verbatim("txt", lines.map((line) => line + "\n").join(""), call.session.protocol);
}

/**
 * One line per Raft group hosted here: `group-id purpose slot-or-dash members leader-id term
 * commit-index` (members comma-separated; leader `-` when unknown).
 */
function clusterGroups(call: CommandCall): void {
  const lines = call.services.raftGroups().map(({ groupId, purpose, slot, status }) => {
    const members = [...status.confState.voters, ...status.confState.learners].join(",");
    return `${groupId} ${purpose} ${slot ?? "-"} ${members} ${
      status.leaderId ?? "-"
    } ${status.term} ` +
      `${status.commitIndex}`;
  });
  call.out.verbatim("txt", lines.map((line) => line + "\n").join(""), call.session.protocol);
}

function clusterAdd(call: CommandCall): void | Promise<ReplyFn> {
  const [id, peer, client] = call.args.slice(2).map((arg) => textDecoder.decode(arg));
  const problem = memberProblem(id!, peer!, client!);
  if (problem !== null) return call.out.error(problem);
  const cluster = call.services.cluster;
  return okWhenDone(cluster.addMember(id!, peer!, client!));
}

function clusterRemove(call: CommandCall): void | Promise<ReplyFn> {
  const id = textDecoder.decode(call.args[2]);
  const problem = memberIdLengthProblem(id);
  if (problem !== null) return call.out.error(problem);
  const cluster = call.services.cluster;
  return okWhenDone(cluster.removeMember(id));
}

function clusterTransfer(call: CommandCall): void | Promise<ReplyFn> {
  const id = textDecoder.decode(call.args[2]);
  const problem = memberIdLengthProblem(id);
  if (problem !== null) return call.out.error(problem);
  const cluster = call.services.cluster;
  return okWhenDone(cluster.transferLeadership(id));
}

/** CLUSTER KEYSLOT key: the slot that holds `key` among the cluster's slots. */
function clusterKeySlot(call: CommandCall): void {
  call.out.integer(keySlot(call.args[2]!, call.services.slotCount()));
}

function clusterHelp(call: CommandCall): void {
  const lines = [
    "CLUSTER <subcommand> [<arg> ...]. Subcommands are:",
    "INFO -- This node's view: role, term, leader, commit and applied index, members.",
    "NODES -- One line per member: id peer client role state last-contact-ms.",
    "GROUPS -- One line per Raft group here: id purpose slot members leader term commit-index.",
    "KEYSLOT <key> -- The slot that holds <key>.",
    "ADD <id> <peer-host:port> <client-host:port> -- Add a member (OK once committed).",
    "REMOVE <id> -- Remove a member (OK once committed).",
    "TRANSFER <id> -- Make <id> the leader (OK once it is).",
  ];
  call.out.arrayHeader(lines.length);
  for (const line of lines) call.out.simple(line);
}

/** CLUSTER INFO | NODES | GROUPS | KEYSLOT | ADD | REMOVE | TRANSFER | HELP */
export const CLUSTER_COMMANDS: readonly CommandSpec[] = [{
  name: "cluster",
  arity: -2,
  flags: ["stale"],
  summary: "Cluster membership and state",
  subcommands: [
    { name: "info", arity: 2, flags: ["stale"], summary: "Cluster state", handler: clusterInfo },
    { name: "nodes", arity: 2, flags: ["stale"], summary: "Members", handler: clusterNodes },
    {
      name: "groups",
      arity: 2,
      flags: ["stale"],
      summary: "Raft groups hosted here",
      handler: clusterGroups,
    },
    {
      name: "keyslot",
      arity: 3,
      flags: ["stale", "fast"],
      summary: "The slot that holds a key",
      handler: clusterKeySlot,
    },
    {
      name: "add",
      arity: 5,
      flags: ["admin", "write"],
      summary: "Add",
      route: "meta",
      handler: clusterAdd,
    },
    {
      name: "remove",
      arity: 3,
      flags: ["admin", "write"],
      summary: "Remove a member",
      route: "meta",
      handler: clusterRemove,
    },
    {
      name: "transfer",
      arity: 3,
      flags: ["admin", "write"],
      summary: "Transfer leadership",
      route: "meta",
      handler: clusterTransfer,
    },
    { name: "help", arity: 2, flags: ["stale"], summary: "Help", handler: clusterHelp },
  ],
}];
