import type { Clock, RandomSource } from '@ethwire/interface'
import { systemClock } from '@ethwire/interface/runtime'
import {
  blobTxType,
  defaultAnnounceFromVersion,
  packTimeoutMs as defaultPackTimeoutMs,
  maxAnnounceHashes,
  txsyncPackSizeBytes,
} from './constants.js'
import { TxSyncError } from './errors.js'
import type { TxSyncPeer, TxSyncTx } from './types.js'

/** Who gets a new transaction in full, who by hash. */
export interface BroadcastPolicy {
  /** Peers at or above this version are eligible for announcements (never below 65). Default 66. */
  announceFromVersion: number
  /**
   * How many of the announcement-capable peers that lack a transaction get it in full:
   * 'sqrt' (default, ⌊√n⌋), 'all' (no announcements), 'none' (announce only).
   */
  direct: 'sqrt' | 'all' | 'none'
  /** Transactions larger than this are only announced to peers that can take announcements. Default: no limit. */
  maxBroadcastSizeBytes: number
  /**
   * Initial sync to a peer that takes announcements (version ≥ announceFromVersion, `direct` not
   * 'all'): 'full' packs (default) or 'announce' the pending hashes (go-ethereum on eth/65+).
   */
  initialSync: 'full' | 'announce'
}

export interface TxSyncDeps<T extends TxSyncTx> {
  /** The pending transactions to hand a new peer (called once per registered peer). */
  pending(): readonly T[]
  clock?: Clock
  random?: RandomSource
  /** A pack was delivered. */
  onPackSent?(peer: TxSyncPeer<T>, txs: readonly T[]): void
  /** A peer was dropped from the initial-sync schedule (`ErrSendFailed`, `ErrPackTimeout`). */
  onPeerFailed?(peer: TxSyncPeer<T>, err: TxSyncError): void
  /** A broadcast or announcement send rejected. */
  onBroadcastError?(peer: TxSyncPeer<T>, err: unknown): void
}

export interface TxSyncOptions {
  /** Most bytes per initial-sync pack (and per full broadcast message). Default 100 KiB. */
  packSizeBytes?: number
  /** A pack not delivered in this time fails its peer. Default 30 s. */
  packTimeoutMs?: number
  policy?: Partial<BroadcastPolicy>
}

/** What one `broadcast` call sent. */
export interface BroadcastSummary {
  /** Transactions sent in full, summed over peers. */
  direct: number
  /** Transactions announced by hash, summed over peers. */
  announced: number
}

export interface TxSync<T extends TxSyncTx, P extends TxSyncPeer<T> = TxSyncPeer<T>> {
  /** Starts the initial-sync pump. Resolves at once. */
  start(): Promise<void>
  /** Drops the schedule and the pack timer (by the time it returns); in-flight sends are not awaited. */
  stop(): Promise<void>
  /** Registers a peer for broadcasts and schedules the initial sync of our pending transactions to it. */
  addPeer(peer: P): void
  removePeer(id: string): void
  /** Sends each transaction to the registered peers that do not know it, by the policy. */
  broadcast(txs: readonly T[]): BroadcastSummary
  /** Ids of peers still waiting for (more of) their initial sync. */
  scheduled(): string[]
  /** Id of the peer whose pack is in flight. */
  inFlight(): string | undefined
  readonly peerCount: number
}

interface SyncState<T> {
  txs: readonly T[]
  next: number
}

/**
 * Creates the scheduler. Initial sync as go-ethereum's txsyncLoop: packs of at most
 * `packSizeBytes` (at least one transaction), one pack in flight across all peers, the next
 * peer picked at random, a failed or timed-out peer dropped from the schedule. With
 * `initialSync: 'announce'`, a peer that takes announcements gets the pending hashes in
 * `NewPooledTransactionHashes` packs of at most 4096 instead (go-ethereum's syncTransactions on
 * eth/65+). Blob transactions are never sent in full (not in packs, not in broadcasts).
 */
