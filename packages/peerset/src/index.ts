/**
 * @ethwire/peerset — the live eth peer (its head, TD or block range, bounded sets of known
 * blocks and transactions, send helpers, queued broadcasts, request helpers matched by request
 * id) and the bounded set of registered peers.
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
  broadcastQueueSize,
  maxKnownBlocks,
  maxKnownTxs,
  maxPeers,
} from './constants.js'
export { isPeerError, PeerError, type PeerErrorCode } from './errors.js'
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
