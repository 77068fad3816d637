/**
 * Known-bad variants of the Raft core and its production host that the simulator must catch. Each
 * is a textual replacement applied to a copy of the source (see `mutant_copy.ts`); the anchor must
 * match exactly once, so a refactor that moves the code fails the mutation check instead of
 * silently disabling it.
 * @module
 */

/** One deliberate bug. */
export interface Mutant {
  /** Short name used in reports and test names. */
  readonly name: string;
  /** What the bug breaks, in one line. */
  readonly breaks: string;
  /** File to mutate, relative to the repository root. */
  readonly path: string;
  /** Exact text to replace; must occur exactly once in `path`. */
  readonly anchor: string;
  /** Replacement text. */
  readonly replacement: string;
  /** The failure must name one of these checks (a crash or liveness failure does not count). */
  readonly caughtBy: RegExp;
  /**
   * The mutation check fails if no seed in `1..seedsMax` catches the mutant (about twice the worst
   * gap between catches measured with `deno task sim:mutants --rounds 20`, for the rarer ones).
   */
  readonly seedsMax: number;
}

/** Every mutant the simulator must catch; the CI test and `deno task sim:mutants` run them all. */
export const MUTANTS: readonly Mutant[] = [
  {
    name: "figure8-commit-rule",
    breaks: "leader commits an old-term entry by counting replicas (Raft paper, Figure 8)",
    path: "src/raft/leader.ts",
    anchor: "if (index <= before || s.log.term(index) !== s.term) return false;",
    replacement: "if (index <= before) return false;",
    caughtBy: /committed entry|leader completeness|state machine safety|truncating committed/,
    seedsMax: 200,
  },
  {
    name: "election-restriction",
    breaks: "votes granted without the candidate's log being at least as up to date",
    path: "src/raft/election.ts",
    anchor: "if (canVote && s.log.isUpToDate(m.index, m.logTerm)) {",
    replacement: "if (canVote) {",
    caughtBy: /committed entry|leader completeness|state machine safety|truncating committed/,
    seedsMax: 50,
  },
  {
    name: "log-matching",
    breaks: "append accepted when an entry exists at prevLogIndex, whatever its term",
    path: "src/raft/raft_log.ts",
    anchor: "if (!this.matchTerm(prevIndex, prevTerm)) return null;",
    replacement: "if (this.term(prevIndex) === undefined) return null;",
    caughtBy: /log matching|committed entry|leader completeness|state machine safety/,
    seedsMax: 50,
  },
  {
    name: "read-without-quorum",
    breaks: "ReadIndex answered at once, without a heartbeat round acknowledged by a quorum",
    path: "src/raft/read_index.ts",
    anchor: "  if (leaseValid(s)) {\n    completeRead(s, read);",
    replacement: "  if (leaseValid(s) || read.index >= 0) {\n    completeRead(s, read);",
    caughtBy: /linearizable read/,
    seedsMax: 150,
  },
  {
    name: "ack-before-fsync",
    breaks: "append acknowledgements sent before the follower's entries are durable",
    path: "src/raft/raft_node.ts",
    anchor: '  "append",\n  "heartbeat",\n',
    replacement: '  "append",\n  "appendResponse",\n  "heartbeat",\n',
    caughtBy: /commit durability/,
    seedsMax: 50,
  },
  {
    name: "host-sends-before-fsync",
    breaks: "the node's host sends a Ready's messages before its entries are durable",
    path: "src/consensus/raft_host.ts",
    anchor: "      if (this.#mustSync(ready)) {",
    replacement: "      if (this.#mustSync(ready) && ready.messages.length === 0) {",
    caughtBy: /commit durability/,
    seedsMax: 50,
  },
];
