import type { HostPort } from "./host_port.ts";
import type { TlsSocketConn } from "./tls_conn.ts";
import { listenMutualTls, type MutualTlsListener } from "./mutual_tls.ts";

/**
 * Binds the client port requiring a client certificate from the CA (`--tls-client-auth`);
 * connections without one, or with one from another CA or expired, are refused in the TLS
 * handshake and reported to `onRefused`.
 */
export async function listenClientAuthTls(
  address: HostPort,
  files: { certFile: string; keyFile: string; caFile: string | null },
  onConnection: (conn: TlsSocketConn) => void,
  onRefused: (remote: string, reason: string) => void,
): Promise<MutualTlsListener> {
  if (files.caFile === null) throw new RangeError("--tls-client-auth needs --tls-ca");
  const material = {
    certPem: await Deno.readTextFile(files.certFile),
    keyPem: await Deno.readTextFile(files.keyFile),
    caPem: await Deno.readTextFile(files.caFile),
  };
  return listenMutualTls(address, material, onConnection, onRefused);
}
