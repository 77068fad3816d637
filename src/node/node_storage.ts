/** The node's storage: one node log under `<data>/raft`, shared by every Raft group. */
import type { NodeConfig } from "../config/node_config.ts";
import type { Logger } from "../log/logger.ts";
import { NodeLog } from "../storage/mod.ts";

/** Directory of the node log inside the data dir. */
export const NODE_LOG_DIR_NAME = "raft";
/** Directory of the meta group's log in the per-group layout of older versions. */
const OLD_META_DIR_NAME = "meta";

/**
 * Opens the node log of `config.dataDir`; refuses a data dir of the older per-group layout
 * (`meta/`) with a message saying what to do, since it is not migrated.
 */
export async function openNodeLog(
  config: Pick<NodeConfig, "dataDir" | "clusterId" | "id"> & Partial<NodeConfig>,
  logger: Logger,
): Promise<NodeLog> {
  const oldDir = `${config.dataDir}/${OLD_META_DIR_NAME}`;
  if (await isDirectory(oldDir)) {
    throw new Error(
      `Cannot start: data dir ${config.dataDir} holds the per-group layout of an older dsync ` +
        `(${oldDir}); this version keeps every Raft group in one node log under ` +
        `${NODE_LOG_DIR_NAME}/ and does not migrate: remove this node from the cluster ` +
        `(CLUSTER REMOVE ${config.id}), empty its data dir and start it with --join ` +
        `(see docs/storage.md)`,
    );
  }
  return await NodeLog.open(`${config.dataDir}/${NODE_LOG_DIR_NAME}`, {
    clusterId: config.clusterId,
    nodeId: config.id,
    ...(config.diskReserveBytes === undefined ? {} : { diskReserveBytes: config.diskReserveBytes }),
    log: logger.with({ component: "wal" }),
  });
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
