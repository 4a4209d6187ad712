/**
 * The transaction fetcher: hashes announced with NewPooledTransactionHashes that the pool lacks
 * are requested with GetPooledTransactions from a peer that announced them, after a short wait
 * (a broadcast of the full transaction may still arrive). A request that times out, or comes back
 * without some hashes, moves them to another announcer. Behaviour modelled on go-ethereum's
 * eth/fetcher/tx_fetcher.go, simplified: one request in flight per peer, hashes grouped by peer.
 */

import type { Clock, RandomSource } from '@ethwire/interface'
import { systemClock } from '@ethwire/interface/runtime'
import { bytesToHex, type Transaction } from '@ethwire/rlp-wire'
import * as C from './constants.js'
import { FetcherError, type FetcherErrorCode } from './errors.js'
import type { TxFetcherDeps } from './types.js'

export interface TxFetcherOptions {
  arriveTimeoutMs?: number
  fetchTimeoutMs?: number
  /** Hashes per request. */
  maxRetrievals?: number
  /** Announced bytes per request (only eth/68 announcements carry sizes). */
  maxRetrievalSizeBytes?: number
  /** Announcements tracked per peer. */
  maxAnnounces?: number
  /** Size a transaction is announced with; default: its network encoding (with a blob sidecar). */
  txSize?: (tx: Transaction) => number
  /**
   * Bytes a delivered transaction's size may differ from its eth/68 announcement before the
   * announcer is penalized (go-ethereum allows 8). Default {@link C.txSizeSlackBytes}.
   */
  sizeSlackBytes?: number
}

/** What `notify` did with an announcement. */
export interface TxNotifyResult {
  /** Hashes now tracked (new, or a new announcer of a tracked hash). */
  accepted: number
  /** Hashes the pool already has, or this peer already announced. */
  known: number
  /** Hashes ignored because the peer reached its announcement limit. */
  overflow: number
}

export interface TxFetcherStats {
  /** Hashes waiting for the arrive timeout. */
  waiting: number
  /** Hashes ready to be requested. */
  queued: number
  /** Hashes in a request. */
  fetching: number
  /** Requests in flight (including timed-out ones not yet answered). */
  requests: number
}

export interface TxFetcher {
  /** Starts taking inputs. Resolves at once (the work stays synchronous). */
  start(): Promise<void>
  /** Clears every timer and all state; later inputs are ignored. Done by the time it returns. */
  stop(): Promise<void>
  /**
   * Hashes announced by a peer. `types` and `sizes` come with eth/68 announcements and are checked
   * against the delivery.
   */
  notify(peerId: string, hashes: Uint8Array[], types?: number[], sizes?: number[]): TxNotifyResult
  /**
   * Transactions from a peer: `direct` for a PooledTransactions answer to our request, false for a
   * Transactions broadcast. Every transaction is checked against the announcements: one that was
   * not requested (direct), sent twice, a blob transaction in a broadcast, or one that disagrees
   * with the sender's own eth/68 announcement is passed to `penalize` and not to `addTxs`. Once
   * the pool has taken the rest, any other peer whose announcement of one of them had another
   * type or size is penalized, and a transaction the pool refused as malformed (`peerFault`)
   * gets the sender penalized and is fetched again from another announcer. Returns the
   * transactions handed to `addTxs`.
   */
  enqueue(peerId: string, txs: Transaction[], direct: boolean): Transaction[]
  /** Forgets a disconnected peer; its in-flight hashes go to other announcers. */
  removePeer(peerId: string): void
  /** Whether the fetcher tracks the hash (waiting, queued or fetching). */
  has(hash: Uint8Array): boolean
  stats(): TxFetcherStats
}

interface Meta {
  type?: number
  size?: number
}

interface TxEntry {
  key: string
  hash: Uint8Array
  state: 'waiting' | 'queued' | 'fetching'
  since: number
  /** Peers that announced the hash and have not failed to deliver it. */
  announcers: Map<string, Meta>
  fetchingFrom?: string
}

interface Request {
  peerId: string
  /** Aborted when the answer is no longer wanted (answered, peer removed, fetcher stopped). */
  ac: AbortController
  sentAt: number
  timedOut: boolean
  /** What was asked, with the announcement each hash was asked for. */
  asked: Map<string, Meta>
}

/** A pool result that blames the peer which sent the transaction (txpool's `peerFault`). */
const isPeerFault = (r: unknown): boolean =>
  typeof r === 'object' && r !== null && (r as { peerFault?: unknown }).peerFault === true

/** Size of the network form of a transaction (what eth/68 announces). */
export function txNetworkSize(tx: Transaction): number {
  if (tx.sidecar === undefined) return tx.size
  const n = tx.encodeNetwork()
  return n instanceof Uint8Array ? n.length : tx.size
}

