import { Command } from "commander";
import cliProgress from "cli-progress";
import { takeBackup } from "../backup/take_backup.ts";
import { restoreDataDir } from "../backup/restore_data_dir.ts";
import { parseHostPort } from "../util/host_port.ts";
import { envOption } from "./env_option.ts";

/** Longest wait for one reply during a backup (a slot's read barrier, a chunk). */
const BACKUP_REPLY_TIMEOUT_MS = 30_000;

/** A progress bar on stderr (a TTY), or nothing: scripts and tests get only the summary line. */
function progressBar(label: string): { update(done: number, total: number): void; stop(): void } {
  if (!Deno.stderr.isTerminal()) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar({
    format: `${label} |{bar}| {value}/{total} groups`,
    stream: process.stderr,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(done, total) {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
    stop: () => started && bar.stop(),
  };
}

/** `dsync backup --from HOST:PORT --out FILE`. */
export function backupCommand(): Command {
  return new Command("backup")
    .description("Write a consistent, checksummed backup of a running cluster")
    .addOption(envOption("--from <host:port>", "client address of any member"))
    .addOption(envOption("--out <file>", "backup file to write (atomically)"))
    .addOption(envOption("--user <name>", "AUTH as this user"))
    .addOption(envOption("--password <password>", "AUTH with this password"))
    .addOption(envOption("--tls-ca <file>", "the client ports speak TLS: trust this CA (PEM)"))
    .addOption(envOption("--tls-cert <file>", "client certificate (PEM), for --tls-client-auth"))
    .addOption(envOption("--tls-key <file>", "client certificate's private key (PEM)"))
    .action(async (raw: Record<string, string | undefined>) => {
      if (raw.from === undefined || raw.out === undefined) {
        fail("backup", "--from and --out are required");
      }
      const bar = progressBar("backup");
      try {
        const summary = await takeBackup({
          from: parseHostPort(raw.from!, "--from"),
          out: raw.out!,
          ...(raw.user === undefined ? {} : { user: raw.user }),
          ...(raw.password === undefined ? {} : { password: raw.password }),
          ...(raw.tlsCa === undefined ? {} : { tls: await readTls(raw) }),
          replyTimeoutMs: BACKUP_REPLY_TIMEOUT_MS,
          onProgress: (done, total) => bar.update(done, total),
        });
        bar.stop();
        console.log(
          `backup of cluster ${summary.clusterId}: meta and ${summary.slotCount} slots, ` +
            `${summary.bytes} bytes, written to ${raw.out}`,
        );
      } catch (error) {
        bar.stop();
        fail("backup", error instanceof Error ? error.message : String(error), 1);
      }
    });
}

/** `dsync restore --in FILE --data DIR --id ID --peers ...`. */
export function restoreCommand(): Command {
  return new Command("restore")
    .description(
      "Prepare a new node's data dir from a backup (run once per node of the new cluster)",
    )
    .addOption(envOption("--in <file>", "backup file written by dsync backup"))
    .addOption(envOption("--data <dir>", "the new node's data dir (must be empty)"))
    .addOption(envOption("--id <id>", "the new node's id"))
    .addOption(envOption("--peers <list>", "the new cluster's members: ID=HOST:PORT,..."))
    .action(async (raw: Record<string, string | undefined>) => {
      if ([raw.in, raw.data, raw.id, raw.peers].includes(undefined)) {
        fail("restore", "--in, --data, --id and --peers are required");
      }
      const bar = progressBar("verify");
      try {
        const info = await restoreDataDir({
          input: raw.in!,
          dataDir: raw.data!,
          nodeId: raw.id!,
          peers: raw.peers!,
          onProgress: (done, total) => bar.update(done, total),
        });
        bar.stop();
        console.log(
          `restored ${raw.data} for node ${info.nodeId} from cluster ${info.fromCluster} ` +
            `(${info.slotCount} slots); start it with --id ${info.nodeId} --peers ${info.peers} ` +
            `--slots ${info.slotCount} --data ${raw.data}`,
        );
      } catch (error) {
        bar.stop();
        fail("restore", error instanceof Error ? error.message : String(error), 1);
      }
    });
}

/** The PEM files of `--tls-ca`, `--tls-cert` and `--tls-key`. */
async function readTls(raw: Record<string, string | undefined>) {
  if ((raw.tlsCert === undefined) !== (raw.tlsKey === undefined)) {
    fail("backup", "--tls-cert and --tls-key go together");
  }
  return {
    caPem: await Deno.readTextFile(raw.tlsCa!),
    ...(raw.tlsCert === undefined ? {} : {
      certPem: await Deno.readTextFile(raw.tlsCert),
      keyPem: await Deno.readTextFile(raw.tlsKey!),
    }),
  };
}

function fail(command: string, message: string, code = 2): never {
  console.error(`dsync ${command}: ${message}`);
  Deno.exit(code);
}
