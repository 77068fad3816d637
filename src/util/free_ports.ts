/** Attempts at finding a free port (or port range) before giving up. */
const PORT_ATTEMPTS_MAX = 100;
/**
 * Ports are drawn from [20000, 32768): below Linux's default ephemeral range (32768-60999), where
 * the kernel picks the local port of every outgoing connection. A port read from a bind to 0 lies
 * in that range, and a connection opened by any process before the node binds it can take it
 * ("Address already in use").
 */
const PORT_MIN = 20_000;
const PORT_END = 32_768;
/** Ports this process handed out already: not handed out again until half the range was. */
const handedOut = new Set<number>();
const HANDED_OUT_MAX = (PORT_END - PORT_MIN) / 2;

/** A TCP port on 127.0.0.1 that was free a moment ago and outgoing connections do not take. */
export function freePort(): number {
  return freePortRange(1);
}

/**
 * A base port such that, for every offset in `offsetsFromBase`, the `count` ports from
 * base + offset were free a moment ago (e.g. client ports at +0 and peer ports at +100, the
 * layout of `dsync cluster`).
 */
export function freePortRange(count: number, offsetsFromBase: number[] = [0]): number {
  const span = Math.max(...offsetsFromBase) + count;
  for (let attempt = 0; attempt < PORT_ATTEMPTS_MAX; attempt++) {
    const base = PORT_MIN + Math.floor(Math.random() * (PORT_END - PORT_MIN - span));
    const ports = offsetsFromBase.flatMap((offset) =>
      Array.from({ length: count }, (_, i) => base + offset + i)
    );
    if (ports.some((port) => handedOut.has(port))) continue;
    try {
      for (const port of ports) Deno.listen({ hostname: "127.0.0.1", port }).close();
    } catch {
      continue;
    }
    if (handedOut.size + ports.length > HANDED_OUT_MAX) handedOut.clear();
    for (const port of ports) handedOut.add(port);
    return base;
  }
  throw new Error(`Cannot find ${count} free ports at offsets ${offsetsFromBase} on 127.0.0.1`);
}
