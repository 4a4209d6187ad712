/**
 * @ethwire/peerset — the live eth peer (its head, TD or block range, bounded sets of known
 * blocks and transactions, send helpers, queued broadcasts, request helpers matched by request
 * id), the bounded set of registered peers, peer reputation (`PeerScores`: costs, bans, eviction)
 * and flood limits (`FloodLimits`: token buckets per peer and kind of traffic).
 *
 * @example
 * ```ts
 * import { Peer, PeerSet } from '@ethwire/peerset'
 * const peers = new PeerSet({ maxPeers: 25 })
 * const peer = new Peer({ conn, status: remoteStatus })
 * peers.register(peer)
 * const headers = await peer.requestHeadersByNumber({ number: 0n, amount: 16 })
 * ```
 */

/** @deprecated import it from `@ethwire/interface/runtime` (one emitter for every package). */
export { TypedEmitter } from '@ethwire/interface/runtime'
export {
  alreadySeenCost,
  announcementsBurstPerPeer,
  announcementsPerPeerPerSecond,
  badMessageCost,
  badResponseCost,
  banDurationMs,
  banThresholdScore,
  bodiesServedBurstPerPeer,
  bodiesServedPerPeerPerSecond,
  broadcastQueueSize,
  defaultReputation,
  floodCost,
  headersServedBurstPerPeer,
  headersServedPerPeerPerSecond,
  maxBannedPeers,
  maxKnownBlocks,
  maxKnownTxs,
  maxPeers,
  maxRateLimitedPeers,
  maxScoredPeers,
  minReputationScore,
  pooledTransactionsServedBurstPerPeer,
  pooledTransactionsServedPerPeerPerSecond,
  protocolBreachCost,
  receiptsServedBurstPerPeer,
  receiptsServedPerPeerPerSecond,
  reputationRecoveryPerMinute,
  timeoutCost,
  trustedMaxCost,
  unknownHashRequestsBurstPerPeer,
  unknownHashRequestsPerPeerPerSecond,
  unsolicitedResponseCost,
  uselessAnnouncementCost,
} from './constants.js'
export { isPeerError, PeerError, type PeerErrorCode } from './errors.js'
export {
  type FloodKind,
  FloodLimits,
  type FloodLimitsOptions,
  floodLimitDefaults,
  type TakeResult,
  TokenBucket,
  type TokenBucketOptions,
} from './flood.js'
export { KnownSet } from './known-set.js'
export {
  type DeliverResult,
  Peer,
  type PeerBlockRange,
  type PeerDeps,
  type PeerOptions,
  type RequestKind,
  type RequestOptions,
  type ResponseOf,
} from './peer.js'
export {
  PeerSet,
  type PeerSetEvents,
  type PeerSetOptions,
  type SetPeer,
} from './peer-set.js'
export {
  type BanEntry,
  type Offence,
  type OffenceKind,
  offenceCosts,
  offenceOf,
  type PeerKind,
  type PeerReputation,
  PeerScores,
  type PeerScoresDeps,
  type PeerScoresEvents,
  type PeerScoresOptions,
  type ReportOutcome,
} from './reputation.js'
