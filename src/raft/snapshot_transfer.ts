import { appendResponseContext } from "./not_member.ts";
import type { Progress } from "./progress.ts";
import { type RaftState, send } from "./state.ts";
import type { Message, Snapshot, SnapshotChunk } from "./types.ts";

/** Leader: switches `pr` to snapshot state and sends the first chunk of the latest snapshot. */
export function startSnapshot(s: RaftState, pr: Progress): void {
  pr.becomeSnapshot(s.log.snapshot.index);
  sendSnapshotChunk(s, pr);
}

/** Leader: (re)sends the chunk at the peer's acknowledged offset; one chunk is in flight. */
export function sendSnapshotChunk(s: RaftState, pr: Progress): void {
  const snapshot = s.log.snapshot;
  if (pr.pendingSnapshotIndex !== snapshot.index) pr.becomeSnapshot(snapshot.index);
  const offset = Math.min(pr.snapshotOffsetBytes, snapshot.data.length);
  const data = snapshot.data.subarray(offset, offset + s.config.snapshotChunkBytes);
  send(s, {
    type: "snapshot",
    to: pr.id,
    snapshot: {
      index: snapshot.index,
      term: snapshot.term,
      confState: snapshot.confState,
      offsetBytes: offset,
      totalBytes: snapshot.data.length,
      data,
    },
  });
}

/** Leader: a follower acknowledged (or refused) a chunk; `context` is its received byte count. */
export function handleSnapshotResponse(s: RaftState, pr: Progress, m: Message): void {
  pr.recentActive = true;
  if (pr.state !== "snapshot" || m.index !== pr.pendingSnapshotIndex) return;
  if (m.reject || m.context > pr.snapshotOffsetBytes) {
    pr.snapshotOffsetBytes = m.context;
    sendSnapshotChunk(s, pr);
  }
}

function reply(s: RaftState, m: Message, receivedBytes: number, reject: boolean): void {
  send(s, {
    type: "snapshotResponse",
    to: m.from,
    index: m.snapshot?.index ?? 0,
    context: receivedBytes,
    reject,
  });
}

/** Follower: reassembles chunks in order; installs the snapshot after the last one. */
export function handleSnapshotChunk(s: RaftState, m: Message): void {
  const chunk = m.snapshot;
  if (chunk === null) return;
  let incoming = s.incomingSnapshot;
  const same = incoming !== null && incoming.index === chunk.index &&
    incoming.term === chunk.term && incoming.totalBytes === chunk.totalBytes;
  if (chunk.offsetBytes === 0 && !(same && incoming!.receivedBytes > 0)) {
    incoming = {
      index: chunk.index,
      term: chunk.term,
      confState: chunk.confState,
      chunks: [],
      receivedBytes: 0,
      totalBytes: chunk.totalBytes,
    };
    s.incomingSnapshot = incoming;
  } else if (!same || incoming === null) {
    reply(s, m, 0, true);
    return;
  }
  if (chunk.offsetBytes !== incoming.receivedBytes) {
    // A duplicate of an older chunk is acknowledged; a gap asks the leader to resend.
    reply(s, m, incoming.receivedBytes, chunk.offsetBytes > incoming.receivedBytes);
    return;
  }
  if (chunk.totalBytes > s.config.snapshotBytesMax) {
    s.incomingSnapshot = null;
    reply(s, m, 0, true);
    return;
  }
  incoming.chunks.push(chunk.data.slice());
  incoming.receivedBytes += chunk.data.length;
  if (incoming.receivedBytes < incoming.totalBytes) {
    reply(s, m, incoming.receivedBytes, false);
    return;
  }
  s.incomingSnapshot = null;
  restoreSnapshot(s, m.from, assemble(incoming.index, incoming.term, chunk, incoming.chunks));
}

function assemble(
  index: number,
  term: number,
  last: SnapshotChunk,
  chunks: Uint8Array[],
): Snapshot {
  const data = new Uint8Array(last.totalBytes);
  let offset = 0;
  for (const part of chunks) {
    data.set(part, offset);
    offset += part.length;
  }
  return { index, term, confState: last.confState, data };
}

/** Follower: installs a complete snapshot unless the log already covers it. */
function restoreSnapshot(s: RaftState, leader: string, snapshot: Snapshot): void {
  const log = s.log;
  if (snapshot.index <= log.committedIndex) {
    send(s, {
      type: "appendResponse",
      to: leader,
      index: log.committedIndex,
      context: appendResponseContext(s),
    });
    return;
  }
  if (log.matchTerm(snapshot.index, snapshot.term)) {
    log.commitTo(snapshot.index);
    send(s, {
      type: "appendResponse",
      to: leader,
      index: log.committedIndex,
      context: appendResponseContext(s),
    });
    return;
  }
  log.restore(snapshot);
  s.confs.reset(snapshot.index, snapshot.confState);
  send(s, {
    type: "appendResponse",
    to: leader,
    index: snapshot.index,
    context: appendResponseContext(s),
  });
}
