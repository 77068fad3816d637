import tls from "node:tls";
import { certificateNodeId, TlsSocketConn } from "./tls_conn.ts";
import type { HostPort } from "./host_port.ts";

/** PEM material of a node: its certificate and key, and the CA its peers' certificates chain to. */
export interface TlsMaterial {
  certPem: string;
  keyPem: string;
  caPem: string;
}

/** Longest a connection may take to finish its TLS handshake before it is dropped. */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** A bound mutual-TLS listener. */
export interface MutualTlsListener {
  close(): void;
}

/**
 * Listens for TLS connections that must present a certificate from the CA: `onConnection` sees
 * only verified ones; any other is closed before a byte of it is read, and `onRefused` hears why
 * (no certificate, expired, not signed by the CA). Resolves once bound; rejects if the address is
 * in use.
 */
export function listenMutualTls(
  address: HostPort,
  material: TlsMaterial,
  onConnection: (conn: TlsSocketConn) => void,
  onRefused: (remote: string, reason: string) => void,
): Promise<MutualTlsListener> {
  // Verification is checked here rather than by rejectUnauthorized so that the log line can
  // say why a certificate was refused (the TLS layer only reports "socket hang up").
  const server = tls.createServer({
    cert: material.certPem,
    key: material.keyPem,
    ca: material.caPem,
    requestCert: true,
    rejectUnauthorized: false,
    handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
  }, (socket) => {
    if (socket.authorized) return onConnection(new TlsSocketConn(socket));
    onRefused(`${socket.remoteAddress}:${socket.remotePort}`, refusalReason(socket));
    socket.destroy();
  });
  server.on("tlsClientError", (error: Error) => onRefused("(unknown)", error.message));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, () => {
      server.off("error", reject);
      server.on("error", () => {});
      resolve({ close: () => server.close() });
    });
  });
}

/** Why an unauthorized socket's certificate was refused, in words. */
function refusalReason(socket: tls.TLSSocket): string {
  const certificate = socket.getPeerCertificate();
  if (certificate === null || certificate === undefined || !certificate.valid_to) {
    return "no client certificate";
  }
  const now = Date.now();
  const named = certificateNodeId(certificate) ?? "(none)";
  if (Date.parse(certificate.valid_to) < now) {
    return `certificate of '${named}' expired at ${certificate.valid_to}`;
  }
  if (Date.parse(certificate.valid_from) > now) {
    return `certificate of '${named}' not valid before ${certificate.valid_from}`;
  }
  return `certificate of '${named}' not signed by the CA (${socket.authorizationError})`;
}

/** Why a mutual-TLS dial failed; `tls` is true when the TCP connection was made first. */
export class DialError extends Error {
  constructor(message: string, readonly tls: boolean) {
    super(message);
  }
}

/**
 * Connects presenting this node's certificate and verifies the acceptor's certificate chains to
 * the CA and names `expectedNodeId`. Rejects with a `DialError` otherwise or after `timeoutMs`.
 */
export function dialMutualTls(
  address: HostPort,
  material: TlsMaterial,
  expectedNodeId: string,
  timeoutMs: number,
): Promise<TlsSocketConn> {
  return new Promise((resolve, reject) => {
    let connected = false;
    const socket = tls.connect({
      host: address.host,
      port: address.port,
      ca: material.caPem,
      cert: material.certPem,
      key: material.keyPem,
      rejectUnauthorized: true,
      checkServerIdentity: (_host, certificate) => {
        const named = certificateNodeId(certificate);
        return named === expectedNodeId ? undefined : new Error(
          `peer certificate names node '${named ?? "(none)"}', expected '${expectedNodeId}'`,
        );
      },
    });
    const timer = setTimeout(
      () => fail(new Error(`no TLS handshake in ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once("connect", () => connected = true);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      socket.off("error", fail);
      resolve(new TlsSocketConn(socket));
    });
    socket.once("error", fail);
    function fail(error: Error) {
      clearTimeout(timer);
      socket.destroy();
      reject(new DialError(error.message, connected));
    }
  });
}