export function createTxSync<T extends TxSyncTx, P extends TxSyncPeer<T> = TxSyncPeer<T>>(
  deps: TxSyncDeps<T>,
  options: TxSyncOptions = {},
): TxSync<T, P> {
  const clock = deps.clock ?? systemClock
  const random = deps.random ?? Math.random
  const packSize = options.packSizeBytes ?? txsyncPackSizeBytes
  const timeoutMs = options.packTimeoutMs ?? defaultPackTimeoutMs
  const policy: BroadcastPolicy = {
    announceFromVersion: Math.max(
      65,
      options.policy?.announceFromVersion ?? defaultAnnounceFromVersion,
    ),
    direct: options.policy?.direct ?? 'sqrt',
    maxBroadcastSizeBytes: options.policy?.maxBroadcastSizeBytes ?? Number.POSITIVE_INFINITY,
    initialSync: options.policy?.initialSync ?? 'full',
  }
  const peers = new Map<string, P>()
  const syncs = new Map<string, SyncState<T>>()
  let running = false
  let flight: { id: string; timer: unknown; token: object } | undefined

  const pick = (): [string, SyncState<T>] | undefined => {
    if (syncs.size === 0) return undefined
    const i = Math.min(syncs.size - 1, Math.floor(random() * syncs.size))
    let k = 0
    for (const entry of syncs) if (k++ === i) return entry
    return undefined
  }

  const pump = (): void => {
    while (running && flight === undefined && syncs.size > 0) {
      const picked = pick()
      if (picked === undefined) return
      const [id, state] = picked
      const peer = peers.get(id)
      if (peer === undefined) {
        syncs.delete(id)
        continue
      }
      // initialSync 'announce' (go-ethereum on eth/65+): a peer that takes announcements gets our
      // pending hashes, not the transactions, and fetches what it lacks.
      const announce = canAnnounce(peer)
      const pack: T[] = []
      let bytes = 0
      while (state.next < state.txs.length) {
        const tx = state.txs[state.next] as T
        if (peer.knowsTx(tx.hash) || (!announce && tx.type === blobTxType)) {
          state.next++
          continue
        }
        if (
          announce
            ? pack.length >= maxAnnounceHashes
            : pack.length > 0 && bytes + tx.size > packSize
        )
          break
        pack.push(tx)
        bytes += tx.size
        state.next++
      }
      if (state.next >= state.txs.length) syncs.delete(id)
      if (pack.length === 0) continue
      send(peer, pack, announce)
    }
  }

  const canAnnounce = (peer: P): boolean =>
    policy.initialSync === 'announce' &&
    policy.direct !== 'all' &&
    peer.version >= policy.announceFromVersion

  const send = (peer: P, pack: T[], announce: boolean): void => {
    const token = {}
    const settle = (err: TxSyncError | undefined) => {
      if (flight?.token !== token) return
      clock.clearTimeout(flight.timer)
      flight = undefined
      if (err === undefined) deps.onPackSent?.(peer, pack)
      else {
        syncs.delete(peer.id)
        deps.onPeerFailed?.(peer, err)
      }
      pump()
    }
    const timer = clock.setTimeout(
      () =>
        settle(
          new TxSyncError(
            'ErrPackTimeout',
            `peer ${peer.id}: pack not delivered in ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    )
    flight = { id: peer.id, timer, token }
    for (const tx of pack) peer.markTransaction(tx.hash)
    let p: Promise<void>
    try {
      p = announce ? peer.sendPooledTransactionHashes(pack) : peer.sendTransactions(pack)
    } catch (err) {
      p = Promise.reject(err)
    }
    p.then(
      () => settle(undefined),
      (cause) =>
        settle(new TxSyncError('ErrSendFailed', `peer ${peer.id}: send failed`, { cause })),
    )
  }

  const directCount = (n: number): number =>
    policy.direct === 'all' ? n : policy.direct === 'none' ? 0 : Math.floor(Math.sqrt(n))

  const guard = (peer: P, p: () => Promise<void>): void => {
    try {
      p().catch((err) => deps.onBroadcastError?.(peer, err))
    } catch (err) {
      deps.onBroadcastError?.(peer, err)
    }
  }

  return {
    start() {
      running = true
      pump()
      return Promise.resolve()
    },
    stop() {
      running = false
      if (flight !== undefined) clock.clearTimeout(flight.timer)
      flight = undefined
      syncs.clear()
      return Promise.resolve()
    },
    addPeer(peer) {
      peers.set(peer.id, peer)
      const txs = deps.pending()
      if (txs.length > 0) syncs.set(peer.id, { txs, next: 0 })
      pump()
    },
    removePeer(id) {
      peers.delete(id)
      syncs.delete(id)
    },
    broadcast(txs) {
      const full = new Map<P, T[]>()
      const ann = new Map<P, T[]>()
      const push = (m: Map<P, T[]>, p: P, tx: T) => {
        const l = m.get(p)
        if (l === undefined) m.set(p, [tx])
        else l.push(tx)
      }
      for (const tx of txs) {
        const modern: P[] = []
        for (const p of peers.values()) {
          if (p.knowsTx(tx.hash)) continue
          if (p.version >= policy.announceFromVersion) modern.push(p)
          else if (tx.type !== blobTxType) push(full, p, tx)
        }
        const announceOnly = tx.type === blobTxType || tx.size > policy.maxBroadcastSizeBytes
        const k = announceOnly ? 0 : directCount(modern.length)
        // Partial Fisher–Yates: the first k after shuffling get the transaction in full.
        for (let i = 0; i < k; i++) {
          const j = i + Math.min(modern.length - i - 1, Math.floor(random() * (modern.length - i)))
          const t = modern[i] as P
          modern[i] = modern[j] as P
          modern[j] = t
        }
        for (let i = 0; i < modern.length; i++) push(i < k ? full : ann, modern[i] as P, tx)
      }
      const summary: BroadcastSummary = { direct: 0, announced: 0 }
      for (const [peer, list] of full) {
        summary.direct += list.length
        for (const tx of list) peer.markTransaction(tx.hash)
        let chunk: T[] = []
        let bytes = 0
        for (const tx of list) {
          if (chunk.length > 0 && bytes + tx.size > packSize) {
            const c = chunk
            guard(peer, () => peer.sendTransactions(c))
            chunk = []
            bytes = 0
          }
          chunk.push(tx)
          bytes += tx.size
        }
        if (chunk.length > 0) guard(peer, () => peer.sendTransactions(chunk))
      }
      for (const [peer, list] of ann) {
        summary.announced += list.length
        for (const tx of list) peer.markTransaction(tx.hash)
        for (let i = 0; i < list.length; i += maxAnnounceHashes) {
          const c = list.slice(i, i + maxAnnounceHashes)
          guard(peer, () => peer.sendPooledTransactionHashes(c))
        }
      }
      return summary
    },
    scheduled() {
      return [...syncs.keys()]
    },
    inFlight() {
      return flight?.id
    },
    get peerCount() {
      return peers.size
    },
  }
}