/** Creates a transaction fetcher. */
export function createTxFetcher(deps: TxFetcherDeps, options: TxFetcherOptions = {}): TxFetcher {
  const clock: Clock = deps.clock ?? systemClock
  const random: RandomSource = deps.random ?? Math.random
  const arriveTimeout = options.arriveTimeoutMs ?? C.txArriveTimeoutMs
  const fetchTimeout = options.fetchTimeoutMs ?? C.txFetchTimeoutMs
  const maxRetrievals = options.maxRetrievals ?? C.maxTxRetrievals
  const maxBytes = options.maxRetrievalSizeBytes ?? C.maxTxRetrievalSizeBytes
  const maxAnnounces = options.maxAnnounces ?? C.maxTxAnnounces
  const sizeOf = options.txSize ?? txNetworkSize
  const sizeSlack = options.sizeSlackBytes ?? C.txSizeSlackBytes

  const entries = new Map<string, TxEntry>()
  /** Per peer: keys it announced that are still tracked. */
  const byPeer = new Map<string, Set<string>>()
  const requests = new Map<string, Request>()
  /**
   * Keys handed to `addTxs` whose add has not settled (sender recovery and insertion are async):
   * the pool does not know them yet, but an announcement of one must not start a fetch.
   */
  const adding = new Map<string, number>()
  let running = false
  let timer: unknown
  let timerAt = Number.POSITIVE_INFINITY

  const unlinkPeer = (peerId: string, key: string) => {
    const set = byPeer.get(peerId)
    if (set === undefined) return
    set.delete(key)
    if (set.size === 0) byPeer.delete(peerId)
  }

  const forget = (e: TxEntry) => {
    for (const p of e.announcers.keys()) unlinkPeer(p, e.key)
    e.announcers.clear()
    entries.delete(e.key)
  }

  /** The peer will not deliver this hash: try another announcer or give up. */
  const failFrom = (e: TxEntry, peerId: string) => {
    e.announcers.delete(peerId)
    unlinkPeer(peerId, e.key)
    if (e.fetchingFrom === peerId) {
      e.fetchingFrom = undefined
      e.state = 'queued'
    }
    if (e.announcers.size === 0 && e.state !== 'fetching') forget(e)
  }

  const deadline = (): number => {
    let next = Number.POSITIVE_INFINITY
    for (const e of entries.values()) {
      if (e.state === 'waiting' && e.since + arriveTimeout < next) next = e.since + arriveTimeout
    }
    for (const r of requests.values()) {
      if (!r.timedOut && r.sentAt + fetchTimeout < next) next = r.sentAt + fetchTimeout
    }
    return next
  }

  const schedule = () => {
    if (!running) return
    const next = deadline()
    if (next === timerAt) return
    if (timer !== undefined) clock.clearTimeout(timer)
    timer = undefined
    timerAt = next
    if (next !== Number.POSITIVE_INFINITY)
      timer = clock.setTimeout(tick, Math.max(0, next - clock.now()))
  }

  const timeoutRequest = (r: Request) => {
    // Keep the request (the peer stays busy until it answers) but move its hashes elsewhere.
    r.timedOut = true
    for (const key of r.asked.keys()) {
      const e = entries.get(key)
      if (e !== undefined && e.fetchingFrom === r.peerId) failFrom(e, r.peerId)
    }
  }

  const shuffledPeers = (): string[] => {
    const peers = [...byPeer.keys()]
    for (let i = peers.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      const t = peers[i]!
      peers[i] = peers[j]!
      peers[j] = t
    }
    return peers
  }

  const assign = () => {
    const now = clock.now()
    for (const peerId of shuffledPeers()) {
      if (requests.has(peerId)) continue
      const keys = byPeer.get(peerId)
      if (keys === undefined) continue
      const asked = new Map<string, Meta>()
      let bytes = 0
      for (const key of keys) {
        const e = entries.get(key)
        if (e === undefined || e.state !== 'queued') continue
        if (deps.hasTx(e.hash)) {
          forget(e) // arrived some other way while it waited
          continue
        }
        const meta = e.announcers.get(peerId) ?? {}
        const size = meta.size ?? 0
        if (asked.size > 0 && bytes + size > maxBytes) continue
        asked.set(key, meta)
        bytes += size
        if (asked.size >= maxRetrievals || bytes >= maxBytes) break
      }
      if (asked.size === 0) continue
      const hashes: Uint8Array[] = []
      for (const key of asked.keys()) {
        const e = entries.get(key)!
        e.state = 'fetching'
        e.fetchingFrom = peerId
        hashes.push(e.hash)
      }
      const req: Request = {
        peerId,
        ac: new AbortController(),
        sentAt: now,
        timedOut: false,
        asked,
      }
      requests.set(peerId, req)
      void (async () => {
        await deps.requestTxs(peerId, hashes, req.ac.signal)
      })().catch(() => {
        // could not even send: nothing will come, treat as an empty answer
        if (running && requests.get(peerId) === req) answered(req, new Set())
      })
    }
  }

  /** A request was answered (delivered keys): hashes it did not deliver go to another announcer. */
  const endRequest = (req: Request) => {
    requests.delete(req.peerId)
    req.ac.abort(new Error('tx fetcher: no longer needed'))
  }

  const answered = (req: Request, delivered: Set<string>) => {
    endRequest(req)
    for (const key of req.asked.keys()) {
      if (delivered.has(key)) continue
      const e = entries.get(key)
      if (e !== undefined) failFrom(e, req.peerId)
    }
    assign()
    schedule()
  }

  /** Why a delivered transaction contradicts an announcement of it, if it does. */
  const disagrees = (m: Meta, tx: Transaction): [FetcherErrorCode, string] | undefined => {
    if (m.type !== undefined && m.type !== tx.type) {
      return ['ErrTxTypeMismatch', `announced type ${m.type}, got ${tx.type}`]
    }
    if (m.size !== undefined) {
      const size = sizeOf(tx)
      if (Math.abs(size - m.size) > sizeSlack) {
        return ['ErrTxSizeMismatch', `announced ${m.size} bytes, got ${size}`]
      }
    }
    return undefined
  }

  /** A transaction the pool refused as malformed goes back to the peers that announced it. */
  const restore = (tx: Transaction, announcers: Map<string, Meta>) => {
    if (announcers.size === 0 || deps.hasTx(tx.hash)) return
    const key = bytesToHex(tx.hash)
    let e = entries.get(key)
    if (e === undefined) {
      e = { key, hash: tx.hash, state: 'queued', since: clock.now(), announcers: new Map() }
      entries.set(key, e)
    }
    for (const [p, m] of announcers) {
      if (e.announcers.has(p)) continue
      e.announcers.set(p, m)
      let set = byPeer.get(p)
      if (set === undefined) {
        set = new Set()
        byPeer.set(p, set)
      }
      set.add(key)
    }
  }

  /**
   * The pool has answered for delivered transactions (`results`: one per transaction when the
   * pool gives them). Malformed ones are the sender's fault; for the others, every other
   * announcer's type and size are now checked against the real transaction.
   */
  const settled = (
    sender: string,
    txs: Transaction[],
    others: Array<Map<string, Meta>>,
    results: unknown,
  ) => {
    const list = Array.isArray(results) ? (results as unknown[]) : undefined
    let faulted = false
    let restored = false
    for (let i = 0; i < txs.length; i++) {
      const tx = txs[i]!
      const r = list?.[i]
      const rest = others[i]!
      if (isPeerFault(r)) {
        if (!faulted) {
          faulted = true
          deps.penalize(
            sender,
            new FetcherError(
              'ErrInvalidTx',
              sender,
              `${bytesToHex(tx.hash)}: ${(r as { message?: unknown }).message}`,
              { cause: r },
            ),
          )
        }
        restore(tx, rest)
        restored = true
        continue
      }
      for (const [p, m] of rest) {
        const why = disagrees(m, tx)
        if (why !== undefined) {
          deps.penalize(p, new FetcherError(why[0], p, `${bytesToHex(tx.hash)}: ${why[1]}`))
        }
      }
    }
    if (restored) {
      assign()
      schedule()
    }
  }

  const tick = () => {
    timer = undefined
    timerAt = Number.POSITIVE_INFINITY
    if (!running) return
    const now = clock.now()
    for (const e of entries.values()) {
      if (e.state === 'waiting' && e.since + arriveTimeout <= now) e.state = 'queued'
    }
    for (const r of requests.values()) {
      if (!r.timedOut && r.sentAt + fetchTimeout <= now) timeoutRequest(r)
    }
    assign()
    schedule()
  }

  return {
    start() {
      running = true
      schedule()
      return Promise.resolve()
    },

    stop() {
      running = false
      if (timer !== undefined) clock.clearTimeout(timer)
      timer = undefined
      timerAt = Number.POSITIVE_INFINITY
      for (const r of [...requests.values()]) endRequest(r)
      entries.clear()
      byPeer.clear()
      adding.clear()
      return Promise.resolve()
    },

    notify(peerId, hashes, types, sizes) {
      const res: TxNotifyResult = { accepted: 0, known: 0, overflow: 0 }
      if (!running) return res
      const now = clock.now()
      let mine = byPeer.get(peerId)
      let any = false
      for (let i = 0; i < hashes.length; i++) {
        const hash = hashes[i]!
        const key = bytesToHex(hash)
        if (mine?.has(key) || adding.has(key) || deps.hasTx(hash)) {
          res.known++
          continue
        }
        if ((mine?.size ?? 0) >= maxAnnounces) {
          res.overflow++
          continue
        }
        const meta: Meta = {}
        const t = types?.[i]
        const s = sizes?.[i]
        if (t !== undefined) meta.type = t
        if (s !== undefined) meta.size = s
        let e = entries.get(key)
        if (e === undefined) {
          e = { key, hash, state: 'waiting', since: now, announcers: new Map() }
          entries.set(key, e)
        }
        e.announcers.set(peerId, meta)
        if (mine === undefined) {
          mine = new Set()
          byPeer.set(peerId, mine)
        }
        mine.add(key)
        res.accepted++
        any = true
      }
      if (any) {
        assign()
        schedule()
      }
      return res
    },

    enqueue(peerId, txs, direct) {
      if (!running) return []
      const req = direct ? requests.get(peerId) : undefined
      const accepted: Transaction[] = []
      /** Per accepted tx: the other peers' announcements, checked once the pool has it. */
      const others: Array<Map<string, Meta>> = []
      const delivered = new Set<string>()
      const seen = new Set<string>()
      const penalized = new Set<FetcherErrorCode>()
      const penalize = (code: FetcherErrorCode, message: string) => {
        // One report per rule and message: a peer that sends 256 extras is one violation.
        if (penalized.has(code)) return
        penalized.add(code)
        deps.penalize(peerId, new FetcherError(code, peerId, message))
      }
      for (const tx of txs) {
        const key = bytesToHex(tx.hash)
        if (seen.has(key)) {
          penalize('ErrDuplicateTx', `${key} delivered twice in one message`)
          continue
        }
        seen.add(key)
        const e = entries.get(key)
        let own: Meta | undefined
        if (direct) {
          own = req?.asked.get(key)
          if (own === undefined) {
            penalize('ErrUnrequestedTx', `${key} was not requested`)
            continue
          }
          delivered.add(key)
        } else {
          if (tx.type === 3) {
            // Blob transactions travel only as PooledTransactions answers (eth/68 spec).
            penalize('ErrBroadcastBlobTx', `${key}: blob transaction in a Transactions broadcast`)
            continue
          }
          own = e?.announcers.get(peerId)
        }
        const mismatch = own === undefined ? undefined : disagrees(own, tx)
        if (mismatch !== undefined) {
          penalize(mismatch[0], `${key}: ${mismatch[1]}`)
          // not delivered as far as this peer goes: the hash moves to its other announcers
          if (direct) delivered.delete(key)
          else if (e !== undefined) failFrom(e, peerId)
          continue
        }
        accepted.push(tx)
        const rest = new Map<string, Meta>()
        if (e !== undefined) {
          for (const [p, m] of e.announcers) if (p !== peerId) rest.set(p, m)
          forget(e)
        }
        others.push(rest)
      }
      if (req !== undefined) answered(req, delivered)
      else if (accepted.length > 0) {
        assign()
        schedule()
      }
      if (accepted.length > 0) {
        const keys = accepted.map((tx) => bytesToHex(tx.hash))
        for (const k of keys) adding.set(k, (adding.get(k) ?? 0) + 1)
        let results: unknown
        void (async () => {
          results = await deps.addTxs(accepted, peerId)
        })()
          .catch(() => {})
          .finally(() => {
            for (const k of keys) {
              const n = (adding.get(k) ?? 1) - 1
              if (n <= 0) adding.delete(k)
              else adding.set(k, n)
            }
            if (running) settled(peerId, accepted, others, results)
          })
      }
      return accepted
    },

    removePeer(peerId) {
      const req = requests.get(peerId)
      if (req !== undefined) endRequest(req)
      const keys = byPeer.get(peerId)
      if (keys !== undefined) {
        for (const key of [...keys]) {
          const e = entries.get(key)
          if (e !== undefined) failFrom(e, peerId)
        }
      }
      byPeer.delete(peerId)
      for (const e of [...entries.values()]) {
        if (e.fetchingFrom === peerId) failFrom(e, peerId)
      }
      if (running) {
        assign()
        schedule()
      }
    },

    has(hash) {
      return entries.has(bytesToHex(hash))
    },

    stats() {
      const s: TxFetcherStats = { waiting: 0, queued: 0, fetching: 0, requests: requests.size }
      for (const e of entries.values()) s[e.state]++
      return s
    },
  }
}
