/** Size units and the default bound of every storage queue, buffer, batch and file. */

/** One kibibyte, in bytes. */
export const KIB = 1024;
/** One mebibyte, in bytes. */
export const MIB = 1024 * KIB;

/** Default size at which the current segment is closed and a new one started, in bytes. */
export const SEGMENT_BYTES_MAX_DEFAULT = 64 * MIB;
/** Hard ceiling of `segmentBytesMax`: entry offsets are stored as u32. */
export const SEGMENT_BYTES_CEILING = 0xffff_ffff;
/** Default size of one record (header + body; one `append()` call), in bytes. */
export const RECORD_BYTES_MAX_DEFAULT = 16 * MIB;
/** Smallest accepted `recordBytesMax`: a hard-state-only record must always fit. */
export const RECORD_BYTES_MIN = 512;
/** Default bytes of appends encoded into one write + one fdatasync (group commit). */
export const BATCH_BYTES_MAX_DEFAULT = 16 * MIB;
/** Default number of `append()` calls queued or in flight before callers are refused. */
export const PENDING_APPENDS_MAX_DEFAULT = 4096;
/** Default encoded bytes of `append()` calls queued or in flight before callers are refused. */
export const PENDING_BYTES_MAX_DEFAULT = 64 * MIB;
/** Default bytes of entry data kept in memory for fast reads of the log's tail. */
export const CACHE_BYTES_MAX_DEFAULT = 32 * MIB;
/** Default number of entries the log may hold between snapshots (index costs ~20 B each). */
export const LOG_ENTRIES_MAX_DEFAULT = 4 * 1024 * 1024;
/** Default `bytesMax` of one `entries()` read (at least one entry is always returned). */
export const READ_BYTES_MAX_DEFAULT = 4 * MIB;
/** Largest gap between two entries read from disk with one read call, in bytes. */
export const READ_GAP_BYTES_MAX = 64 * KIB;
/** Default size of a snapshot's membership configuration, in bytes. */
export const SNAPSHOT_CONFIG_BYTES_MAX_DEFAULT = 1 * MIB;
/** Default size of a snapshot's state machine image, in bytes. */
export const SNAPSHOT_DATA_BYTES_MAX_DEFAULT = 1024 * MIB;
/** Largest UTF-8 length of `votedFor`, a cluster id or a node id, in bytes (u8 prefix). */
export const ID_BYTES_MAX = 255;
/** Largest number of segment files a data directory may hold. */
export const SEGMENT_COUNT_MAX = 100_000;
/** Default number of Raft groups one node log may hold. */
export const GROUPS_MAX_DEFAULT = 1024;
