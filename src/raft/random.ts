/** A tiny seeded pseudo-random generator (32-bit state, xorshift-multiply mixing). */
export class SeededRandom {
  #state: number;

  /** Creates a generator; equal seeds always produce equal sequences. */
  constructor(seed: number) {
    this.#state = (seed >>> 0) ^ 0x9e3779b9;
    if (this.#state === 0) this.#state = 0x6d2b79f5;
  }

  /** Returns the next value in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  }

  /** Returns an integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** Returns true with the given probability in [0, 1]. */
  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** A `() => number` view, suitable for `RaftConfig.random`. */
  fn(): () => number {
    return () => this.next();
  }
}
