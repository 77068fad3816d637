/** Most slots a cluster may have (the Redis Cluster keyspace size). */
export const SLOT_COUNT_MAX = 16_384;
/** Default `--slots`: fixed when the cluster is created. */
export const SLOT_COUNT_DEFAULT = 64;
/** Most virtual nodes (ring points) per member. */
export const VNODES_MAX = 1_024;
/** Default `--vnodes` per member. */
export const VNODES_DEFAULT = 64;
/** Most replicas per slot (voters of one slot group once settled). */
export const REPLICAS_MAX = 9;
/** Default `--replicas` per slot (at most the member count is used). */
export const REPLICAS_DEFAULT = 3;
/** Most cluster members on the ring (as many as the meta group may hold). */
export const RING_MEMBERS_MAX = 64;
/** Longest member id, in UTF-16 code units (as the peer handshake allows). */
export const MEMBER_ID_CHARS_MAX = 128;
