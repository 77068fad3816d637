/** This build's version. */
export const DSYNC_VERSION = "0.1.0";
/** The redis version clients are told, so that feature checks in client libraries pass. */
export const REDIS_COMPAT_VERSION = "7.0.0";
