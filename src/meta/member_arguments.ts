import { parseHostPort } from "../util/host_port.ts";

/** Longest member id, in bytes. */
export const MEMBER_ID_BYTES_MAX = 64;
/** Longest member address, in bytes: a 253-byte DNS name, `:` and a 5-digit port, + 2 spare. */
export const MEMBER_ADDRESS_BYTES_MAX = 261;

const ID_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** `LIMIT ...` when a member id is too long to be one; null otherwise. */
export function memberIdLengthProblem(id: string): string | null {
  const lengthBytes = new TextEncoder().encode(id).length;
  if (lengthBytes <= MEMBER_ID_BYTES_MAX) return null;
  return `LIMIT member id length ${lengthBytes} exceeds maximum of ${MEMBER_ID_BYTES_MAX} bytes`;
}

/**
 * Why CLUSTER ADD `id peer-host:port client-host:port` cannot be taken, as a reply line
 * (`LIMIT` for an oversize argument, `ERR` for a malformed one or a port out of range); null
 * when the member can be recorded.
 */
export function memberProblem(
  id: string,
  peerAddress: string,
  clientAddress: string,
): string | null {
  const idLength = memberIdLengthProblem(id);
  if (idLength !== null) return idLength;
  if (id === "" || !ID_PATTERN.test(id)) {
    return `ERR invalid member id '${id}': use letters, digits, '_', '.' and '-'`;
  }
  return addressProblem(peerAddress, "peer address") ??
    addressProblem(clientAddress, "client address");
}

function addressProblem(text: string, what: string): string | null {
  const lengthBytes = new TextEncoder().encode(text).length;
  if (lengthBytes > MEMBER_ADDRESS_BYTES_MAX) {
    return `LIMIT ${what} length ${lengthBytes} exceeds maximum of ${MEMBER_ADDRESS_BYTES_MAX} bytes`;
  }
  try {
    parseHostPort(text, what);
    return null;
  } catch (error) {
    return `ERR ${error instanceof Error ? error.message : String(error)}`;
  }
}
