/**
 * dsync: `dsync node ...` runs one node, `dsync cluster ...` runs a local cluster, `dsync backup`
 * and `dsync restore` save a running cluster and seed a new one from it, `dsync lock` and
 * `dsync queue ...` are client tools.
 * Every option may also come from `DSYNC_<OPTION>` (flags win).
 */
import { Command } from "commander";
import { nodeCommand } from "./cli/node_command.ts";
import { clusterCommand } from "./cli/cluster_command.ts";
import { backupCommand, restoreCommand } from "./cli/backup_command.ts";
import { lockCommand } from "./cli/lock_command.ts";
import { queueCommand } from "./cli/queue_command.ts";
import { DSYNC_VERSION } from "./version.ts";

const program = new Command()
  .name("dsync")
  .description("Distributed locks, queues and a coherent cache behind a Redis-compatible port")
  .version(DSYNC_VERSION)
  .showHelpAfterError()
  .addCommand(nodeCommand())
  .addCommand(clusterCommand())
  .addCommand(backupCommand())
  .addCommand(restoreCommand())
  .addCommand(lockCommand())
  .addCommand(queueCommand());

await program.parseAsync(Deno.args, { from: "user" });
