/** A TCP endpoint as given on the command line (`host:port`). */
export interface HostPort {
  host: string;
  port: number;
}

/** Parses `host:port` (IPv6 as `[::1]:7001`); throws RangeError with a clear message. */
export function parseHostPort(text: string, what: string): HostPort {
  const trimmed = text.trim();
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(trimmed);
  const plain = /^([^:\s]+):(\d+)$/.exec(trimmed);
  const match = bracketed ?? plain;
  if (match === null) {
    throw new RangeError(`Invalid ${what} '${text}': expected HOST:PORT`);
  }
  const port = Number(match[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`Invalid ${what} '${text}': port must be 1-65535`);
  }
  return { host: match[1]!, port };
}

/** Formats an endpoint back to `host:port`. */
export function formatHostPort(address: HostPort): string {
  return address.host.includes(":")
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}
