import type { CommandSpec } from "./command_table.ts";

/** The key arguments of a call from its spec's key positions (lock, queue and cache names). */
export function keysOf(spec: CommandSpec, args: readonly Uint8Array[]): Uint8Array[] {
  const first = spec.firstKey ?? 0;
  if (first < 1 || first >= args.length) return [];
  const lastKey = spec.lastKey ?? first;
  const last = lastKey < 0 ? args.length + lastKey : lastKey;
  const step = Math.max(1, spec.keyStep ?? 1);
  const keys: Uint8Array[] = [];
  for (let i = first; i <= last && i < args.length; i += step) keys.push(args[i]!);
  return keys;
}
