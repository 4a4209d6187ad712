/**
 * The block fetcher: turns block announcements (NewBlockHashes) and whole blocks (NewBlock) into
 * imported blocks. Per hash: announced → fetching (header) → fetched → completing (body) →
 * queued → importing → imported (forgotten). Behaviour modelled on go-ethereum's eth/fetcher
 * (v1.8), with a timed-out request retried at another peer that announced the same hash.
 */
import type { Clock, RandomSource } from '@ethwire/interface'
import { errorCode, systemClock } from '@ethwire/interface/runtime'
import {
  Block,
  type BlockBody,
  type BlockHeader,
  bytesToHex,
  EMPTY_TRIE_ROOT,
  EMPTY_UNCLE_HASH,
  equalBytes,
  transactionsRoot,
  unclesHash,
  withdrawalsRoot,
} from '@ethwire/rlp-wire'
import * as C from './constants.js'
import { FetcherError } from './errors.js'
import type { BlockAnnouncement, BlockFetcherDeps } from './types.js'

export interface BlockFetcherOptions {
  arriveTimeoutMs?: number
  gatherSlackMs?: number
  fetchTimeoutMs?: number
  /** Announcements in flight per peer. */
  hashLimit?: number
  /** Blocks queued for import per peer. */
  blockLimit?: number
  /** Blocks this far below the head are discarded. */
  maxUncleDist?: bigint
  /** Blocks this far above the head are discarded. */
  maxQueueDist?: bigint
}

/** Where a hash is in the block fetcher. */
export type BlockFetchState =
  | 'announced'
  | 'fetching'
  | 'fetched'
  | 'completing'
  | 'queued'
  | 'importing'

/** What `notify` did with an announcement. */
export type NotifyResult =
  | 'accepted' // new: waiting for the whole block or for the header fetch
  | 'duplicate' // already known to the fetcher (from this or another peer)
  | 'limit' // the peer has too many announcements in flight
  | 'distance' // too far below or above our head
  | 'stopped'

/** What `enqueue` did with a whole block. */
export type EnqueueResult = 'queued' | 'duplicate' | 'limit' | 'distance' | 'invalid' | 'stopped'

export interface BlockFetcherStats {
  announced: number
  fetching: number
  fetched: number
  completing: number
  queued: number
  importing: number
}

export interface BlockFetcher {
  /** Starts taking inputs. Resolves at once (the work stays synchronous). */
  start(): Promise<void>
  /** Clears every timer and all state; later inputs are ignored. Done by the time it returns. */
  stop(): Promise<void>
  /** A hash announced by a peer (NewBlockHashes). */
  notify(announcement: BlockAnnouncement): NotifyResult
  /** A whole block received from a peer (NewBlock). */
  enqueue(peerId: string, block: Block): EnqueueResult
  /** Headers from a peer: the ones that answer our fetches are taken; the rest is returned. */
  filterHeaders(peerId: string, headers: BlockHeader[], time?: number): BlockHeader[]
  /** Bodies from a peer: the ones that answer our fetches are taken; the rest is returned. */
  filterBodies(peerId: string, bodies: BlockBody[], time?: number): BlockBody[]
  /** Forgets a disconnected peer; hashes it was fetching go to another announcer. */
  removePeer(peerId: string): void
  /** Where a hash is (undefined: unknown or done). */
  state(hash: Uint8Array): BlockFetchState | undefined
  stats(): BlockFetcherStats
  /** Resolves when no import is running or queued for an importable block. */
  idle(): Promise<void>
}

interface Announce {
  peerId: string
  time: number
  fetchHeader: BlockAnnouncement['fetchHeader']
  fetchBodies: BlockAnnouncement['fetchBodies']
}

interface Entry {
  key: string
  hash: Uint8Array
  number: bigint
  state: BlockFetchState
  /** Announcers not yet tried (keyed by peer id). */
  announces: Map<string, Announce>
  /** The announce being served (fetching / fetched / completing). */
  origin?: Announce
  /** First announcement time (announced) / header arrival (fetched) / request time (fetching, completing). */
  since: number
  header?: BlockHeader
  verified?: boolean
  /** Header verification in progress: no body request until it ends. */
  verifying?: boolean
  block?: Block
  /** Peer whose block sits in the queue (for the per-peer queue count and drops). */
  queuedBy?: string
  /** Requests made for this hash that may still be answered (aborted once it is done). */
  requests?: InFlight[]
}

/** One header or body request; its signal aborts once no entry it serves waits for it. */
interface InFlight {
  ac: AbortController
  waiting: number
}

