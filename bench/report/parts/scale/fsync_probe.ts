/** fdatasync latency of the disk under a directory: what every durable commit waits for. */
import type { FsyncFigures } from "./figures.ts";
import { quantile } from "./slope.ts";

const BLOCK_BYTES = 4096;

/** Writes and fdatasyncs `count` 4 KiB blocks in a new file under `dir`; the file is removed. */
export async function measureFsync(dir: string, count: number): Promise<FsyncFigures> {
  if (!Number.isSafeInteger(count) || count < 1 || count > 10_000) {
    throw new RangeError(`fsync probe count ${count}: expected 1..10000`);
  }
  const path = `${dir}/fsync-probe.bin`;
  const block = new Uint8Array(BLOCK_BYTES).fill(0x5a);
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const latenciesMs: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      let offset = 0;
      while (offset < block.length) offset += await file.write(block.subarray(offset));
      const t0 = performance.now();
      await file.syncData();
      latenciesMs.push(performance.now() - t0);
    }
  } finally {
    file.close();
    await Deno.remove(path).catch(() => {});
  }
  return { count, p50Ms: quantile(latenciesMs, 0.5), p99Ms: quantile(latenciesMs, 0.99) };
}
