import type { CommandSpec, ReplyFn } from "./command_table.ts";
import { errorReply } from "./replies.ts";

const textDecoder = new TextDecoder();

/** Taken images waiting to be read in chunks (src/backup/image_store.ts). */
export interface BackupImages {
  /** Holds `image`; its token, applied index, size and crc32c. */
  hold(
    appliedIndex: number,
    image: Uint8Array,
  ): { token: number; appliedIndex: number; totalBytes: number; crc: number };
  /** The next chunk of image `token` from `offset`; null when it is not held. */
  chunk(token: number, offset: number): Uint8Array | null;
}

/** What the BACKUP commands need from the node. */
export interface BackupSource {
  /** The cluster's slot count. */
  slotCount(): number;
  /**
   * The image of the meta group (`slot` null) or of a slot group replicated here, taken after a
   * read barrier (so it holds every write acknowledged before the call); rejects with a
   * ClusterError (`TRYAGAIN` when this node holds no voting replica of the group).
   */
  take(slot: number | null): Promise<{ appliedIndex: number; image: Uint8Array }>;
  /** Where taken images wait to be read in chunks. */
  images: BackupImages;
}

/**
 * BACKUP META | BACKUP SLOT n: takes the group's image on this node (not forwarded: the tool asks
 * a node that replicates the group) and answers `[token, applied-index, total-bytes, crc32c]`;
 * BACKUP CHUNK token offset: the next chunk of that image. `dsync backup` drives these.
 */
export function backupCommands(source: BackupSource): CommandSpec[] {
  const take = (slot: number | null): Promise<ReplyFn> =>
    source.take(slot).then(({ appliedIndex, image }): ReplyFn => (out) => {
      const held = source.images.hold(appliedIndex, image);
      out.arrayHeader(4);
      out.integer(held.token);
      out.integer(held.appliedIndex);
      out.integer(held.totalBytes);
      out.integer(held.crc);
    }, errorReply);
  return [{
    name: "backup",
    arity: -2,
    flags: ["admin"],
    summary: "Read a consistent image of a Raft group (dsync backup)",
    subcommands: [{
      name: "meta",
      arity: 2,
      flags: ["admin", "readonly"],
      summary: "Take the meta group's image here: [token, applied-index, bytes, crc32c]",
      handler: () => take(null),
    }, {
      name: "slot",
      arity: 3,
      flags: ["admin", "readonly"],
      summary: "Take a slot group's image here: [token, applied-index, bytes, crc32c]",
      handler: (call) => {
        const slotCount = source.slotCount();
        const slot = integerArg(call.args[2]!);
        if (slot === null || slot >= slotCount) {
          return call.out.error(`ERR slot must be an integer in 0..${slotCount - 1}`);
        }
        return take(slot);
      },
    }, {
      name: "chunk",
      arity: 4,
      flags: ["admin", "readonly", "stale"],
      summary: "The next bytes of a taken image, from offset",
      handler: (call) => {
        const token = integerArg(call.args[2]!);
        const offset = integerArg(call.args[3]!);
        if (token === null || offset === null) {
          return call.out.error("ERR token and offset must be non-negative integers");
        }
        const chunk = source.images.chunk(token, offset);
        if (chunk === null) {
          return call.out.error("ERR no such backup image (expired, finished or never taken)");
        }
        call.out.bulk(chunk);
      },
    }],
  }];
}

/** A non-negative decimal integer argument, or null. */
function integerArg(arg: Uint8Array): number | null {
  if (arg.length === 0 || arg.length > 15) return null;
  const text = textDecoder.decode(arg);
  return /^\d+$/.test(text) ? Number(text) : null;
}
