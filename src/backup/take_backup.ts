/**
 * `dsync backup`: reads every group's image from a running cluster into a backup file
 * (backup_format.ts). Asks `--from` first for each group and, when it holds no voting replica
 * (`-TRYAGAIN`), the other members in turn. Each image is taken after a read barrier in its group,
 * so it holds every write acknowledged before the backup started; groups are read one after
 * another, so the file is not one cut across groups (a write acknowledged during the backup may
 * be in one group's image and a later one missing from another's).
 * Written to `<out>.tmp`, synced, then renamed: a file named `<out>` is always complete.
 */
import type { RespValue } from "../../protocol/resp/mod.ts";
import { RespConnection } from "../client/resp_connection.ts";
import { crc32c } from "../storage/crc32.ts";
import { formatHostPort, type HostPort, parseHostPort } from "../util/host_port.ts";
import { encodeBackupHeader, encodeBackupRecord, encodeBackupTrailer } from "./backup_format.ts";
import { checkMetaSlotCount } from "./seed_image.ts";

/** How `takeBackup` reaches the cluster and reports progress. */
export interface TakeBackupOptions {
  from: HostPort;
  out: string;
  /** AUTH before anything (`--user`/`--password`), when given. */
  user?: string;
  password?: string;
  /** TLS to the client ports (`--tls-ca`, and `--tls-cert`/`--tls-key` for client auth). */
  tls?: { caPem: string; certPem?: string; keyPem?: string };
  /** Longest wait for one reply. */
  replyTimeoutMs: number;
  /** Called after each group is written: groups done, groups in all, bytes written. */
  onProgress(done: number, total: number, bytes: number): void;
}

/** What a finished backup holds. */
export interface BackupSummary {
  clusterId: string;
  slotCount: number;
  bytes: number;
}

/** One member's id and client address, as CLUSTER NODES lists it. */
interface Member {
  id: string;
  client: HostPort;
}

/** Writes a backup of the cluster `options.from` belongs to; throws an Error saying why not. */
export async function takeBackup(options: TakeBackupOptions): Promise<BackupSummary> {
  const connections = new Connections(options);
  const tmp = `${options.out}.tmp`;
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
  try {
    const info = text(await connections.call(options.from, ["CLUSTER", "INFO"]), "CLUSTER INFO");
    const clusterId = field(info, "cluster_id");
    const fromNode = field(info, "node_id");
    const slots = text(await connections.call(options.from, ["INFO", "slots"]), "INFO slots");
    const slotCount = Number(field(slots, "slot_count"));
    if (!Number.isSafeInteger(slotCount) || slotCount < 1) {
      throw new Error(`the cluster has recorded no slot count yet (slot_count:${slotCount})`);
    }
    const members = parseMembers(
      text(await connections.call(options.from, ["CLUSTER", "NODES"]), "CLUSTER NODES"),
    );
    const candidates = [options.from, ...members.map((member) => member.client)]
      .filter((address, i, all) =>
        all.findIndex((other) => formatHostPort(other) === formatHostPort(address)) === i
      );
    const header = encodeBackupHeader({ createdAtMs: Date.now(), clusterId, fromNode, slotCount });
    let crc = crc32c(header);
    let bytes = await writeAll(file, header);
    const total = slotCount + 1;
    for (let i = 0; i < total; i++) {
      const slot = i === 0 ? null : i - 1;
      const taken = await connections.takeImage(candidates, slot);
      if (slot === null) checkMetaSlotCount(taken.image, slotCount);
      const record = encodeBackupRecord({ slot, ...taken });
      crc = crc32c(record, crc);
      bytes += await writeAll(file, record);
      options.onProgress(i + 1, total, bytes);
    }
    bytes += await writeAll(file, encodeBackupTrailer(total, crc));
    await file.sync();
    file.close();
    await Deno.rename(tmp, options.out);
    return { clusterId, slotCount, bytes };
  } catch (error) {
    try {
      file.close();
    } catch {
      // already closed
    }
    await Deno.remove(tmp).catch(() => {});
    throw error;
  } finally {
    connections.close();
  }
}

/** One open connection per address, each call bounded by the reply timeout. */
class Connections {
  readonly #options: TakeBackupOptions;
  readonly #open = new Map<string, RespConnection>();

  constructor(options: TakeBackupOptions) {
    this.#options = options;
  }

