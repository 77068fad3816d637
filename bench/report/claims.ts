/**
 * What the founding documents claimed (3 nodes), never measured by them: the report prints these
 * beside its measured summary, labelled as claims.
 */

/** One claim of the founding documents. */
export interface FoundingClaim {
  /** The primitive of the summary rows it belongs beside ("locks", "queues", ...). */
  primitive: string;
  /** The claim as the documents wrote it. */
  text: string;
}

/** Every figure the founding documents claimed. */
export const FOUNDING_CLAIMS: readonly FoundingClaim[] = [
  { primitive: "locks", text: "1,200 lock ops/s on 3 nodes" },
  { primitive: "queues", text: "6,500 queue msgs/s on 3 nodes" },
  { primitive: "cache", text: "8,000 cache ops/s on 3 nodes" },
  { primitive: "failover", text: "failure detection 3.2 s" },
  { primitive: "failover", text: "election 4.1 s" },
  { primitive: "failover", text: "recovery 7.3 s" },
];

/** The locks claim, for the locks section's summary row. */
export const LOCK_OPS_CLAIM = FOUNDING_CLAIMS[0]!.text;
/** The failover claims, for the failures section's summary rows. */
export const DETECTION_CLAIM = FOUNDING_CLAIMS[3]!.text;
export const ELECTION_CLAIM = FOUNDING_CLAIMS[4]!.text;
export const RECOVERY_CLAIM = FOUNDING_CLAIMS[5]!.text;
