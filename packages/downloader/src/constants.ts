/**
 * Defaults and limits. Most follow go-ethereum's full-sync downloader (v1.8) so that a mixed
 * network behaves alike; every one can be overridden through `DownloaderOptions`.
 */

/** How far below our head a common ancestor may lie (3 × the ethash epoch, like geth). */
export const maxForkAncestry = 90_000
/** Headers per request (and per skeleton gap). */
export const maxHeaderFetch = 192
/** Skeleton points per skeleton request (128 × 192 = 24,576 headers per round). */
export const maxSkeletonSize = 128
/** Bodies per request at most. */
export const maxBodyFetch = 128
/** Receipt lists per request at most (fast sync). */
export const maxReceiptFetch = 256
/** State trie nodes per request at most (fast sync). */
export const maxStateFetch = 384
/** Header gap fills one peer may have in flight at once. */
export const maxHeaderFillInflightPerPeer = 3
/**
 * GetNodeData requests one peer may have in flight at once (fast sync). Six: with three, the end
 * of a one-peer state download (after the blocks are stored) waited on round trips with the
 * syncing process partly idle; the serving side reads each answer in one batched read.
 */
export const maxStateInflightPerPeer = 6
/**
 * GetBlockBodies requests one peer may have in flight at once. A full body answer is capped by
 * the serving side's 2 MiB soft limit, so a run of full blocks takes several; one at a time left
 * the link idle while the peer read the next blocks and while we checked the last answer.
 */
export const maxBodyInflightPerPeer = 3
/** GetReceipts requests one peer may have in flight at once (fast sync), as for bodies. */
export const maxReceiptInflightPerPeer = 3
/** Step of the ancestor spread request: one header every 16. */
export const ancestorSpreadStep = 16

/** Most blocks handed to `insertChain` at once. */
export const maxImportBatch = 2048
/** Most results (headers scheduled for body download or waiting for import) held at once. */
export const maxPendingResults = 8192
/** Memory bound for downloaded bodies waiting for import, in bytes. */
export const maxPendingResultBytes = 64 * 1024 * 1024
/** Estimated bytes of a body before any has been measured. */
export const initialBodySizeBytes = 1024
/** Estimated bytes of one block's receipts before any has been measured. */
export const initialReceiptsSizeBytes = 1024

/** Fast sync: blocks below the head that are executed in full; the pivot is head − this (go-ethereum's fsMinFullBlocks). */
export const fsMinFullBlocks = 64
/**
 * Fast sync: one header in this many below the pivot has its seal checked (a random one of each
 * run of this many in an import batch, and always the batch's last), as go-ethereum's
 * `fsHeaderCheckFrequency`; 1 checks every seal.
 */
export const fsHeaderCheckFrequency = 100
/** Fast sync: a batch ending this close to the pivot (or above) has every seal checked (geth's `fsHeaderForceVerify`). */
export const fsHeaderForceVerify = 24
/** Fast sync: how often the master is asked for newer headers while the pivot's state downloads. */
export const fsHeaderContCheckMs = 3_000

/** Lower and upper bounds of the round-trip target. */
export const rttMinEstimateMs = 2_000
export const rttMaxEstimateMs = 20_000
/** Lowest confidence in the round-trip estimate (it drops as peers join). */
export const rttMinConfidence = 0.1
/** A request may take this many round-trip targets (divided by confidence). */
export const ttlScaling = 3
/** No request may take longer than this. */
export const ttlLimitMs = 60_000
/** How many of the best peers' round trips tune the shared estimate. */
export const qosTuningPeers = 5
/** Weight of the median peer round trip when tuning the shared estimate. */
export const qosTuningImpact = 0.25
/** Weight of one measurement in a peer's throughput and round-trip averages. */
export const measurementImpact = 0.1

/** Consecutive expired requests after which a peer is dropped. */
export const maxConsecutiveTimeouts = 3
/** A request of at most this many items that expires gets the peer dropped at once (geth's rule). */
export const dropOnTimeoutItems = 2
/** Consecutive empty answers to body or header-fill requests before a peer is no longer asked in this sync. */
export const maxEmptyResponses = 3
/** Unrequested deliveries reported through `reportUnrequested` at which the peer is dropped (one late answer to an expired request is tolerated). */
export const maxUnrequestedDeliveries = 2
/** Most headers queued (skeleton gaps, filled batches and result slots) before the skeleton waits. */
export const maxQueuedHeaders = 32 * 1024
