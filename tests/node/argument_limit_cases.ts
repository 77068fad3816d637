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

/** A numeric argument out of its range: `-ERR ...`. */
function range(
  argument: string,
  atLimit: string[],
  ok: RegExp,
  pastLimit: string[],
  pastLimitReply: string,
): ArgumentCase {
  return { argument, atLimit, atLimitReply: ok, pastLimit, pastLimitReply, closes: false };
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
const CLIENT = "127.0.0.1:7999";
const PEER = "127.0.0.1:1";

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
      range(
        "protover (max)",
        ["HELLO", "3"],
        NOT_ERROR,
        ["HELLO", "4"],
        "-ERR unsupported " +
          "protocol version: use HELLO 2 or HELLO 3",
      ),
      range(
        "protover (min)",
        ["HELLO", "2"],
        NOT_ERROR,
        ["HELLO", "1"],
        "-ERR unsupported " +
          "protocol version: use HELLO 2 or HELLO 3",
      ),
      bulk("AUTH username", (v) => ["HELLO", "2", "AUTH", v, PASSWORD], WRONGPASS),
      bulk("AUTH password", (v) => ["HELLO", "2", "AUTH", "default", v], WRONGPASS),
      own("SETNAME name", "client name", 256, (v) => ["HELLO", "2", "SETNAME", v], NOT_ERROR),
    ],
  },
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
        ["CLUSTER", "ADD", "q1", "127.0.0.1:65535", CLIENT],
        OK,
        ["CLUSTER", "ADD", "q1", "127.0.0.1:65536", CLIENT],
        "-ERR Invalid peer address '127.0.0.1:65536': port must be 1-65535",
      ),
      range(
        "client port",
        ["CLUSTER", "ADD", "q2", PEER, "127.0.0.1:1"],
        OK,
        ["CLUSTER", "ADD", "q2", PEER, "127.0.0.1:0"],
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
    cases: [own("id", "member id", MEMBER_ID_MAX, (v) => ["CLUSTER", "TRANSFER", v], /^-ERR /)],
  },
  {
    command: "config|get",
    cases: [
      own("pattern", "CONFIG GET pattern", 256, (v) => ["CONFIG", "GET", v], NOT_ERROR),
      argumentCount((n) => ["CONFIG", "GET", ...padded("max*", n - 2)], NOT_ERROR),
    ],
  },
  {
    command: "config|set",
    cases: [bulk("value", (v) => ["CONFIG", "SET", "maxclients", v], /^-ERR CONFIG SET is not/)],
  },
  {
    command: "debug|propose",
    cases: [own("payload", "DEBUG PROPOSE payload", 65_536, (v) => ["DEBUG", "PROPOSE", v], OK)],
  },
  {
    command: "debug|entries",
    cases: [
      range("from-index (min)", ["DEBUG", "ENTRIES", "1", "1"], NOT_ERROR, [
        "DEBUG",
        "ENTRIES",
        "0",
        "1",
      ], `-ERR from-index must be between 1 and ${SAFE_MAX}`),
      range("from-index (max)", ["DEBUG", "ENTRIES", `${SAFE_MAX}`, "1"], /^\[\]$/, [
        "DEBUG",
        "ENTRIES",
        `${SAFE_MAX + 1}`,
        "1",
      ], `-ERR from-index must be between 1 and ${SAFE_MAX}`),
      range("count (max)", ["DEBUG", "ENTRIES", "1", "1000"], NOT_ERROR, [
        "DEBUG",
        "ENTRIES",
        "1",
        "1001",
      ], "-ERR count must be between 1 and 1000"),
      range("count (min)", ["DEBUG", "ENTRIES", "1", "1"], NOT_ERROR, [
        "DEBUG",
        "ENTRIES",
        "1",
        "0",
      ], "-ERR count must be between 1 and 1000"),
    ],
  },
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
      range("TTL (min)", ["LOCK.ACQUIRE", "a-t1", "o", "TTL", `${TTL_MIN}`], TOKEN, [
        "LOCK.ACQUIRE",
        "a-t1",
        "o",
        "TTL",
        `${TTL_MIN - 1}`,
      ], TTL_RANGE),
      range("TTL (max)", ["LOCK.ACQUIRE", "a-t2", "o", "TTL", `${TTL_MAX}`], TOKEN, [
        "LOCK.ACQUIRE",
        "a-t2",
        "o",
        "TTL",
        `${TTL_MAX + 1}`,
      ], TTL_RANGE),
      range("WAIT (max)", ["LOCK.ACQUIRE", "a-w", "o", "WAIT", `${WAIT_MAX}`], TOKEN, [
        "LOCK.ACQUIRE",
        "a-w",
        "o",
        "WAIT",
        `${WAIT_MAX + 1}`,
      ], `-ERR WAIT must be at most ${WAIT_MAX} ms`),
      range("mode", ["LOCK.ACQUIRE", "a-m", "o", "SHARED"], TOKEN, [
        "LOCK.ACQUIRE",
        "a-m",
        "o",
        "SHAREDX",
      ], "-ERR syntax error near 'SHAREDX'"),
    ],
  },
  {
    command: "lock.release",
    cases: [
      own("name", "lock name", LOCK_NAME_MAX, (v) => ["LOCK.RELEASE", v, "nobody"], ZERO),
      own("owner", "lock owner", LOCK_NAME_MAX, (v) => ["LOCK.RELEASE", "r", v], ZERO),
      range("TOKEN (min)", ["LOCK.RELEASE", "r", "o", "TOKEN", "1"], ZERO, [
        "LOCK.RELEASE",
        "r",
        "o",
        "TOKEN",
        "0",
      ], `-ERR TOKEN must be between 1 and ${SAFE_MAX}`),
      range("TOKEN (max)", ["LOCK.RELEASE", "r", "o", "TOKEN", `${SAFE_MAX}`], ZERO, [
        "LOCK.RELEASE",
        "r",
        "o",
        "TOKEN",
        `${SAFE_MAX + 1}`,
      ], NOT_INTEGER),
    ],
  },
  {
    command: "lock.refresh",
    cases: [
      own("name", "lock name", LOCK_NAME_MAX, (v) => ["LOCK.REFRESH", v, "nobody", "1000"], ZERO),
      own("owner", "lock owner", LOCK_NAME_MAX, (v) => ["LOCK.REFRESH", "f", v, "1000"], ZERO),
      range("ttl-ms (min)", ["LOCK.REFRESH", "f", "o", `${TTL_MIN}`], ZERO, [
        "LOCK.REFRESH",
        "f",
        "o",
        `${TTL_MIN - 1}`,
      ], TTL_RANGE),
      range("ttl-ms (max)", ["LOCK.REFRESH", "f", "o", `${TTL_MAX}`], ZERO, [
        "LOCK.REFRESH",
        "f",
        "o",
        `${TTL_MAX + 1}`,
      ], TTL_RANGE),
      range("TOKEN (min)", ["LOCK.REFRESH", "f", "o", "1000", "TOKEN", "1"], ZERO, [
        "LOCK.REFRESH",
        "f",
        "o",
        "1000",
        "TOKEN",
        "0",
      ], `-ERR TOKEN must be between 1 and ${SAFE_MAX}`),
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
];