  async call(address: HostPort, args: string[]): Promise<RespValue> {
    const key = formatHostPort(address);
    let connection = this.#open.get(key);
    if (connection === undefined) {
      const tls = this.#options.tls;
      connection = tls === undefined
        ? await RespConnection.open(address.host, address.port)
        : await RespConnection.openTls(address.host, address.port, tls);
      this.#open.set(key, connection);
      if (this.#options.password !== undefined) {
        const auth = this.#options.user === undefined
          ? ["AUTH", this.#options.password]
          : ["AUTH", this.#options.user, this.#options.password];
        const reply = await this.#bounded(key, connection, auth);
        if (reply.type === "error") throw new Error(`AUTH at ${key} failed: ${reply.value}`);
      }
    }
    return await this.#bounded(key, connection, args);
  }

  /** The image of a group from the first candidate that replicates it, read in chunks. */
  async takeImage(
    candidates: HostPort[],
    slot: number | null,
  ): Promise<{ appliedIndex: number; image: Uint8Array }> {
    const what = slot === null ? "the meta group" : `slot ${slot}`;
    const args = slot === null ? ["BACKUP", "META"] : ["BACKUP", "SLOT", String(slot)];
    const refusals: string[] = [];
    for (const address of candidates) {
      let reply: RespValue;
      try {
        reply = await this.call(address, args);
      } catch (error) {
        refusals.push(`${formatHostPort(address)}: ${String(error)}`);
        continue;
      }
      if (reply.type === "error") {
        refusals.push(`${formatHostPort(address)}: -${reply.value}`);
        if (reply.value.startsWith("TRYAGAIN") || reply.value.startsWith("NOQUORUM")) continue;
        break;
      }
      const [token, appliedIndex, totalBytes, crc] = integers(reply, 4, `BACKUP of ${what}`);
      const image = await this.#readChunks(address, token!, totalBytes!);
      if (crc32c(image) !== crc) {
        throw new Error(`the image of ${what} read from ${formatHostPort(address)} is corrupt`);
      }
      return { appliedIndex: appliedIndex!, image };
    }
    throw new Error(`no member could give the image of ${what}: ${refusals.join("; ")}`);
  }

  async #readChunks(address: HostPort, token: number, totalBytes: number): Promise<Uint8Array> {
    const image = new Uint8Array(totalBytes);
    let offset = 0;
    do {
      const reply = await this.call(address, ["BACKUP", "CHUNK", String(token), String(offset)]);
      if (reply.type !== "bulk") throw new Error(`BACKUP CHUNK failed: ${JSON.stringify(reply)}`);
      if (reply.value.length === 0 && offset < totalBytes) {
        throw new Error(`BACKUP CHUNK returned nothing at offset ${offset} of ${totalBytes}`);
      }
      image.set(reply.value, offset);
      offset += reply.value.length;
    } while (offset < totalBytes);
    return image;
  }

  close(): void {
    for (const connection of this.#open.values()) connection.close();
    this.#open.clear();
  }

  async #bounded(key: string, connection: RespConnection, args: string[]): Promise<RespValue> {
    const timeoutMs = this.#options.replyTimeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        connection.close();
        this.#open.delete(key);
        reject(new Error(`no reply from ${key} to ${args[0]} within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([connection.call(args), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Members from CLUSTER NODES; a wildcard client host (0.0.0.0, ::) is replaced by the peer's. */
function parseMembers(nodes: string): Member[] {
  const members: Member[] = [];
  for (const line of nodes.split("\n").filter((row) => row.trim() !== "")) {
    const [id, peer, client] = line.split(" ");
    if (id === undefined || peer === undefined || client === undefined || client === "-") continue;
    const address = parseHostPort(client, `client address of ${id}`);
    if (address.host === "0.0.0.0" || address.host === "::") {
      address.host = parseHostPort(peer, `peer address of ${id}`).host;
    }
    members.push({ id, client: address });
  }
  return members;
}

function text(value: RespValue, what: string): string {
  if (value.type === "bulk" || value.type === "verbatim") {
    return new TextDecoder().decode(value.value);
  }
  if (value.type === "error") throw new Error(`${what} failed: -${value.value}`);
  throw new Error(`${what}: unexpected ${value.type} reply`);
}

function field(section: string, name: string): string {
  const value = new RegExp(`(?:^|\\n)${name}:([^\\r\\n]*)`).exec(section)?.[1];
  if (value === undefined) throw new Error(`the node's reply has no field ${name}`);
  return value;
}

function integers(reply: RespValue, count: number, what: string): number[] {
  if (reply.type !== "array" || reply.value.length !== count) {
    throw new Error(`${what}: unexpected reply ${JSON.stringify(reply)}`);
  }
  return reply.value.map((item) => {
    if (item.type !== "integer") throw new Error(`${what}: unexpected reply item`);
    return Number(item.value);
  });
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<number> {
  for (let offset = 0; offset < bytes.length;) offset += await file.write(bytes.subarray(offset));
  return bytes.length;
}
