import type { Entry, NodeId } from "../../src/raft/mod.ts";

/** A violated safety property; the message names the property and the evidence. */
export class InvariantError extends Error {
  /** Creates an error prefixed with the property name. */
  constructor(property: string, detail: string) {
    super(`${property}: ${detail}`);
    this.name = "InvariantError";
  }
}

/** A short, stable identity of an entry's content. */
export function entryKey(entry: Entry): string {
  let text = "";
  for (let i = 0; i < entry.data.length && i < 64; i++) text += String.fromCharCode(entry.data[i]!);
  return `${entry.kind}/${entry.term}/${entry.data.length}/${text}`;
}

/** Folds an entry key into a running state machine hash (FNV-1a style, 32-bit). */
export function foldHash(hash: number, key: string): number {
  let h = hash ^ 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Global safety checker fed by every simulated host. */
export class InvariantChecker {
  #leaderByTerm = new Map<number, NodeId>();
  /** index -> key of the first applied entry there (state machine safety). */
  #appliedKey = new Map<number, string>();
  /** index -> state machine hash after applying it. */
  #hashAt = new Map<number, number>([[0, 0]]);
  /** "index/term" -> key and previous term of the first persisted entry there (log matching). */
  #persisted = new Map<string, string>();
  /** index -> term of the entry first seen committed there (committed entries never change). */
  #committedTerm = new Map<number, number>();
  /** Per node: highest index whose committed term was checked (reset on restart). */
  #commitChecked = new Map<NodeId, number>();
  /** Highest index applied anywhere (every write at or below it is acknowledged). */
  maxAppliedIndex = 0;
  /** Highest index any node has reported committed. */
  maxCommittedIndex = 0;

  /** At most one leader per term; the new leader holds every applied entry. */
  onLeader(id: NodeId, term: number, termAt: (index: number) => number | undefined): void {
    const existing = this.#leaderByTerm.get(term);
    if (existing !== undefined && existing !== id) {
      throw new InvariantError("election safety", `${existing} and ${id} both lead term ${term}`);
    }
    if (existing === id) return;
    this.#leaderByTerm.set(term, id);
    const top = Math.max(this.maxAppliedIndex, this.maxCommittedIndex);
    for (let index = top; index >= 1; index--) {
      const key = this.#appliedKey.get(index);
      const committed = key !== undefined ? keyTerm(key) : this.#committedTerm.get(index);
      const held = termAt(index);
      if (held === undefined) break; // Compacted: covered by its snapshot, which is committed.
      if (committed !== undefined && committed !== held) {
        throw new InvariantError(
          "leader completeness",
          `${id} leads term ${term} but holds term ${held} at committed index ${index} ` +
            `(committed term ${committed}${key === undefined ? "" : `, applied ${key}`})`,
        );
      }
    }
  }

  /**
   * A node's commit index covers entries that may never change: the term at every index up to
   * `commitIndex` must equal the term any node ever saw committed there (checked after each
   * event, for the indexes this node newly commits).
   */
  onCommitIndex(
    id: NodeId,
    commitIndex: number,
    termAt: (index: number) => number | undefined,
  ): void {
    const checked = Math.min(this.#commitChecked.get(id) ?? 0, commitIndex);
    for (let index = checked + 1; index <= commitIndex; index++) {
      const held = termAt(index);
      if (held === undefined) continue; // Compacted: its snapshot is checked on restore.
      const existing = this.#committedTerm.get(index);
      if (existing === undefined) {
        this.#committedTerm.set(index, held);
      } else if (existing !== held) {
        throw new InvariantError(
          "committed entry changed",
          `${id} committed term ${held} at index ${index}, committed before with term ${existing}`,
        );
      }
    }
    this.#commitChecked.set(id, commitIndex);
    this.maxCommittedIndex = Math.max(this.maxCommittedIndex, commitIndex);
  }

  /** `id` restarted from storage: check its committed prefix again. */
  onRestart(id: NodeId): void {
    this.#commitChecked.set(id, 0);
  }

  /** Same index and term imply the same entry and the same predecessor term. */
  onPersist(id: NodeId, entry: Entry, prevTerm: number | undefined): void {
    const slot = `${entry.index}/${entry.term}`;
    const value = `${entryKey(entry)}<${prevTerm ?? "?"}`;
    const existing = this.#persisted.get(slot);
    if (existing === undefined) {
      this.#persisted.set(slot, value);
    } else if (existing.split("<")[0] !== value.split("<")[0] || conflictPrev(existing, value)) {
      throw new InvariantError(
        "log matching",
        `${id} stores ${value} at ${slot}, seen ${existing}`,
      );
    }
  }

  /** Every node applies the same entry at each index; returns the hash after applying it. */
  onApply(id: NodeId, entry: Entry, hashBefore: number): number {
    const key = entryKey(entry);
    const hash = foldHash(hashBefore, key);
    const existing = this.#appliedKey.get(entry.index);
    if (existing === undefined) {
      this.#appliedKey.set(entry.index, key);
      this.#hashAt.set(entry.index, hash);
      this.maxAppliedIndex = Math.max(this.maxAppliedIndex, entry.index);
    } else if (existing !== key || this.#hashAt.get(entry.index) !== hash) {
      throw new InvariantError(
        "state machine safety",
        `${id} applied ${key} at ${entry.index}, others applied ${existing}`,
      );
    }
    return hash;
  }

  /** A restored snapshot must equal the state every node reached at its index. */
  onSnapshotRestore(id: NodeId, index: number, hash: number): void {
    const expected = this.#hashAt.get(index);
    if (expected === undefined) {
      throw new InvariantError("snapshot safety", `${id} restored index ${index} never applied`);
    }
    if (expected !== hash) {
      throw new InvariantError("snapshot safety", `${id} restored a divergent state at ${index}`);
    }
  }

  /** A linearizable read must see every write acknowledged before it started. */
  onRead(id: NodeId, requestId: number, readIndex: number, minIndex: number): void {
    if (readIndex < minIndex) {
      throw new InvariantError(
        "linearizable read",
        `${id} read ${requestId} at index ${readIndex} below acknowledged ${minIndex}`,
      );
    }
  }

  /** Key of the entry applied at `index`, if any node applied it. */
  appliedKeyAt(index: number): string | undefined {
    return this.#appliedKey.get(index);
  }

  /** The hash of the global state machine at `index`, if known. */
  hashAt(index: number): number | undefined {
    return this.#hashAt.get(index);
  }
}

function keyTerm(key: string): number {
  return Number(key.split("/")[1]);
}

function conflictPrev(a: string, b: string): boolean {
  const pa = a.split("<")[1];
  const pb = b.split("<")[1];
  return pa !== "?" && pb !== "?" && pa !== pb;
}
