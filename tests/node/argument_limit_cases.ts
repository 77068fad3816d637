/**
 * Every argument of every client command, at its limit and one past it. The node under test runs
 * with BULK_BYTES_MAX as --max-bulk-bytes and PASSWORD as --requirepass. An argument without a
 * limit of its own is bounded by the bulk string limit (past it: `-LIMIT`, connection closed).
 */

/** --max-bulk-bytes of the node under test. */
export const BULK_BYTES_MAX = 100_000;
/** --argument-count limit of every node (the default). */
export const ARGUMENT_COUNT_MAX = 1024;
/** --requirepass of the node under test. */
export const PASSWORD = "pw";

/** One argument at and past its limit. */
export interface ArgumentCase {
  argument: string;
  /** The call with the argument at its limit, and what its reply must match (it is served). */
  atLimit: string[];
  atLimitReply: RegExp;
  /** The call with the argument past its limit, and the exact error line it must get. */
  pastLimit: string[];
  pastLimitReply: string;
  /** Past the RESP bulk/argument-count limit: the node answers, then closes the connection. */
  closes: boolean;
  /** Calls sent first (e.g. CLUSTER ADD before CLUSTER REMOVE); each must not be an error. */
  setup?: string[][];
}

/** Cases of one entry of the command table (`name` or `name|subcommand`). */
export interface CommandCases {
  command: string;
  cases: ArgumentCase[];
  /** Why a command has no case: it takes no arguments (extra ones are refused or ignored). */
  noArguments?: string;
}

const fill = (length: number, char = "x") => char.repeat(length);
const OK = /^OK$/;
const TOKEN = /^\d+$/;
const NOT_ERROR = /^(?!-)/;
const ZERO = /^0$/;
const WRONGPASS = /^-WRONGPASS /;
const SAFE_MAX = Number.MAX_SAFE_INTEGER;
/** Longest key of the key-value store (KV_KEY_BYTES_MAX). */
const KEY_MAX = 4096;
const INTEGER = /^-?\d+$/;
const NIL_OR_BULK = /^(?!-)/;

/** An argument bounded only by the RESP bulk limit. */
function bulk(argument: string, build: (value: string) => string[], ok: RegExp): ArgumentCase {
  return {
    argument,
    atLimit: build(fill(BULK_BYTES_MAX)),
    atLimitReply: ok,
    pastLimit: build(fill(BULK_BYTES_MAX + 1)),
    pastLimitReply: `-LIMIT bulk string length ${BULK_BYTES_MAX + 1} exceeds maximum of ` +
      `${BULK_BYTES_MAX} bytes`,
    closes: true,
  };
}

/** An argument with a byte limit of its own: `-LIMIT <what> length N exceeds maximum of M bytes`. */
function own(
  argument: string,
  what: string,
  bytesMax: number,
  build: (value: string) => string[],
  ok: RegExp,
  setup?: string[][],
): ArgumentCase {
  return {
    argument,
    atLimit: build(fill(bytesMax)),
    atLimitReply: ok,
    pastLimit: build(fill(bytesMax + 1)),
    pastLimitReply: `-LIMIT ${what} length ${bytesMax + 1} exceeds maximum of ${bytesMax} bytes`,
    closes: false,
    ...(setup === undefined ? {} : { setup }),
  };
}

/** A numeric (or keyword) argument at the edge of its range and just outside it: `-ERR ...`. */
function range(
  argument: string,
  build: (value: string) => string[],
  edges: [atLimit: string | number, pastLimit: string | number],
  ok: RegExp,
  pastLimitReply: string,
): ArgumentCase {
  return {
    argument,
    atLimit: build(String(edges[0])),
    atLimitReply: ok,
    pastLimit: build(String(edges[1])),
    pastLimitReply,
    closes: false,
  };
}

/** The argument count of a variadic command: 1024 served, 1025 `-LIMIT` and closed. */
function argumentCount(build: (count: number) => string[], ok: RegExp): ArgumentCase {
  return {
    argument: "argument count",
    atLimit: build(ARGUMENT_COUNT_MAX),
    atLimitReply: ok,
    pastLimit: build(ARGUMENT_COUNT_MAX + 1),
    pastLimitReply: `-LIMIT command has ${ARGUMENT_COUNT_MAX + 1} arguments, maximum is ` +
      `${ARGUMENT_COUNT_MAX}`,
    closes: true,
  };
}

