/** Initial sync: most bytes of transactions in one pack (sum of `size`), as go-ethereum's txsyncPackSize. */
export const txsyncPackSizeBytes = 100 * 1024
/** Initial sync: a pack not delivered within this time counts as a failed send. */
export const packTimeoutMs = 30_000
/** Broadcast: peers at or above this eth version get announcements; below, full transactions. */
export const defaultAnnounceFromVersion = 66
/** Most hashes in one NewPooledTransactionHashes message. */
export const maxAnnounceHashes = 4096
/** The eth version that added types and sizes to announcements. */
export const typedAnnouncementsVersion = 68
/** EIP-4844 blob transaction type: only ever announced. */
export const blobTxType = 3
