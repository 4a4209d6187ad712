/**
 * Flood limits: token buckets per peer and per kind of traffic. A bucket holds at most `burst`
 * tokens and refills continuously at `ratePerSecond`; one token is one item (an announced hash, a
 * served header, a served transaction). Announcements are checked with `take` (refused → drop the
 * message, report a `flood` offence); serving goes through `acquire`, which delays instead of
 * refusing, so a peer asking for 2,000 × 192 headers gets them at the bounded rate.
 */
import type { AbortOptions, Clock } from '@ethwire/interface'
import { systemClock } from '@ethwire/interface/runtime'
import * as C from './constants.js'

/** What `take` answered. */
export interface TakeResult {
  /** The tokens were taken. */
  allowed: boolean
  /** When refused: milliseconds until the same `take` would be allowed (0 when allowed). */
  waitMs: number
}

export interface TokenBucketOptions {
  /** Tokens added per second (`Infinity`: no limit). */
  ratePerSecond: number
  /** Tokens held at most; a full bucket starts here. */
  burst: number
}

/** Slack for floating-point refills (a wait computed to the millisecond must be enough). */
const epsilon = 1e-9

/**
 * One token bucket on the injected clock. `take(n)` of more than `burst` tokens is allowed when
 * the bucket is full and leaves it in debt, so large requests are possible and the long-run rate
 * still holds.
 */
export class TokenBucket {
  readonly ratePerSecond: number
  readonly burst: number
  readonly #clock: Clock
  #tokens: number
  #atMs: number

  constructor(deps: { clock?: Clock }, options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be > 0')
    if (!(options.burst >= 1)) throw new RangeError('burst must be >= 1')
    this.#clock = deps.clock ?? systemClock
    this.ratePerSecond = options.ratePerSecond
    this.burst = options.burst
    this.#tokens = options.burst
    this.#atMs = this.#clock.now()
  }

  /** Tokens now (negative while in debt after a `reserve` or an over-burst `take`). */
  get tokens(): number {
    this.#refill()
    return this.#tokens
  }

  /**
   * Takes `n` tokens if there are `min(n, burst)`; otherwise takes nothing and says how long until
   * there would be. For traffic to refuse: announcements, unknown-hash look-ups.
   */
  take(n = 1): TakeResult {
    if (this.ratePerSecond === Number.POSITIVE_INFINITY) return { allowed: true, waitMs: 0 }
    this.#refill()
    const need = Math.min(n, this.burst)
    if (this.#tokens + epsilon >= need) {
      this.#tokens -= n
      return { allowed: true, waitMs: 0 }
    }
    return { allowed: false, waitMs: this.#msFor(need - this.#tokens) }
  }

  /**
   * Takes `n` tokens now, into debt if need be, and returns the milliseconds to wait before using
   * them (0 when there were enough). For traffic to delay: serving requests. Call it serially per
   * peer (from its read loop), so the peer's own connection takes the back-pressure.
   */
  reserve(n = 1): number {
    if (this.ratePerSecond === Number.POSITIVE_INFINITY) return 0
    this.#refill()
    this.#tokens -= n
    return this.#tokens + epsilon >= 0 ? 0 : this.#msFor(-this.#tokens)
  }

  /** `reserve(n)`, then waits on the clock until the tokens are paid for. Rejects with the signal's reason on abort. */
  acquire(n = 1, options: AbortOptions = {}): Promise<void> {
    if (options.signal?.aborted) return Promise.reject(options.signal.reason)
    return sleep(this.#clock, this.reserve(n), options.signal)
  }

  #refill(): void {
    const now = this.#clock.now()
    if (now > this.#atMs) {
      this.#tokens = Math.min(
        this.burst,
        this.#tokens + ((now - this.#atMs) * this.ratePerSecond) / 1_000,
      )
      this.#atMs = now
    }
  }

  #msFor(tokens: number): number {
    return Math.max(1, Math.ceil((tokens * 1_000) / this.ratePerSecond - epsilon))
  }
}

/** The kinds of traffic `FloodLimits` meters, each counted in items. */
export type FloodKind =
  /** Hashes announced to us (NewBlockHashes entries, NewPooledTransactionHashes hashes, Transactions). */
  | 'announcements'
  /** Hashes a peer asked us for that we do not have (lookups that miss). */
  | 'unknownHashRequests'
  /** Transactions served in PooledTransactions. */
  | 'pooledTransactionsServed'
  /** Headers served in BlockHeaders. */
  | 'headersServed'
  /** Bodies served in BlockBodies. */
  | 'bodiesServed'
  /** Receipt lists served in Receipts. */
  | 'receiptsServed'