const padded = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => i === 0 ? prefix : `${i}`);

/**
 * A 127.0.0.1 address of exactly `length` bytes: inet_aton reads the zero-padded octet as 0, so
 * a node dialing it stays on the loopback (and finds port 1 closed).
 */
function loopbackAddress(length: number): string {
  const zeros = length - "127..0.1:00001".length;
  return `127.${fill(zeros, "0")}.0.1:00001`;
}

const LOCK_NAME_MAX = 256;
const MEMBER_ID_MAX = 64;
const ADDRESS_MAX = 261;
const TTL_MIN = 100;
const TTL_MAX = 86_400_000;
const WAIT_MAX = 300_000;
const TTL_RANGE = `-ERR TTL must be between ${TTL_MIN} and ${TTL_MAX} ms`;
const NOT_INTEGER = "-ERR value is not an integer or out of range";
const TOKEN_RANGE = `-ERR TOKEN must be between 1 and ${SAFE_MAX}`;
const HELLO_VERSION = "-ERR unsupported protocol version: use HELLO 2 or HELLO 3";
const FROM = `-ERR from-index must be between 1 and ${SAFE_MAX}`;
const COUNT = "-ERR count must be between 1 and 1000";
const GROUP = "-ERR syntax error: DEBUG PROPOSE payload [GROUP id], id in 0..4294967295";
const BACKUP_SLOT = "-ERR slot must be an integer in 0..63";
const BACKUP_INTEGERS = "-ERR token and offset must be non-negative integers";
const NO_IMAGE = /^-ERR no such backup image/;
const CLIENT = "127.0.0.1:7999";
const PEER = "127.0.0.1:1";

