import type { MetaGroup } from "../meta/meta_group.ts";
import type { RaftGroups } from "../consensus/raft_groups.ts";

/** INFO raft: groups hosted, ticked (not quiet) and led by this node. */
export function raftGroupsSection(groups: RaftGroups): Array<[string, string | number]> {
  return [
    ["raft_groups", groups.size],
    ["raft_groups_active", groups.activeCount],
    ["raft_groups_leading", groups.leadingCount()],
  ];
}

/** INFO persistence: the node log shared by every group, and whether its disk is full. */
export function persistenceSection(meta: MetaGroup): Array<[string, string | number]> {
  const section: Array<[string, string | number]> = [["loading", 0]];
  for (const [key, value] of Object.entries(meta.log.stats())) {
    if (typeof value === "number" || typeof value === "string") {
      section.push([`wal_${key.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase())}`, value]);
    }
  }
  const status = meta.status();
  section.push(["raft_last_index", status.lastIndex], [
    "raft_snapshot_index",
    status.snapshotIndex,
  ]);
  const disk = meta.log.diskState();
  section.push(
    ["disk_state", disk.full ? "full" : "ok"],
    ["disk_full_for_ms", disk.fullForMs],
    ["disk_full_count", disk.fullCount],
    ["disk_enospc_errors", disk.noSpaceErrorCount],
    ["disk_reserve_bytes", disk.reserveBytes],
    ["disk_nospace_refusals", meta.host.noSpaceRefusals],
  );
  return section;
}