/** Default rate and burst per kind (constants.ts). */
export const floodLimitDefaults: Readonly<Record<FloodKind, Readonly<TokenBucketOptions>>> =
  Object.freeze({
    announcements: {
      ratePerSecond: C.announcementsPerPeerPerSecond,
      burst: C.announcementsBurstPerPeer,
    },
    unknownHashRequests: {
      ratePerSecond: C.unknownHashRequestsPerPeerPerSecond,
      burst: C.unknownHashRequestsBurstPerPeer,
    },
    pooledTransactionsServed: {
      ratePerSecond: C.pooledTransactionsServedPerPeerPerSecond,
      burst: C.pooledTransactionsServedBurstPerPeer,
    },
    headersServed: {
      ratePerSecond: C.headersServedPerPeerPerSecond,
      burst: C.headersServedBurstPerPeer,
    },
    bodiesServed: {
      ratePerSecond: C.bodiesServedPerPeerPerSecond,
      burst: C.bodiesServedBurstPerPeer,
    },
    receiptsServed: {
      ratePerSecond: C.receiptsServedPerPeerPerSecond,
      burst: C.receiptsServedBurstPerPeer,
    },
  })

export interface FloodLimitsOptions {
  /** Rate and burst per kind over {@link floodLimitDefaults} (`ratePerSecond: Infinity` turns one off). */
  limits?: Partial<Record<FloodKind, Partial<TokenBucketOptions>>>
  /** Peers whose buckets are kept, least recently used forgotten first (default {@link C.maxRateLimitedPeers}). */
  maxPeers?: number
}

/**
 * Token buckets per peer id and kind, created on first use. Call `remove(id)` when a peer leaves;
 * the table is bounded anyway (a forgotten peer starts again with full buckets).
 */
export class FloodLimits {
  readonly limits: Readonly<Record<FloodKind, Readonly<TokenBucketOptions>>>
  readonly #clock: Clock
  readonly #maxPeers: number
  readonly #peers = new Map<string, Map<FloodKind, TokenBucket>>()

  constructor(deps: { clock?: Clock } = {}, options: FloodLimitsOptions = {}) {
    this.#clock = deps.clock ?? systemClock
    const limits = {} as Record<FloodKind, TokenBucketOptions>
    for (const k of Object.keys(floodLimitDefaults) as FloodKind[])
      limits[k] = { ...floodLimitDefaults[k], ...options.limits?.[k] }
    this.limits = limits
    this.#maxPeers = options.maxPeers ?? C.maxRateLimitedPeers
    if (!(this.#maxPeers >= 1)) throw new RangeError('maxPeers must be >= 1')
  }

  /** The peer's bucket of a kind (created full on first use). */
  bucket(peerId: string, kind: FloodKind): TokenBucket {
    let m = this.#peers.get(peerId)
    if (m === undefined) {
      if (this.#peers.size >= this.#maxPeers)
        this.#peers.delete(this.#peers.keys().next().value as string)
      m = new Map()
    } else this.#peers.delete(peerId)
    this.#peers.set(peerId, m)
    let b = m.get(kind)
    if (b === undefined) {
      b = new TokenBucket({ clock: this.#clock }, this.limits[kind])
      m.set(kind, b)
    }
    return b
  }

  /** {@link TokenBucket.take} on the peer's bucket: refuse what does not fit (announcements). */
  take(peerId: string, kind: FloodKind, n = 1): TakeResult {
    return this.bucket(peerId, kind).take(n)
  }

  /** {@link TokenBucket.reserve} on the peer's bucket: milliseconds to delay (serving). */
  reserve(peerId: string, kind: FloodKind, n = 1): number {
    return this.bucket(peerId, kind).reserve(n)
  }

  /** {@link TokenBucket.acquire} on the peer's bucket: waits until `n` items may be served. */
  acquire(peerId: string, kind: FloodKind, n = 1, options: AbortOptions = {}): Promise<void> {
    return this.bucket(peerId, kind).acquire(n, options)
  }

  /** Forgets a peer's buckets (call it when the peer leaves). */
  remove(peerId: string): void {
    this.#peers.delete(peerId)
  }

  /** Peers with buckets. */
  get size(): number {
    return this.#peers.size
  }
}

function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve()
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clock.clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
