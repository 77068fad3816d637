/** Answer kinds of a storm client: `grant`, `null`, `-CODE` errors, or what went wrong. */
export type StormAnswer = "grant" | "null" | `-${string}` | "closed" | "timeout" | "connectFailed";

/** One connection storm: every port gets `clientsPerPort` connections opened at once. */
export interface StormPlan {
  ports: number[];
  clientsPerPort: number;
  /** Lock names are `${prefix}-${i % lockCount}`: some clients contend, most get a grant. */
  lockPrefix: string;
  lockCount: number;
  /** Deadline of one client, from its connect to its reply. */
  clientTimeoutMs: number;
}

/** What a storm got back: answers per kind and how long it took. */
export interface StormResult {
  answers: Map<StormAnswer, number>;
  clientCount: number;
  elapsedMs: number;
}

const encoder = new TextEncoder();
const REPLY_BYTES_MAX = 4096;

/**
 * Opens every client at once, each sends one `LOCK.ACQUIRE name owner WAIT 0` as raw RESP and
 * reads one reply line. Raw sockets keep thousands of clients cheap for the driving process.
 */
export async function runConnectionStorm(plan: StormPlan): Promise<StormResult> {
  const started = performance.now();
  const clients: Promise<StormAnswer>[] = [];
  let index = 0;
  for (const port of plan.ports) {
    for (let i = 0; i < plan.clientsPerPort; i++, index++) {
      const name = `${plan.lockPrefix}-${index % plan.lockCount}`;
      clients.push(oneClient(port, name, `owner-${index}`, plan.clientTimeoutMs));
    }
  }
  const answers = new Map<StormAnswer, number>();
  for (const answer of await Promise.all(clients)) {
    answers.set(answer, (answers.get(answer) ?? 0) + 1);
  }
  return { answers, clientCount: clients.length, elapsedMs: performance.now() - started };
}

/** Formats answers as `grant=1 null=2 -LIMIT=3`, sorted by kind. */
export function formatAnswers(answers: Map<StormAnswer, number>): string {
  return [...answers.entries()].sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, count]) => `${kind}=${count}`).join(" ");
}

async function oneClient(
  port: number,
  name: string,
  owner: string,
  timeoutMs: number,
): Promise<StormAnswer> {
  let conn: Deno.TcpConn | null = null;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn?.close();
    } catch {
      // already closed
    }
  }, timeoutMs);
  try {
    try {
      conn = await Deno.connect({ hostname: "127.0.0.1", port });
    } catch {
      return timedOut ? "timeout" : "connectFailed";
    }
    if (timedOut) {
      conn.close();
      return "timeout";
    }
    const request = `*5\r\n$12\r\nLOCK.ACQUIRE\r\n$${name.length}\r\n${name}\r\n` +
      `$${owner.length}\r\n${owner}\r\n$4\r\nWAIT\r\n$1\r\n0\r\n`;
    await conn.write(encoder.encode(request));
    const line = await readLine(conn);
    conn.close();
    if (line === null) return timedOut ? "timeout" : "closed";
    return classify(line);
  } catch (error) {
    return timedOut
      ? "timeout"
      : `closed:${error instanceof Error ? error.name : "?"}` as StormAnswer;
  } finally {
    clearTimeout(timer);
  }
}

async function readLine(conn: Deno.TcpConn): Promise<string | null> {
  const buffer = new Uint8Array(REPLY_BYTES_MAX);
  let length = 0;
  while (length < buffer.length) {
    const count = await conn.read(buffer.subarray(length));
    if (count === null) return null;
    length += count;
    const text = new TextDecoder().decode(buffer.subarray(0, length));
    const end = text.indexOf("\r\n");
    if (end >= 0) return text.slice(0, end);
  }
  return null;
}

function classify(line: string): StormAnswer {
  if (line.startsWith(":")) return "grant";
  if (line === "$-1" || line === "_" || line === "*-1") return "null";
  if (line.startsWith("-")) return `-${line.slice(1).split(" ")[0]}`;
  return `-unexpected:${line.slice(0, 20)}` as StormAnswer;
}
