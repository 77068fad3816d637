/** The figures the scale section measures, as plain data (the text and charts are built from them). */

/** Idle cost of one cluster size: 3 nodes with `slots` slots, after every group went quiet. */
export interface IdleRow {
  slots: number;
  /** Raft groups hosted per node (INFO raft), mean over the nodes. */
  groupsPerNode: number;
  /** CPU over the idle window, % of one core: mean and largest over the nodes. */
  cpuPercentMean: number;
  cpuPercentMax: number;
  /** Resident memory at the end of the window, mean over the nodes. */
  rssBytesMean: number;
}

/** Memory per item of one kind, from RSS slopes while filling a 3-node cluster. */
export interface MemoryRow {
  /** "held lock", "queued message", "cached line". */
  item: string;
  /** Items filled in all. */
  count: number;
  /** Slope on the node leading the items' group, bytes per item (null where leadership is spread). */
  leaderBytesPerItem: number | null;
  /** Slope on the other nodes (mean), bytes per item (null where leadership is spread). */
  followerBytesPerItem: number | null;
  /** Slope on every node n1..n3, bytes per item. */
  nodeBytesPerItem: number[];
  /** Fill commands sent again after -TIMEOUT or -TRYAGAIN (a resent push may be stored twice). */
  resentCount: number;
}

/** Memory per item of a peer system (redis-server: used_memory growth per SET). */
export interface PeerMemoryRow {
  peer: string;
  item: string;
  count: number;
  bytesPerItem: number;
}

/** Server CPU cost of one operation, over a workload of a fixed count (or a bounded time). */
export interface CostRow {
  /** "dsync-3", "etcd-3", "redis-server". */
  system: string;
  /** "lock cycle", "SET", "GET", "QUEUE.PUSH", "POP+ACK", "put". */
  op: string;
  clientCount: number;
  operations: number;
  seconds: number;
  /** CPU of every server process over the workload, ms. */
  serverCpuMs: number;
  /** CPU of the load generator (this process) over the workload, ms. */
  clientCpuMs: number;
  cpuMsPerOp: number | null;
  opsPerSecond: number;
  /** The machine's 1-minute load average right after the workload. */
  loadAverage1m: number;
}

/** fdatasync latency of 4 KiB writes in the section's work directory. */
export interface FsyncFigures {
  count: number;
  p50Ms: number;
  p99Ms: number;
}
