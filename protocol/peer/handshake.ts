import { PEER_PROTOCOL_VERSION } from "./limits.ts";
import {
  type HandshakeMessage,
  type HandshakeRejectReason,
  MESSAGE_TYPE_NAMES,
  type PeerMessage,
  type PeerMessageOf,
} from "./message.ts";

/** How long the connecting side waits for HandshakeAccept/HandshakeReject, in milliseconds. */
export const HANDSHAKE_TIMEOUT_MS_DEFAULT = 5000;

/** Longest node id or cluster id accepted in a Handshake, in UTF-16 code units. */
export const ID_CHARS_MAX = 128;

/**
 * Longest incarnation id accepted in a Handshake, in characters (lowercase hex digits). Nodes send
 * 32 (16 random bytes chosen when their data directory is created).
 */
export const INCARNATION_ID_CHARS_MAX = 64;

/** Longest host part of a peer or client address, in UTF-16 code units (the DNS name limit). */
const HOST_CHARS_MAX = 255;

/** Most known node ids listed in an "unknown node" message; the rest are counted. */
const KNOWN_IDS_LISTED_MAX = 8;

/** Longest remote-supplied text quoted in a log line, in UTF-16 code units. */
const QUOTED_CHARS_MAX = 200;

/** Control characters and whitespace, which ids and hosts may not contain. */
const FORBIDDEN_ID_CHARS = /[\p{Cc}\s]/u;

/** What the accepting side knows about itself when checking a Handshake. */
export interface HandshakeLocal {
  /** This node's cluster id; a peer must present the same one. */
  clusterId: string;
  /** This node's id; a peer presenting it is a duplicate. */
  nodeId: string;
  /** Ids of the cluster's members; when given, other ids are rejected as unknown. */
  knownNodeIds?: ReadonlySet<string>;
}

/** What the accepting side knows about itself when answering a Handshake. */
export interface HandshakeAnswerLocal extends HandshakeLocal {
  /** This node's client (RESP) "host:port", sent in the HandshakeAccept. */
  clientAddress: string;
  /** The incarnation id of this node's data directory, sent in the HandshakeAccept. */
  incarnationId: string;
  /**
   * Called with the peer's node id and incarnation id once every other check has passed. Returns
   * null to accept, or a one-line refusal (e.g. the peer's data directory was replaced since its
   * incarnation was recorded, so it may have lost its Raft vote), sent as a HandshakeReject with
   * reason "staleIncarnation".
   */
  checkIncarnation?: (nodeId: string, incarnationId: string) => string | null;
}

/** Result of checking a Handshake: ok, or a reject reason and a one-line explanation. */
export type HandshakeCheck =
  | { ok: true }
  | { ok: false; reason: HandshakeRejectReason; message: string };

/**
 * Result of the connecting side reading the answer to its Handshake; on success, the accepting
 * node's id, client address and data-directory incarnation id.
 */
export type HandshakeOutcome =
  | { ok: true; nodeId: string; clientAddress: string; incarnationId: string }
  | { ok: false; reason: HandshakeRejectReason | "protocolViolation"; message: string };

/**
 * Builds the Handshake the connecting side sends first. `peerAddress` is its own peer
 * "host:port", `clientAddress` its own client (RESP) "host:port" and `incarnationId` the
 * incarnation id of its data directory (lowercase hex).
 */
export function createHandshake(
  local: {
    clusterId: string;
    nodeId: string;
    peerAddress: string;
    clientAddress: string;
    incarnationId: string;
  },
): HandshakeMessage {
  return {
    type: "handshake",
    protocolVersion: PEER_PROTOCOL_VERSION,
    clusterId: local.clusterId,
    nodeId: local.nodeId,
    peerAddress: local.peerAddress,
    clientAddress: local.clientAddress,
    incarnationId: local.incarnationId,
  };
}

/**
 * Pure handshake check by the accepting side: version, well-formed fields, cluster, node id. The
 * incarnation is checked afterwards by `answerHandshake` (it needs the recorded incarnations).
 */
export function checkHandshake(local: HandshakeLocal, remote: HandshakeMessage): HandshakeCheck {
  const peer = displayId(remote.nodeId);
  if (remote.protocolVersion !== PEER_PROTOCOL_VERSION) {
    return reject(
      "incompatibleVersion",
      `peer ${peer} speaks protocol version ${remote.protocolVersion}, ` +
        `this node speaks ${PEER_PROTOCOL_VERSION}`,
    );
  }
  const problem = describeIdProblem("node id", remote.nodeId) ??
    describeIdProblem("cluster id", remote.clusterId) ??
    describeAddressProblem(remote.peerAddress) ??
    describeAddressProblem(remote.clientAddress, "client address") ??
    describeIncarnationProblem(remote.incarnationId);
  if (problem !== undefined) {
    return reject("malformed", `peer ${peer} sent a malformed handshake: ${problem}`);
  }
  if (remote.clusterId !== local.clusterId) {
    return reject(
      "wrongCluster",
      `peer ${peer} belongs to cluster '${remote.clusterId}', ` +
        `this node to cluster '${local.clusterId}'`,
    );
  }
  if (remote.nodeId === local.nodeId) {
    return reject("unknownNode", `peer claims node id ${peer}, which is this node's own id`);
  }
  if (local.knownNodeIds !== undefined && !local.knownNodeIds.has(remote.nodeId)) {
    return reject(
      "unknownNode",
      `peer ${peer} is not a known member of cluster '${local.clusterId}' ` +
        `(known: ${listIds(local.knownNodeIds)})`,
    );
  }
  return { ok: true };
}

/**
 * The accepting side's answer to a Handshake: HandshakeAccept (carrying this node's id, its
 * `clientAddress` and its `incarnationId`) or HandshakeReject. After `checkHandshake` passes,
 * `local.checkIncarnation` (when given) may still refuse the peer's incarnation, with reason
 * "staleIncarnation".
 */
