/** Defaults and limits of the live peer and the peer set. */

/** Block hashes remembered per peer as known (FIFO eviction beyond this). */
export const maxKnownBlocks = 1_024

/** Transaction hashes remembered per peer as known (FIFO eviction beyond this). */
export const maxKnownTxs = 32_768

/** Announcements waiting per peer for a slow connection; more are dropped and counted. */
export const broadcastQueueSize = 256

/** Default maximum number of registered peers. */
export const maxPeers = 50

// ---------------------------------------------------------------- reputation (PeerScores)
// The model is reth's (`crates/net/network-types/src/peers/reputation.rs`): every peer starts at 0,
// each offence subtracts its cost, and a peer whose score falls below the ban threshold is dropped
// and banned. reth counts in units of 1,024; these are in whole units (reth's bad message is 16
// units, its timeout 4, its ban threshold 50).

/** Score of a peer never reported (and the ceiling scores recover to). */
export const defaultReputation = 0
/** A score below this drops and bans the peer (reth: 50 units below the default). */
export const banThresholdScore = -50
/** Lowest score kept; a protocol breach lands here. */
export const minReputationScore = -1_000
/** Cost of a message that does not decode, is too large or has an unknown code (reth: 16 units). */
export const badMessageCost = 16
/**
 * Cost of a response that cannot be the answer (more items than asked, headers that do not link,
 * bodies or receipts that do not match their roots) (reth's bad block / bad transactions: 16).
 */
export const badResponseCost = 16
/** Cost of a request not answered in time (reth: 4 units): 13 in a row before a ban, not one. */
export const timeoutCost = 4
/** Cost of a response to nothing asked (late, duplicate, never requested). */
export const unsolicitedResponseCost = 2
/** Cost of a useless announcement: unrequested data, an invalid or wrong-typed announced item (reth: 1 unit). */
export const uselessAnnouncementCost = 1
/** Cost of a block or transaction the peer had already sent or been sent (reth: half a unit). Report once per message. */
export const alreadySeenCost = 0.5
/** Cost of a message over a flood limit (announcements beyond `announcementsPerPeerPerSecond`). */
export const floodCost = 8
/** Cost of a protocol breach: the score drops to `minReputationScore` at once (reth: `i32::MIN`). */
export const protocolBreachCost = 1_000
/** Largest cost one offence takes from a trusted peer (reth: 2 units); trusted peers are never banned. */
export const trustedMaxCost = 2
/** Points a score climbs back towards 0 per minute without offences (0 turns recovery off). */
export const reputationRecoveryPerMinute = 1
/** How long a banned peer id stays banned (reth: 12 hours). */
export const banDurationMs = 12 * 60 * 60 * 1_000
/** Banned peer ids kept at most; beyond this the least recently banned is forgotten first. */
export const maxBannedPeers = 1_024
/** Scored peer ids kept at most (connected or not); beyond this the least recently reported is forgotten. */
export const maxScoredPeers = 4_096

// ---------------------------------------------------------------- flood limits (FloodLimits)
// Token buckets per peer and kind, counted in items (hashes, headers, transactions), refilled
// continuously at the rate, holding at most the burst. go-ethereum and reth bound these by
// outstanding counts (go-ethereum's tx fetcher: 4,096 announced hashes per peer, 256 per request;
// its handlers: 1,024 headers / bodies / receipts per request); these turn them into rates.

/** Announced hashes (block and transaction announcements together) accepted per peer per second. */
export const announcementsPerPeerPerSecond = 1_024
/** Announced hashes a peer may send at once (two full 4,096-hash announcements, e.g. its txsync). */
export const announcementsBurstPerPeer = 8_192
/** Requested hashes we do not have (block, body, receipt, transaction lookups that miss) per peer per second. */
export const unknownHashRequestsPerPeerPerSecond = 256
/** Unknown-hash lookups a peer may make at once. */
export const unknownHashRequestsBurstPerPeer = 1_024
/** Pooled transactions served per peer per second (16 of go-ethereum's 256-hash requests). */
export const pooledTransactionsServedPerPeerPerSecond = 4_096
/** Pooled transactions served to a peer at once. */
export const pooledTransactionsServedBurstPerPeer = 4_096
/** Block headers served per peer per second (about 42 requests of 192 headers). */
export const headersServedPerPeerPerSecond = 8_192
/** Block headers served to a peer at once (4 of go-ethereum's 1,024-header maximum requests). */
export const headersServedBurstPerPeer = 4_096
/** Block bodies served per peer per second. */
export const bodiesServedPerPeerPerSecond = 4_096
/** Block bodies served to a peer at once. */
export const bodiesServedBurstPerPeer = 8_192
/** Block receipt lists served per peer per second. */
export const receiptsServedPerPeerPerSecond = 4_096
/** Block receipt lists served to a peer at once. */
export const receiptsServedBurstPerPeer = 8_192
/** Peers whose buckets are kept at most; beyond this the least recently used peer's are forgotten. */
export const maxRateLimitedPeers = 1_024
