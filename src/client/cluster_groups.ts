/**
 * `CLUSTER GROUPS` as values. The reply has one line per Raft group the node hosts:
 * `group-id purpose slot members leader term commit-index`, with `-` for no slot (the meta
 * group) and no known leader, and the members (voters, then learners) comma-separated, empty
 * when the group has none.
 */

/** One Raft group as the answering node sees it. */
export interface ClusterGroup {
  groupId: number;
  /** `meta`, `slot` or `debug`. */
  purpose: string;
  /** The slot a slot group holds; null for the others. */
  slot: number | null;
  members: string[];
  /** The leader's node id; null while the node knows none. */
  leaderId: string | null;
  term: number;
  commitIndex: number;
}

/** Parses a `CLUSTER GROUPS` reply; throws an Error naming a line it cannot read. */
export function parseClusterGroups(text: string): ClusterGroup[] {
  const groups: ClusterGroup[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const fields = line.trim().split(" ");
    const [id, purpose, slot, members, leader, term, commitIndex] = fields;
    const numbers = [Number(id), Number(term), Number(commitIndex)];
    if (fields.length !== 7 || !numbers.every(Number.isSafeInteger) || purpose === "") {
      throw new Error(`Cannot read CLUSTER GROUPS line: ${JSON.stringify(line)}`);
    }
    groups.push({
      groupId: numbers[0]!,
      purpose: purpose!,
      slot: slot === "-" ? null : Number(slot),
      members: members === "" ? [] : members!.split(","),
      leaderId: leader === "-" ? null : leader!,
      term: numbers[1]!,
      commitIndex: numbers[2]!,
    });
  }
  return groups;
}
