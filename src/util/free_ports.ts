/** Attempts at finding a free port range before giving up. */
const PORT_RANGE_ATTEMPTS_MAX = 100;

/** A TCP port on 127.0.0.1 that was free a moment ago (bind to 0, read it, release it). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * A base port such that, for every offset in `offsetsFromBase`, the `count` ports from
 * base + offset were free a moment ago (e.g. client ports at +0 and peer ports at +100, the
 * layout of `dsync cluster`).
 */
export function freePortRange(count: number, offsetsFromBase: number[] = [0]): number {
  const span = Math.max(...offsetsFromBase) + count;
  for (let attempt = 0; attempt < PORT_RANGE_ATTEMPTS_MAX; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (40_000 - span));
    const ports = offsetsFromBase.flatMap((offset) =>
      Array.from({ length: count }, (_, i) => base + offset + i)
    );
    try {
      for (const port of ports) Deno.listen({ hostname: "127.0.0.1", port }).close();
      return base;
    } catch {
      continue;
    }
  }
  throw new Error(`Cannot find ${count} free ports at offsets ${offsetsFromBase} on 127.0.0.1`);
}
