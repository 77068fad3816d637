import { decodePlacement } from "../placement/mod.ts";
import type { CommittedEntryView } from "../commands/node_services.ts";
import { ClusterError } from "../consensus/cluster_error.ts";
import { fromRecord } from "../consensus/wal_bridge.ts";
import { decodeMetaCommand, type MetaCommand } from "../meta/meta_command.ts";
import type { MetaGroup } from "../meta/meta_group.ts";
import type { MetaMachine } from "../meta/meta_machine.ts";

/** Entry data one call reads at most (a shorter prefix is returned; the caller pages on). */
const COMMITTED_ENTRIES_BYTES_MAX = 4 * 1024 * 1024;

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/**
 * Up to `countMax` entries of this node's committed meta log from `fromIndex` on (never past
 * the commit index, so every node answers the same for the same range). An entry already
 * compacted into a snapshot cannot be shown: `-ERR` says from where the log starts. At least one
 * entry and at most about COMMITTED_ENTRIES_BYTES_MAX of entry data are returned.
 */
export async function readCommittedEntries(
  meta: MetaGroup,
  fromIndex: number,
  countMax: number,
): Promise<CommittedEntryView[]> {
  const firstIndex = meta.groupLog.firstIndex();
  if (fromIndex < firstIndex) {
    throw new ClusterError(
      "ERR",
      `entries before ${firstIndex} are compacted into a snapshot on this node`,
    );
  }
  const toIndex = Math.min(meta.status().commitIndex, fromIndex + countMax - 1);
  const views: CommittedEntryView[] = [];
  let readBytes = 0;
  for (let next = fromIndex; next <= toIndex && readBytes < COMMITTED_ENTRIES_BYTES_MAX;) {
    const records = await meta.groupLog.entries(next, toIndex + 1);
    if (records.length === 0) break;
    for (const record of records) {
      views.push(viewOf(record, (opCode) => meta.state.machine(opCode)));
      readBytes += record.data.length;
    }
    next = records[records.length - 1]!.index + 1;
  }
  return views;
}

function viewOf(
  record: Parameters<typeof fromRecord>[0],
  machineOf: (opCode: number) => MetaMachine | undefined,
): CommittedEntryView {
  const entry = fromRecord(record);
  const base = { index: entry.index, term: entry.term, kind: entry.kind };
  if (entry.kind !== "normal") return { ...base, op: "", detail: EMPTY };
  try {
    const machine = entry.data.length > 0 ? machineOf(entry.data[0]!) : undefined;
    if (machine !== undefined) {
      const { op, detail } = machine.describe(entry.data.subarray(1));
      return { ...base, op, detail: encoder.encode(detail) };
    }
    const command = decodeMetaCommand(entry.data);
    return { ...base, op: command.op, detail: detailOf(command) };
  } catch {
    return { ...base, op: "undecodable", detail: EMPTY };
  }
}

/** `slots N members a,b,c` of encoded placement bytes. */
function describePlacement(bytes: Uint8Array): string {
  const placement = decodePlacement(bytes);
  return `slots ${placement.slotCount} members ${placement.members.join(",")}`;
}

/** The part of a command a reader looks for: a payload, a member id, the slot count. */
function detailOf(command: MetaCommand): Uint8Array {
  switch (command.op) {
    case "noop":
      return command.payload;
    case "setMember":
      return encoder.encode(command.member.id);
    case "forgetMember":
      return encoder.encode(command.id);
    case "setPlacement":
      return encoder.encode(`slots ${command.slotCount}`);
    case "placeSlots":
      return encoder.encode(describePlacement(command.placement));
  }
}
