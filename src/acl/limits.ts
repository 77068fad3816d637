/** Users kept at most (the implicit `default` included). */
export const ACL_USERS_MAX = 1024;
/** Bytes of a user name at most. */
export const ACL_USER_NAME_BYTES_MAX = 128;
/** Command and category rules kept per user at most. */
export const ACL_COMMAND_RULES_MAX = 64;
/** Key patterns per user at most. */
export const ACL_KEY_PATTERNS_MAX = 64;
/** Bytes of one key pattern at most. */
export const ACL_KEY_PATTERN_BYTES_MAX = 256;
/** Passwords per user at most. */
export const ACL_PASSWORDS_MAX = 8;
/** Bytes of a password at most (it is hashed, never stored). */
export const ACL_PASSWORD_BYTES_MAX = 512;
/** PBKDF2-SHA-256 iterations of a new password hash (about 30 ms on one core). */
export const PASSWORD_HASH_ITERATIONS = 100_000;
/** Iterations a stored hash may claim at most (a decoded entry is input). */
export const PASSWORD_HASH_ITERATIONS_MAX = 10_000_000;
/** Bytes of a password hash's salt. */
export const PASSWORD_SALT_BYTES = 16;
/** Bytes of a password hash. */
export const PASSWORD_HASH_BYTES = 32;
/** Client addresses the failed-AUTH limiter tracks at most (oldest forgotten first). */
export const AUTH_LIMITER_ADDRESSES_MAX = 4096;
/** Failed AUTH attempts an address may make in a burst before it is slowed down. */
export const AUTH_FAILURES_BURST = 10;
/** After the burst, one more failed attempt is allowed per this many ms. */
export const AUTH_FAILURE_REFILL_MS = 1_000;