const hex = (h: Uint8Array) => bytesToHex(h)

function isEmptyBody(h: BlockHeader): boolean {
  return (
    equalBytes(h.txRoot, EMPTY_TRIE_ROOT) &&
    equalBytes(h.uncleHash, EMPTY_UNCLE_HASH) &&
    (h.withdrawalsRoot === undefined || equalBytes(h.withdrawalsRoot, EMPTY_TRIE_ROOT))
  )
}

function bodyMatches(h: BlockHeader, body: BlockBody, roots: BodyRoots): boolean {
  if (!equalBytes(h.txRoot, roots.tx) || !equalBytes(h.uncleHash, roots.uncles)) return false
  if (h.withdrawalsRoot === undefined) return body.withdrawals === undefined
  return roots.withdrawals !== undefined && equalBytes(h.withdrawalsRoot, roots.withdrawals)
}

interface BodyRoots {
  tx: Uint8Array
  uncles: Uint8Array
  withdrawals?: Uint8Array
}

function rootsOf(body: BlockBody): BodyRoots {
  const r: BodyRoots = { tx: transactionsRoot(body.transactions), uncles: unclesHash(body.uncles) }
  if (body.withdrawals !== undefined) r.withdrawals = withdrawalsRoot(body.withdrawals)
  return r
}

/**
 * Creates a block fetcher. Requests go out through the `fetchHeader` / `fetchBodies` functions of
 * each announcement; their answers come back through `filterHeaders` / `filterBodies`.
 */
