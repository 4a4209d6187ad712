/** Defaults and limits of the live peer and the peer set. */

/** Block hashes remembered per peer as known (FIFO eviction beyond this). */
export const maxKnownBlocks = 1_024

/** Transaction hashes remembered per peer as known (FIFO eviction beyond this). */
export const maxKnownTxs = 32_768

/** Announcements waiting per peer for a slow connection; more are dropped and counted. */
export const broadcastQueueSize = 256

/** Default maximum number of registered peers. */
export const maxPeers = 50