const QUEUE_NAME_MAX = 256;
const COUNT_1000 = "-ERR COUNT must be between 1 and 1000";
const QUEUE_MS_MAX = 2 ** 40;
const QUEUE_ID = /^\d+-\d+$/;
const ARRAY = /^\[/;
const queueName = (v: string, ...rest: string[]) =>
  own("queue", "queue name", QUEUE_NAME_MAX, (n) => [v, n, ...rest], NOT_ERROR);

/** Queue commands (src/queues/arguments.ts); a queue name at its limit is served everywhere. */
const QUEUE_CASES: CommandCases[] = [
  {
    command: "queue.push",
    cases: [
      own("queue", "queue name", QUEUE_NAME_MAX, (v) => ["QUEUE.PUSH", v, "p"], QUEUE_ID),
      bulk("payload", (v) => ["QUEUE.PUSH", "q-payload", v], QUEUE_ID),
      own("KEY", "key", 512, (v) => ["QUEUE.PUSH", "q-key", "p", "KEY", v], QUEUE_ID),
      own("DEDUP", "dedup id", 256, (v) => ["QUEUE.PUSH", "q-dd", "p", "DEDUP", v], QUEUE_ID),
      range(
        "DELAY (max)",
        (v) => ["QUEUE.PUSH", "q-delay", "p", "DELAY", v],
        [QUEUE_MS_MAX, QUEUE_MS_MAX + 1],
        QUEUE_ID,
        `-ERR DELAY must be between 0 and ${QUEUE_MS_MAX}`,
      ),
      range(
        "TTL (min)",
        (v) => ["QUEUE.PUSH", "q-ttl", "p", "TTL", v],
        [1, 0],
        QUEUE_ID,
        `-ERR TTL must be between 1 and ${QUEUE_MS_MAX}`,
      ),
      range(
        "PRIORITY",
        (v) => ["QUEUE.PUSH", "q-prio", "p", "PRIORITY", v],
        ["high", "higher"],
        QUEUE_ID,
        "-ERR PRIORITY must be high or normal",
      ),
    ],
  },
  {
    command: "queue.pop",
    cases: [
      { ...queueName("QUEUE.POP"), atLimitReply: ARRAY },
      range(
        "COUNT (max)",
        (v) => ["QUEUE.POP", "q-c", "COUNT", v],
        [1000, 1001],
        ARRAY,
        COUNT_1000,
      ),
      range(
        "VISIBILITY (min)",
        (v) => ["QUEUE.POP", "q-v", "VISIBILITY", v],
        [1, 0],
        ARRAY,
        `-ERR VISIBILITY must be between 1 and ${QUEUE_MS_MAX}`,
      ),
      {
        // A message waits, so the longest WAIT answers at once.
        ...range(
          "WAIT (max)",
          (v) => ["QUEUE.POP", "q-w", "WAIT", v],
          [WAIT_MAX, WAIT_MAX + 1],
          ARRAY,
          `-ERR WAIT must be between 0 and ${WAIT_MAX}`,
        ),
        setup: [["QUEUE.PUSH", "q-w", "p"]],
      },
    ],
  },
  {
    command: "queue.ack",
    cases: [
      { ...queueName("QUEUE.ACK", "0-1"), atLimitReply: INTEGER },
      bulk("id", (v) => ["QUEUE.ACK", "q", v], ZERO),
    ],
  },
  {
    command: "queue.nack",
    cases: [
      { ...queueName("QUEUE.NACK", "0-1"), atLimitReply: INTEGER },
      range(
        "DELAY (max)",
        (v) => ["QUEUE.NACK", "q", "0-1", "DELAY", v],
        [QUEUE_MS_MAX, QUEUE_MS_MAX + 1],
        ZERO,
        `-ERR DELAY must be between 0 and ${QUEUE_MS_MAX}`,
      ),
    ],
  },
  {
    command: "queue.touch",
    cases: [
      range(
        "ms (min)",
        (v) => ["QUEUE.TOUCH", "q", "0-1", v],
        [1, 0],
        ZERO,
        `-ERR ms must be between 1 and ${QUEUE_MS_MAX}`,
      ),
    ],
  },
  { command: "queue.len", cases: [{ ...queueName("QUEUE.LEN"), atLimitReply: INTEGER }] },
  { command: "queue.stats", cases: [{ ...queueName("QUEUE.STATS"), atLimitReply: ARRAY }] },
  {
    command: "queue.config",
    cases: [
      { ...queueName("QUEUE.CONFIG"), atLimitReply: OK },
      range(
        "MAXDELIVER (max)",
        (v) => ["QUEUE.CONFIG", "q", "MAXDELIVER", v],
        [1000, 1001],
        OK,
        "-ERR MAXDELIVER must be between 1 and 1000",
      ),
    ],
  },
];
/** The whole table; `argument_limits_test.ts` fails when a command of the node has no entry. */
export const COMMAND_CASES: CommandCases[] = [
  { command: "ping", cases: [bulk("message", (v) => ["PING", v], NOT_ERROR)] },
  { command: "echo", cases: [bulk("message", (v) => ["ECHO", v], NOT_ERROR)] },
  { command: "quit", cases: [], noArguments: "closes the connection; arguments are ignored" },
  {
    command: "auth",
    cases: [
      bulk("username", (v) => ["AUTH", v, PASSWORD], WRONGPASS),
      bulk("password", (v) => ["AUTH", "default", v], WRONGPASS),
    ],
  },
  {
    command: "hello",
    cases: [
      range("protover (max)", (v) => ["HELLO", v], [3, 4], NOT_ERROR, HELLO_VERSION),
      range("protover (min)", (v) => ["HELLO", v], [2, 1], NOT_ERROR, HELLO_VERSION),
      bulk("AUTH username", (v) => ["HELLO", "2", "AUTH", v, PASSWORD], WRONGPASS),
      bulk("AUTH password", (v) => ["HELLO", "2", "AUTH", "default", v], WRONGPASS),
      own("SETNAME name", "client name", 256, (v) => ["HELLO", "2", "SETNAME", v], NOT_ERROR),
    ],
  },
  {
    command: "acl|setuser",
    cases: [
      own("user name", "user name", 128, (v) => ["ACL", "SETUSER", v, "on"], OK),
      own("password", "password", 512, (v) => ["ACL", "SETUSER", "u1", `>${v}`], OK),
      own("key pattern", "key pattern", 256, (v) => ["ACL", "SETUSER", "u2", `~${v}`], OK),
      argumentCount((n) => ["ACL", "SETUSER", "u3", ...Array(n - 3).fill("on")], OK),
    ],
  },
  {
    command: "acl|deluser",
    cases: [
      own("user name", "user name", 128, (v) => ["ACL", "DELUSER", v], INTEGER),
      argumentCount((n) => ["ACL", "DELUSER", ...padded("nobody", n - 2)], ZERO),
    ],
  },
  {
    command: "acl|getuser",
    cases: [own("user name", "user name", 128, (v) => ["ACL", "GETUSER", v], NIL_OR_BULK)],
  },
  {
    command: "acl|cat",
    cases: [bulk("category", (v) => ["ACL", "CAT", v], /^-ERR Unknown category/)],
  },
  { command: "acl|list", cases: [], noArguments: "arity 2" },
  { command: "acl|users", cases: [], noArguments: "arity 2" },
  { command: "acl|whoami", cases: [], noArguments: "arity 2" },
  { command: "acl|help", cases: [], noArguments: "arity 2" },
  { command: "client|id", cases: [], noArguments: "arity 2" },
  { command: "client|getname", cases: [], noArguments: "arity 2" },
  { command: "client|info", cases: [], noArguments: "arity 2" },
  { command: "client|help", cases: [], noArguments: "arity 2" },
  {
    command: "client|list",
    cases: [argumentCount((n) => ["CLIENT", "LIST", ...padded("x", n - 2)], NOT_ERROR)],
  },
  {
    command: "client|setname",
    cases: [own("name", "client name", 256, (v) => ["CLIENT", "SETNAME", v], OK)],
  },
  {
    command: "info",
    cases: [
      bulk("section", (v) => ["INFO", v], NOT_ERROR),
      argumentCount((n) => ["INFO", ...padded("server", n - 1)], NOT_ERROR),
    ],
  },
  { command: "cluster|info", cases: [], noArguments: "arity 2" },
  { command: "cluster|nodes", cases: [], noArguments: "arity 2" },
  { command: "cluster|groups", cases: [], noArguments: "arity 2" },
  { command: "cluster|keyslot", cases: [bulk("key", (v) => ["CLUSTER", "KEYSLOT", v], /^\d+$/)] },
  { command: "cluster|help", cases: [], noArguments: "arity 2" },
  {
    command: "cluster|add",
    cases: [
      own("id", "member id", MEMBER_ID_MAX, (v) => ["CLUSTER", "ADD", v, PEER, CLIENT], OK),
      {
        ...own("peer address", "peer address", ADDRESS_MAX, () => [], OK),
        atLimit: ["CLUSTER", "ADD", "p1", loopbackAddress(ADDRESS_MAX), CLIENT],
        pastLimit: ["CLUSTER", "ADD", "p1", loopbackAddress(ADDRESS_MAX + 1), CLIENT],
      },
      {
        ...own("peer address (70,000 bytes)", "peer address", ADDRESS_MAX, () => [], OK),
        atLimit: ["CLUSTER", "ADD", "p2", loopbackAddress(ADDRESS_MAX), CLIENT],
        pastLimit: ["CLUSTER", "ADD", "p2", loopbackAddress(70_000), CLIENT],
        pastLimitReply: "-LIMIT peer address length 70000 exceeds maximum of 261 bytes",
      },
      {
        ...own("client address", "client address", ADDRESS_MAX, () => [], OK),
        atLimit: ["CLUSTER", "ADD", "c1", PEER, loopbackAddress(ADDRESS_MAX)],
        pastLimit: ["CLUSTER", "ADD", "c1", PEER, loopbackAddress(ADDRESS_MAX + 1)],
      },
      range(
        "peer port",
        (v) => ["CLUSTER", "ADD", "q1", `127.0.0.1:${v}`, CLIENT],
        [65535, 65536],
        OK,
        "-ERR Invalid peer address '127.0.0.1:65536': port must be 1-65535",
      ),
      range(
        "client port",
        (v) => ["CLUSTER", "ADD", "q2", PEER, `127.0.0.1:${v}`],
        [1, 0],
        OK,
        "-ERR Invalid client address '127.0.0.1:0': port must be 1-65535",
      ),
    ],
  },
  {
    command: "cluster|remove",
    cases: [
      own("id", "member id", MEMBER_ID_MAX, (v) => ["CLUSTER", "REMOVE", v], OK, [
        ["CLUSTER", "ADD", fill(MEMBER_ID_MAX), PEER, CLIENT],
      ]),
    ],
  },
  {
    command: "cluster|transfer",
    // At its limit the id is served: refused by the cluster (no such voter), not by a limit.
    cases: [own("id", "member id", MEMBER_ID_MAX, (v) => ["CLUSTER", "TRANSFER", v], /^-ERR '/)],
  },
  {
    command: "config|get",
    cases: [
      own("pattern", "CONFIG GET pattern", 256, (v) => ["CONFIG", "GET", v], NOT_ERROR),
      argumentCount((n) => ["CONFIG", "GET", ...padded("max*", n - 2)], NOT_ERROR),
    ],
  },
  { command: "config|resetstat", cases: [], noArguments: "arity 2" },
  {
    command: "config|set",
    cases: [bulk("value", (v) => ["CONFIG", "SET", "maxclients", v], /^-ERR CONFIG SET is not/)],
  },
  { command: "backup|meta", cases: [], noArguments: "arity 2" },
  {
    command: "backup|slot",
    cases: [
      range("slot (max)", (v) => ["BACKUP", "SLOT", v], [63, 64], NOT_ERROR, BACKUP_SLOT),
      range("slot (min)", (v) => ["BACKUP", "SLOT", v], [0, -1], NOT_ERROR, BACKUP_SLOT),
    ],
  },
  {
    command: "backup|chunk",
    cases: [
      range(
        "token (max)",
        (v) => ["BACKUP", "CHUNK", v, "0"],
        ["999999999999999", "1000000000000000"],
        NO_IMAGE,
        BACKUP_INTEGERS,
      ),
      range(
        "offset (max)",
        (v) => ["BACKUP", "CHUNK", "1", v],
        ["999999999999999", "1000000000000000"],
        NO_IMAGE,
        BACKUP_INTEGERS,
      ),
      // Token 1 may be an image BACKUP SLOT took above: its first chunk, or no such image.
      range(
        "offset (min)",
        (v) => ["BACKUP", "CHUNK", "1", v],
        [0, -1],
        /^(?!-)|^-ERR no such backup image/,
        BACKUP_INTEGERS,
      ),
    ],
  },
  {
    command: "debug|propose",
    cases: [
      own("payload", "DEBUG PROPOSE payload", 65_536, (v) => ["DEBUG", "PROPOSE", v], OK),
      range(
        "group (max)",
        (v) => ["DEBUG", "PROPOSE", "x", "GROUP", v],
        [
          0xffff_ffff,
          2 ** 32,
        ],
        /^-ERR group 4294967295 is not hosted on this node$/,
        GROUP,
      ),
      range("group (min)", (v) => ["DEBUG", "PROPOSE", "x", "GROUP", v], [0, -1], OK, GROUP),
    ],
  },
  {
    command: "debug|entries",
    cases: [
      range("from-index (min)", (v) => ["DEBUG", "ENTRIES", v, "1"], [1, 0], NOT_ERROR, FROM),
      range(
        "from-index (max)",
        (v) => ["DEBUG", "ENTRIES", v, "1"],
        [SAFE_MAX, "9007199254740992"],
        /^\[\]$/,
        FROM,
      ),
      range("count (max)", (v) => ["DEBUG", "ENTRIES", "1", v], [1000, 1001], NOT_ERROR, COUNT),
      range("count (min)", (v) => ["DEBUG", "ENTRIES", "1", v], [1, 0], NOT_ERROR, COUNT),
    ],
  },
  {
    command: "get",
    cases: [own("key", "key", KEY_MAX, (v) => ["GET", v], NIL_OR_BULK)],
  },
  {
    command: "set",
    cases: [
      own("key", "key", KEY_MAX, (v) => ["SET", v, "v"], OK),
      bulk("value", (v) => ["SET", "k-value", v], OK),
    ],
  },
  {
    command: "del",
    cases: [own("key", "key", KEY_MAX, (v) => ["DEL", v], INTEGER)],
  },
  {
    command: "exists",
    cases: [own("key", "key", KEY_MAX, (v) => ["EXISTS", v], INTEGER)],
  },
  {
    command: "mget",
    cases: [own("key", "key", KEY_MAX, (v) => ["MGET", v], NOT_ERROR)],
  },
  {
    command: "mset",
    cases: [
      own("key", "key", KEY_MAX, (v) => ["MSET", v, "v"], OK),
      bulk("value", (v) => ["MSET", "k-mvalue", v], OK),
    ],
  },
  {
    command: "pttl",
    cases: [own("key", "key", KEY_MAX, (v) => ["PTTL", v], INTEGER)],
  },
  {
    command: "cache.state",
    cases: [own("key", "key", KEY_MAX, (v) => ["CACHE.STATE", v], /^[MESI]$/)],
  },
  { command: "cache.stats", cases: [], noArguments: "arity 1" },
  {
    command: "lock.acquire",
    cases: [
      own("name", "lock name", LOCK_NAME_MAX, (v) => ["LOCK.ACQUIRE", v, "o"], TOKEN),
      own("owner", "lock owner", LOCK_NAME_MAX, (v) => ["LOCK.ACQUIRE", "a-owner", v], TOKEN),
      {
        ...own("owner (2,000 bytes)", "lock owner", LOCK_NAME_MAX, () => [], TOKEN),
        atLimit: ["LOCK.ACQUIRE", "a-2000", fill(LOCK_NAME_MAX)],
        pastLimit: ["LOCK.ACQUIRE", "a-2000", fill(2000)],
        pastLimitReply: "-LIMIT lock owner length 2000 exceeds maximum of 256 bytes",
      },
      range(
        "TTL (min)",
        (v) => ["LOCK.ACQUIRE", "a-t1", "o", "TTL", v],
        [TTL_MIN, TTL_MIN - 1],
        TOKEN,
        TTL_RANGE,
      ),
      range(
        "TTL (max)",
        (v) => ["LOCK.ACQUIRE", "a-t2", "o", "TTL", v],
        [TTL_MAX, TTL_MAX + 1],
        TOKEN,
        TTL_RANGE,
      ),
      range(
        "WAIT (max)",
        (v) => ["LOCK.ACQUIRE", "a-w", "o", "WAIT", v],
        [WAIT_MAX, WAIT_MAX + 1],
        TOKEN,
        `-ERR WAIT must be at most ${WAIT_MAX} ms`,
      ),
      range(
        "mode",
        (v) => ["LOCK.ACQUIRE", "a-m", "o", v],
        ["SHARED", "SHAREDX"],
        TOKEN,
        "-ERR syntax error near 'SHAREDX'",
      ),
    ],
  },
  {
    command: "lock.release",
    cases: [
      own("name", "lock name", LOCK_NAME_MAX, (v) => ["LOCK.RELEASE", v, "nobody"], ZERO),
      own("owner", "lock owner", LOCK_NAME_MAX, (v) => ["LOCK.RELEASE", "r", v], ZERO),
      range(
        "TOKEN (min)",
        (v) => ["LOCK.RELEASE", "r", "o", "TOKEN", v],
        [1, 0],
        ZERO,
        TOKEN_RANGE,
      ),
      range(
        "TOKEN (max)",
        (v) => ["LOCK.RELEASE", "r", "o", "TOKEN", v],
        [SAFE_MAX, "9007199254740992"],
        ZERO,
        NOT_INTEGER,
      ),
    ],
  },
  {
    command: "lock.refresh",
    cases: [
      own("name", "lock name", LOCK_NAME_MAX, (v) => ["LOCK.REFRESH", v, "nobody", "1000"], ZERO),
      own("owner", "lock owner", LOCK_NAME_MAX, (v) => ["LOCK.REFRESH", "f", v, "1000"], ZERO),
      range(
        "ttl-ms (min)",
        (v) => ["LOCK.REFRESH", "f", "o", v],
        [TTL_MIN, TTL_MIN - 1],
        ZERO,
        TTL_RANGE,
      ),
      range(
        "ttl-ms (max)",
        (v) => ["LOCK.REFRESH", "f", "o", v],
        [TTL_MAX, TTL_MAX + 1],
        ZERO,
        TTL_RANGE,
      ),
      range(
        "TOKEN (min)",
        (v) => ["LOCK.REFRESH", "f", "o", "1000", "TOKEN", v],
        [1, 0],
        ZERO,
        TOKEN_RANGE,
      ),
      range(
        "TOKEN (max)",
        (v) => ["LOCK.REFRESH", "f", "o", "1000", "TOKEN", v],
        [SAFE_MAX, "9007199254740992"],
        ZERO,
        NOT_INTEGER,
      ),
    ],
  },
  {
    command: "lock.info",
    cases: [
      own("name", "lock name", LOCK_NAME_MAX, (v) => ["LOCK.INFO", v], /^\["exclusive",\[\["o",/, [
        ["LOCK.ACQUIRE", fill(LOCK_NAME_MAX), "o"],
      ]),
    ],
  },
  {
    command: "command",
    cases: [
      bulk("INFO name", (v) => ["COMMAND", "INFO", v], NOT_ERROR),
      argumentCount((n) => ["COMMAND", "INFO", ...padded("ping", n - 2)], NOT_ERROR),
    ],
  },
  ...QUEUE_CASES,
];
