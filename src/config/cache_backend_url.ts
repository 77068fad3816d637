/** Where the cache's store of record is, when it is a Redis server (`--cache-backend`). */
export interface CacheBackendUrl {
  host: string;
  /** 1..65535; 6379 when the URL names none. */
  port: number;
  /** Logical database (`redis://host:port/N`), 0..DB_INDEX_MAX; 0 when the URL names none. */
  db: number;
  /** ACL user from the URL, or null (the server's `default` user). */
  username: string | null;
  /** Password from the URL, or null. Never logged nor shown (see `display`). */
  password: string | null;
  /** The URL without its password: what INFO and logs show. */
  display: string;
}

const REDIS_PORT_DEFAULT = 6379;
/** Largest database index a URL may name (Redis's default `databases` is 16; allow more). */
const DB_INDEX_MAX = 1023;

/**
 * Parses `--cache-backend`: `redis://[user[:password]@]host[:port][/db]`. Throws RangeError
 * with a message naming the flag and what is wrong.
 */
export function parseCacheBackendUrl(text: string): CacheBackendUrl {
  const bad = (why: string) =>
    new RangeError(
      `Invalid --cache-backend '${redacted(text)}': ${why} ` +
        "(expected redis://[user[:password]@]host[:port][/db])",
    );
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad("not a URL");
  }
  if (url.protocol !== "redis:") throw bad(`scheme '${url.protocol}' is not redis:`);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw bad("no host");
  const port = url.port === "" ? REDIS_PORT_DEFAULT : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad("port out of range");
  const path = url.pathname.replace(/^\//, "");
  if (!/^\d{0,4}$/.test(path)) throw bad(`database '${path}' is not a number`);
  const db = path === "" ? 0 : Number(path);
  if (db > DB_INDEX_MAX) throw bad(`database ${db} exceeds maximum of ${DB_INDEX_MAX}`);
  if (url.search !== "" || url.hash !== "") throw bad("query and fragment are not supported");
  const username = url.username === "" ? null : decodeURIComponent(url.username);
  const password = url.password === "" ? null : decodeURIComponent(url.password);
  const user = username === null ? "" : `${url.username}@`;
  return {
    host,
    port,
    db,
    username,
    password,
    display: `redis://${user}${url.host}${db === 0 ? "" : `/${db}`}`,
  };
}

/** `text` with any password replaced by `***`, for error messages. */
function redacted(text: string): string {
  return text.replace(/^(redis:\/\/[^:@/]*:)[^@/]*@/, "$1***@");
}
