/**
 * A direct-mapped cache of short ASCII strings by their bytes, for decoders of many repeated
 * strings (the owners in a lock table snapshot): a repeat returns the string decoded before,
 * without allocating a new one. A slot holds the last string hashed to it; a collision only
 * costs a decode. Pure, bounded by its slot count.
 */
export class StringInterner {
  readonly #slots: (string | undefined)[];
  readonly #mask: number;

  /** A cache of 2^`slotCountLog2` strings (1..20). */
  constructor(slotCountLog2 = 14) {
    if (!Number.isInteger(slotCountLog2) || slotCountLog2 < 1 || slotCountLog2 > 20) {
      throw new RangeError(`slotCountLog2 ${slotCountLog2} is not an integer in 1..20`);
    }
    this.#slots = new Array<string | undefined>(1 << slotCountLog2).fill(undefined);
    this.#mask = (1 << slotCountLog2) - 1;
  }

  /** The slot of `bytes[start, end)` (FNV-1a over the bytes). */
  slotOf(bytes: Uint8Array, start: number, end: number): number {
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
    return (hash ^ (hash >>> 15)) & this.#mask;
  }

  /** The cached string in `slot` if it equals `bytes[start, end)` read as ASCII. */
  find(slot: number, bytes: Uint8Array, start: number, end: number): string | undefined {
    const known = this.#slots[slot];
    if (known === undefined || known.length !== end - start) return undefined;
    for (let i = start; i < end; i++) {
      if (known.charCodeAt(i - start) !== bytes[i]) return undefined;
    }
    return known;
  }

  /** Caches `ascii` (all code units below 0x80) in `slot`. */
  remember(slot: number, ascii: string): void {
    this.#slots[slot] = ascii;
  }
}