export function answerHandshake(
  local: HandshakeAnswerLocal,
  remote: HandshakeMessage,
): PeerMessageOf<"handshakeAccept"> | PeerMessageOf<"handshakeReject"> {
  const check = checkHandshake(local, remote);
  if (!check.ok) {
    return { type: "handshakeReject", reason: check.reason, message: check.message };
  }
  const refusal = local.checkIncarnation?.(remote.nodeId, remote.incarnationId) ?? null;
  if (refusal !== null) {
    return { type: "handshakeReject", reason: "staleIncarnation", message: refusal };
  }
  return {
    type: "handshakeAccept",
    nodeId: local.nodeId,
    clientAddress: local.clientAddress,
    incarnationId: local.incarnationId,
  };
}

/**
 * Interprets the first message received after sending a Handshake. On failure, `message` is a
 * complete log line; the connection must then be closed. `expectedNodeId`, when given, is the
 * id the connecting side believes lives at that address.
 */
export function readHandshakeAnswer(
  answer: PeerMessage,
  expectedNodeId?: string,
): HandshakeOutcome {
  if (answer.type === "handshakeReject") {
    return {
      ok: false,
      reason: answer.reason,
      message: `handshake rejected by peer (${REASON_LABELS[answer.reason]}): ` +
        displayText(answer.message),
    };
  }
  if (answer.type !== "handshakeAccept") {
    return {
      ok: false,
      reason: "protocolViolation",
      message: `handshake failed: expected HandshakeAccept or HandshakeReject, ` +
        `got ${MESSAGE_TYPE_NAMES[answer.type]}`,
    };
  }
  if (expectedNodeId !== undefined && answer.nodeId !== expectedNodeId) {
    return {
      ok: false,
      reason: "unknownNode",
      message: `handshake failed: expected node ${displayId(expectedNodeId)}, ` +
        `but ${displayId(answer.nodeId)} answered`,
    };
  }
  return {
    ok: true,
    nodeId: answer.nodeId,
    clientAddress: answer.clientAddress,
    incarnationId: answer.incarnationId,
  };
}

/** Human label of each reject reason, for log lines. */
export const REASON_LABELS: Readonly<Record<HandshakeRejectReason, string>> = {
  wrongCluster: "wrong cluster",
  incompatibleVersion: "incompatible version",
  unknownNode: "unknown or duplicate node id",
  malformed: "malformed handshake",
  staleIncarnation: "data directory replaced",
};

/** Returns why `id` is not a valid node or cluster id, or undefined if it is valid. */
export function describeIdProblem(kind: string, id: string): string | undefined {
  if (id.length === 0) return `${kind} is empty`;
  if (id.length > ID_CHARS_MAX) {
    return `${kind} length ${id.length} exceeds maximum of ${ID_CHARS_MAX} characters`;
  }
  if (FORBIDDEN_ID_CHARS.test(id)) {
    return `${kind} ${JSON.stringify(id)} contains whitespace or control characters`;
  }
  return undefined;
}

/**
 * Returns why `incarnationId` is not 1 to `INCARNATION_ID_CHARS_MAX` lowercase hex digits, or
 * undefined if it is.
 */
export function describeIncarnationProblem(incarnationId: string): string | undefined {
  if (incarnationId.length === 0) return "incarnation id is empty";
  if (incarnationId.length > INCARNATION_ID_CHARS_MAX) {
    return `incarnation id length ${incarnationId.length} exceeds maximum of ` +
      `${INCARNATION_ID_CHARS_MAX} characters`;
  }
  if (!/^[0-9a-f]+$/.test(incarnationId)) {
    return `incarnation id ${displayText(incarnationId)} is not lowercase hex`;
  }
  return undefined;
}

/**
 * Returns why `address` is not "host:port" (port 1-65535), or undefined if it is. `kind` names
 * the field in the explanation.
 */
export function describeAddressProblem(
  address: string,
  kind = "peer address",
): string | undefined {
  const colonIndex = address.lastIndexOf(":");
  const host = address.slice(0, Math.max(0, colonIndex));
  const port = address.slice(colonIndex + 1);
  const portNumber = Number(port);
  const valid = colonIndex > 0 && host.length <= HOST_CHARS_MAX && !FORBIDDEN_ID_CHARS.test(host) &&
    /^[0-9]{1,5}$/.test(port) && portNumber >= 1 && portNumber <= 65535;
  if (valid) return undefined;
  return `${kind} ${displayText(address)} is not host:port`;
}

function reject(reason: HandshakeRejectReason, message: string): HandshakeCheck {
  return { ok: false, reason, message };
}

/** Shows an id in a log line: as is if valid, else quoted, escaped and truncated. */
function displayId(id: string): string {
  if (describeIdProblem("id", id) === undefined) return id;
  return JSON.stringify(id.length > QUOTED_CHARS_MAX ? `${id.slice(0, QUOTED_CHARS_MAX)}...` : id);
}

/** Shows remote-supplied text safely in a log line: as is if plain, else quoted and escaped. */
function displayText(text: string): string {
  const shown = text.length > QUOTED_CHARS_MAX ? `${text.slice(0, QUOTED_CHARS_MAX)}...` : text;
  const plain = shown.length > 0 && !/[\p{Cc}\u2028\u2029"]/u.test(shown);
  return plain ? shown : JSON.stringify(shown);
}

function listIds(ids: ReadonlySet<string>): string {
  const listed = [...ids].slice(0, KNOWN_IDS_LISTED_MAX).map(displayId);
  const more = ids.size - listed.length;
  return more > 0 ? `${listed.join(", ")} and ${more} more` : listed.join(", ");
}
