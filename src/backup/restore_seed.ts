/**
 * A restored data dir: `dsync restore` leaves `<data>/restore/backup.dsb` (the verified backup)
 * and `<data>/restore/restore.json` (for whom and from what). At start a node reads them and
 * seeds each of its groups whose log is still empty (seed_image.ts). Nothing else in the data
 * dir is touched; the files may stay (a group the node opens later is seeded the same way).
 */
import { decodeBackup } from "./backup_format.ts";
import { checkMetaSlotCount, metaSeedImage, SEED_INDEX, slotSeedImage } from "./seed_image.ts";

/** Directory of the restore files inside a data dir. */
export const RESTORE_DIR_NAME = "restore";
/** The backup a data dir was restored from. */
export const RESTORE_BACKUP_NAME = "backup.dsb";
/** Who the data dir was restored for (JSON). */
export const RESTORE_INFO_NAME = "restore.json";

/** What `restore.json` says. */
export interface RestoreInfo {
  nodeId: string;
  peers: string;
  slotCount: number;
  fromCluster: string;
  fromNode: string;
  backupCreatedAtMs: number;
}

/** The images a restored node seeds its groups with. */
export interface RestoreSeed {
  info: RestoreInfo;
  slotCount: number;
  meta: { index: number; image: Uint8Array };
  slots: Array<{ index: number; image: Uint8Array }>;
}

/** Reads the restore files of `dataDir`; null when it was not restored. Throws on a mismatch. */
export async function loadRestoreSeed(
  dataDir: string,
  nodeId: string,
): Promise<RestoreSeed | null> {
  const dir = `${dataDir}/${RESTORE_DIR_NAME}`;
  let infoText: string;
  try {
    infoText = await Deno.readTextFile(`${dir}/${RESTORE_INFO_NAME}`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  const info = JSON.parse(infoText) as RestoreInfo;
  if (info.nodeId !== nodeId) {
    throw new Error(
      `Cannot start: data dir ${dataDir} was restored for node '${info.nodeId}', not '${nodeId}'`,
    );
  }
  const contents = decodeBackup(await Deno.readFile(`${dir}/${RESTORE_BACKUP_NAME}`));
  checkMetaSlotCount(contents.meta.image, contents.header.slotCount);
  return {
    info,
    slotCount: contents.header.slotCount,
    meta: { index: SEED_INDEX, image: metaSeedImage(contents.meta.image) },
    slots: contents.slots.map((record) => ({
      index: SEED_INDEX,
      image: slotSeedImage(record.image, record.slot!),
    })),
  };
}
