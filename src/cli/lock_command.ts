import { Command } from "commander";
import { LeaseLostError } from "../client/mod.ts";
import { clientFromOptions, msOption, reportFailure, withClientOptions } from "./client_options.ts";
import { EXIT_NOT_STARTED, forwardSignals, startCommand } from "./child_command.ts";
import { envOption } from "./env_option.ts";

/** Exit status when the lock was not had within `--wait`. */
export const EXIT_NOT_ACQUIRED = 75;
/** Exit status when the lease was lost and the command was killed. */
export const EXIT_LEASE_LOST = 70;
/** Default `--grace`: between SIGTERM and SIGKILL after a lost lease, in ms. */
export const GRACE_MS_DEFAULT = 5_000;
const MS_MAX = 24 * 3600 * 1000;

/**
 * `dsync lock NAME [--ttl ms] [--wait ms] [--shared] -- COMMAND [ARGS...]`: runs the command while
 * holding the lock (fencing token in DSYNC_LOCK_TOKEN), keeping the lease alive, and releases it
 * when the command ends. Exit status: the command's; 75 not acquired; 70 lease lost (killed).
 */
export function lockCommand(): Command {
  const command = new Command("lock")
    .description("Run a command while holding a lock (like `etcdctl lock NAME -- command`)")
    .argument("<name>", "lock name")
    .argument("<command...>", "the command and its arguments, after --")
    .addOption(
      envOption("--ttl <ms>", "lease length, refreshed every third of it").default("30000"),
    )
    .addOption(
      envOption("--wait <ms>", "give up (exit 75) after this long; default: wait for ever"),
    )
    .addOption(envOption("--shared", "take a shared lock instead of an exclusive one"))
    .addOption(
      envOption("--grace <ms>", "after a lost lease: SIGTERM, then SIGKILL this much later")
        .default(String(GRACE_MS_DEFAULT)),
    )
    .action(async (name: string, argv: string[], raw: Record<string, string | undefined>) => {
      Deno.exit(await runLocked(name, argv, raw));
    });
  return withClientOptions(command);
}

async function runLocked(
  name: string,
  argv: string[],
  raw: Record<string, string | undefined>,
): Promise<number> {
  const ttlMs = msOption(raw.ttl, "--ttl", 1, MS_MAX)!;
  const waitMs = msOption(raw.wait, "--wait", 0, MS_MAX) ?? Infinity;
  const graceMs = msOption(raw.grace, "--grace", 0, MS_MAX)!;
  const client = clientFromOptions(raw);
  try {
    let handle;
    try {
      handle = await client.lock(name, { ttlMs, waitMs, shared: raw.shared !== undefined });
    } catch (error) {
      return reportFailure("lock", error);
    }
    if (handle === null) {
      console.error(`dsync lock: '${name}' not acquired within ${waitMs} ms`);
      return EXIT_NOT_ACQUIRED;
    }
    const running = startCommand(argv, {
      DSYNC_LOCK_NAME: name,
      DSYNC_LOCK_OWNER: handle.owner,
      DSYNC_LOCK_TOKEN: String(handle.token),
    });
    if (running === null) {
      await handle.release().catch(() => false);
      return EXIT_NOT_STARTED;
    }
    let lost = false;
    let ended = false;
    handle.signal.addEventListener("abort", () => {
      // A lease lost after the command ended changes nothing: its status stands.
      if (ended || !(handle.signal.reason instanceof LeaseLostError)) return;
      lost = true;
      console.error(`dsync lock: ${handle.signal.reason.message}; stopping the command`);
      running.terminate(graceMs);
    });
    const undo = forwardSignals(() => running.terminate(graceMs));
    const status = await running.status;
    ended = true;
    undo();
    if (lost) return EXIT_LEASE_LOST;
    await handle.release().catch((error) => reportFailure("lock: release", error));
    return status;
  } finally {
    client.close();
  }
}