export function createBlockFetcher(
  deps: BlockFetcherDeps,
  options: BlockFetcherOptions = {},
): BlockFetcher {
  const clock: Clock = deps.clock ?? systemClock
  const random: RandomSource = deps.random ?? Math.random
  const arriveTimeout = options.arriveTimeoutMs ?? C.arriveTimeoutMs
  const gatherSlack = options.gatherSlackMs ?? C.gatherSlackMs
  const fetchTimeout = options.fetchTimeoutMs ?? C.fetchTimeoutMs
  const hashLimit = options.hashLimit ?? C.hashLimit
  const blockLimit = options.blockLimit ?? C.blockLimit
  const maxUncleDist = options.maxUncleDist ?? C.maxUncleDist
  const maxQueueDist = options.maxQueueDist ?? C.maxQueueDist

  const entries = new Map<string, Entry>()
  /** Announcements per peer (announced, fetching, fetched, completing). */
  const announceCount = new Map<string, number>()
  /** Queued blocks per peer. */
  const queueCount = new Map<string, number>()
  let running = false
  let timer: unknown
  let timerAt = Number.POSITIVE_INFINITY
  let importing = false
  let idleWaiters: (() => void)[] = []

  const bump = (m: Map<string, number>, peer: string, d: number) => {
    const n = (m.get(peer) ?? 0) + d
    if (n <= 0) m.delete(peer)
    else m.set(peer, n)
  }

  const outOfRange = (n: bigint): boolean => {
    const dist = n - deps.chainHeight()
    return dist < -maxUncleDist || dist > maxQueueDist
  }

  /** Removes a peer's announcement from an entry (unused announcers and the origin). */
  const releaseAnnounces = (e: Entry) => {
    for (const a of e.announces.keys()) bump(announceCount, a, -1)
    e.announces.clear()
    if (e.origin !== undefined) {
      bump(announceCount, e.origin.peerId, -1)
      e.origin = undefined
    }
  }

  /**
   * The fetcher owns the timeouts of its requests: each gets a signal, aborted once the hashes it
   * asked for are fetched, imported or given up. A request that outlives its fetch timeout (the
   * hash was asked of another announcer meanwhile) may still be answered until then.
   */
  const openRequest = (list: Entry[]): AbortSignal => {
    const r: InFlight = { ac: new AbortController(), waiting: list.length }
    for (const e of list) {
      if (e.requests === undefined) e.requests = [r]
      else e.requests.push(r)
    }
    return r.ac.signal
  }

  const endRequests = (e: Entry) => {
    const rs = e.requests
    if (rs === undefined) return
    e.requests = undefined
    for (const r of rs) {
      if (--r.waiting === 0) r.ac.abort(new Error('block fetcher: no longer needed'))
    }
  }

  const forget = (e: Entry) => {
    if (entries.get(e.key) !== e) return
    endRequests(e)
    releaseAnnounces(e)
    if (e.queuedBy !== undefined) {
      bump(queueCount, e.queuedBy, -1)
      e.queuedBy = undefined
    }
    entries.delete(e.key)
  }

  const drop = (peerId: string, err: FetcherError) => {
    deps.dropPeer(peerId, err)
  }

  const pickAnnounce = (e: Entry): Announce | undefined => {
    if (e.announces.size === 0) return undefined
    const list = [...e.announces.values()]
    const a = list[Math.floor(random() * list.length)] ?? list[0]!
    e.announces.delete(a.peerId)
    return a
  }

  // ---- requests ----

  const requestHeader = (e: Entry, a: Announce, now: number) => {
    e.state = 'fetching'
    e.origin = a
    e.since = now
    const hash = e.hash
    void (async () => {
      // Maybe the block arrived in the meantime (NewBlock from someone, or the downloader).
      if ((await deps.getBlock(hash)) !== undefined) {
        if (e.state === 'fetching' && e.origin === a) forget(e)
        schedule()
        return
      }
      if (!running || e.state !== 'fetching' || e.origin !== a) return
      await a.fetchHeader(hash, openRequest([e]))
    })().catch(() => {
      if (running && e.state === 'fetching' && e.origin === a) retry(e, clock.now())
    })
  }

  const requestBodies = (a: Announce, list: Entry[], now: number) => {
    for (const e of list) {
      e.state = 'completing'
      e.origin = a
      e.since = now
    }
    const signal = openRequest(list)
    void (async () => {
      await a.fetchBodies(
        list.map((e) => e.hash),
        signal,
      )
    })().catch(() => {
      if (!running) return
      for (const e of list) if (e.state === 'completing' && e.origin === a) retry(e, clock.now())
    })
  }

  /** The origin did not deliver: ask another announcer, or give up on the hash. */
  const retry = (e: Entry, now: number) => {
    if (e.origin !== undefined) {
      bump(announceCount, e.origin.peerId, -1)
      e.origin = undefined
    }
    const next = pickAnnounce(e)
    if (next === undefined) {
      forget(e)
      return
    }
    if (e.state === 'fetching') requestHeader(e, next, now)
    else requestBodies(next, [e], now)
    schedule()
  }

  // ---- timers ----

  const deadline = (e: Entry): number => {
    switch (e.state) {
      case 'announced':
        return e.since + arriveTimeout - gatherSlack
      case 'fetched':
        return e.verifying ? Number.POSITIVE_INFINITY : e.since + gatherSlack
      case 'fetching':
      case 'completing':
        return e.since + fetchTimeout
      default:
        return Number.POSITIVE_INFINITY
    }
  }

  const tick = () => {
    timer = undefined
    timerAt = Number.POSITIVE_INFINITY
    if (!running) return
    const now = clock.now()
    const bodies = new Map<Announce, Entry[]>()
    for (const e of [...entries.values()]) {
      if (deadline(e) > now) continue
      switch (e.state) {
        case 'announced': {
          const a = pickAnnounce(e)
          if (a === undefined) forget(e)
          else requestHeader(e, a, now)
          break
        }
        case 'fetched': {
          const a = e.origin!
          const list = bodies.get(a)
          if (list === undefined) bodies.set(a, [e])
          else list.push(e)
          break
        }
        case 'fetching':
        case 'completing':
          retry(e, now)
          break
      }
    }
    for (const [a, list] of bodies) requestBodies(a, list, now)
    schedule()
  }

  const schedule = () => {
    if (!running) return
    let next = Number.POSITIVE_INFINITY
    for (const e of entries.values()) {
      const d = deadline(e)
      if (d < next) next = d
    }
    if (next === timerAt) return
    if (timer !== undefined) clock.clearTimeout(timer)
    timer = undefined
    timerAt = next
    if (next !== Number.POSITIVE_INFINITY)
      timer = clock.setTimeout(tick, Math.max(0, next - clock.now()))
  }

  // ---- import ----

  const waitersDone = () => {
    const w = idleWaiters
    idleWaiters = []
    for (const f of w) f()
  }

  const nextImportable = (): Entry | undefined => {
    let best: Entry | undefined
    for (const e of entries.values()) {
      if (e.state !== 'queued') continue
      if (best === undefined || e.number < best.number) best = e
    }
    return best
  }

  const processQueue = () => {
    if (!running || importing) return
    const height = deps.chainHeight()
    for (;;) {
      const e = nextImportable()
      if (e === undefined || e.number > height + 1n) {
        waitersDone()
        return
      }
      if (e.number + maxUncleDist < height) {
        forget(e)
        continue
      }
      importing = true
      e.state = 'importing'
      void importBlock(e).finally(() => {
        importing = false
        forget(e)
        processQueue()
      })
      return
    }
  }

  const importBlock = async (e: Entry) => {
    const block = e.block!
    const peer = e.queuedBy!
    try {
      if ((await deps.getBlock(block.hash)) !== undefined) return
      if ((await deps.getBlock(block.header.parentHash)) === undefined) return // no parent: the downloader's job
      let propagate = true
      if (!e.verified) {
        try {
          await deps.verifyHeader(block.header)
        } catch (err) {
          if (errorCode(err) !== 'ErrFutureBlock') {
            drop(
              peer,
              new FetcherError('ErrInvalidHeader', peer, `block ${e.number} ${e.key}`, {
                cause: err,
              }),
            )
            return
          }
          propagate = false
        }
      }
      if (!running) return
      if (propagate) deps.broadcastBlock(block, true)
      try {
        await deps.insertChain([block])
      } catch {
        return // the chain said no; not necessarily the peer's fault
      }
      if (running) deps.broadcastBlock(block, false)
    } catch {
      // a failing callback must not stall the queue
    }
  }

  /** Puts a complete block in the import queue. */
  const queueBlock = (e: Entry, peer: string, block: Block) => {
    endRequests(e)
    releaseAnnounces(e)
    e.state = 'queued'
    e.block = block
    e.queuedBy = peer
    bump(queueCount, peer, 1)
  }

  // ---- header checks ----

  /** Header arrived for a fetch: verify it now if its parent is known, then complete or fetch body. */
  const headerArrived = async (e: Entry, header: BlockHeader, peer: string) => {
    e.verifying = true
    try {
      await checkHeader(e, header, peer)
    } finally {
      e.verifying = false
    }
    if (!running || entries.get(e.key) !== e || e.state !== 'fetched') return
    if (isEmptyBody(header)) {
      const body: BlockBody = { transactions: [], uncles: [] }
      if (header.withdrawalsRoot !== undefined) body.withdrawals = []
      queueBlock(e, peer, new Block(header, body))
      processQueue()
    } else {
      e.since = clock.now()
    }
    schedule()
  }

  /** Forgets the entry (and drops the peer when the header is invalid) unless the header may go on. */
  const checkHeader = async (e: Entry, header: BlockHeader, peer: string) => {
    const stillOurs = () => entries.get(e.key) === e && e.state === 'fetched'
    if ((await deps.getBlock(e.hash)) !== undefined) {
      if (stillOurs()) forget(e)
      return
    }
    if ((await deps.getBlock(header.parentHash)) !== undefined) {
      try {
        await deps.verifyHeader(header)
        e.verified = true
      } catch (err) {
        if (errorCode(err) !== 'ErrFutureBlock') {
          if (stillOurs()) forget(e)
          drop(
            peer,
            new FetcherError('ErrInvalidHeader', peer, `header ${header.number} ${e.key}`, {
              cause: err,
            }),
          )
        }
      }
    }
  }

  const newEntry = (key: string, hash: Uint8Array, number: bigint, now: number): Entry => ({
    key,
    hash,
    number,
    state: 'announced',
    announces: new Map(),
    since: now,
  })

  // ---- public ----

  const fetcher: BlockFetcher = {
    start() {
      running = true
      schedule()
      return Promise.resolve()
    },

    stop() {
      running = false
      for (const e of entries.values()) endRequests(e)
      if (timer !== undefined) clock.clearTimeout(timer)
      timer = undefined
      timerAt = Number.POSITIVE_INFINITY
      entries.clear()
      announceCount.clear()
      queueCount.clear()
      waitersDone()
      return Promise.resolve()
    },

    notify(ann) {
      if (!running) return 'stopped'
      const now = ann.time ?? clock.now()
      if ((announceCount.get(ann.peerId) ?? 0) + 1 > hashLimit) return 'limit'
      if (ann.number > 0n && outOfRange(ann.number)) return 'distance'
      const key = hex(ann.hash)
      let e = entries.get(key)
      if (e !== undefined) {
        if (
          e.number !== ann.number ||
          e.origin?.peerId === ann.peerId ||
          e.announces.has(ann.peerId)
        ) {
          return 'duplicate'
        }
        if (e.state === 'queued' || e.state === 'importing') return 'duplicate'
        // another peer has it too: keep it as an alternative source
        e.announces.set(ann.peerId, {
          peerId: ann.peerId,
          time: now,
          fetchHeader: ann.fetchHeader,
          fetchBodies: ann.fetchBodies,
        })
        bump(announceCount, ann.peerId, 1)
        return 'duplicate'
      }
      e = newEntry(key, ann.hash, ann.number, now)
      e.announces.set(ann.peerId, {
        peerId: ann.peerId,
        time: now,
        fetchHeader: ann.fetchHeader,
        fetchBodies: ann.fetchBodies,
      })
      bump(announceCount, ann.peerId, 1)
      entries.set(key, e)
      schedule()
      return 'accepted'
    },

    enqueue(peerId, block) {
      if (!running) return 'stopped'
      if ((queueCount.get(peerId) ?? 0) + 1 > blockLimit) return 'limit'
      const number = block.header.number
      const key = hex(block.hash)
      const existing = entries.get(key)
      if (outOfRange(number)) {
        if (existing !== undefined && existing.state !== 'queued' && existing.state !== 'importing')
          forget(existing)
        return 'distance'
      }
      if (
        existing !== undefined &&
        (existing.state === 'queued' || existing.state === 'importing')
      ) {
        return 'duplicate'
      }
      const roots = rootsOf(block.body())
      if (!bodyMatches(block.header, block.body(), roots)) {
        drop(
          peerId,
          new FetcherError(
            'ErrInvalidBody',
            peerId,
            `block ${number} ${key}: body does not match header`,
          ),
        )
        return 'invalid'
      }
      const e = existing ?? newEntry(key, block.hash, number, clock.now())
      entries.set(key, e)
      queueBlock(e, peerId, block)
      processQueue()
      schedule()
      return 'queued'
    },

    filterHeaders(peerId, headers, time) {
      if (!running) return headers
      const rest: BlockHeader[] = []
      for (const h of headers) {
        const e = entries.get(hex(h.hash))
        if (e === undefined || e.state !== 'fetching' || e.origin?.peerId !== peerId) {
          rest.push(h)
          continue
        }
        if (h.number !== e.number) {
          forget(e)
          drop(
            peerId,
            new FetcherError(
              'ErrHeaderNumberMismatch',
              peerId,
              `announced ${e.number}, header says ${h.number}`,
            ),
          )
          continue
        }
        e.state = 'fetched'
        endRequests(e)
        e.header = h
        e.since = time ?? clock.now()
        void headerArrived(e, h, peerId).catch(() => forget(e))
      }
      schedule()
      return rest
    },

    filterBodies(peerId, bodies, _time) {
      if (!running) return bodies
      const candidates: Entry[] = []
      for (const e of entries.values()) {
        if (e.state === 'completing' && e.origin?.peerId === peerId) candidates.push(e)
      }
      if (candidates.length === 0) return bodies
      const rest: BlockBody[] = []
      let matched = false
      for (const body of bodies) {
        const roots = rootsOf(body)
        const idx = candidates.findIndex((e) => bodyMatches(e.header!, body, roots))
        if (idx < 0) {
          rest.push(body)
          continue
        }
        const e = candidates[idx]!
        candidates.splice(idx, 1)
        queueBlock(e, peerId, new Block(e.header!, body))
        matched = true
      }
      if (matched) processQueue()
      schedule()
      return rest
    },

    removePeer(peerId) {
      const now = clock.now()
      for (const e of [...entries.values()]) {
        if (e.announces.delete(peerId)) bump(announceCount, peerId, -1)
        if ((e.state === 'fetching' || e.state === 'completing') && e.origin?.peerId === peerId)
          retry(e, now)
        else if (
          (e.state === 'announced' || e.state === 'fetched') &&
          e.announces.size === 0 &&
          e.origin === undefined
        ) {
          forget(e)
        } else if (e.state === 'fetched' && e.origin?.peerId === peerId) {
          bump(announceCount, peerId, -1)
          const a = pickAnnounce(e)
          if (a === undefined) forget(e)
          else e.origin = a
        }
      }
      announceCount.delete(peerId)
      schedule()
    },

    state(hash) {
      return entries.get(hex(hash))?.state
    },

    stats() {
      const s: BlockFetcherStats = {
        announced: 0,
        fetching: 0,
        fetched: 0,
        completing: 0,
        queued: 0,
        importing: 0,
      }
      for (const e of entries.values()) s[e.state]++
      return s
    },

    idle() {
      if (!importing) {
        const n = nextImportable()
        if (n === undefined || n.number > deps.chainHeight() + 1n) return Promise.resolve()
      }
      return new Promise<void>((r) => idleWaiters.push(r))
    },
  }
  return fetcher
}
