/**
 * The dialer: keeps the node's outbound peer slots filled, on go-ethereum's `p2p/dial.go` model.
 *
 * ## API (what the node wires)
 *
 * ```ts
 * import { candidateFromEnode, createDialer, discoverySource } from './dialer.js'
 *
 * const dialer = createDialer(
 *   {
 *     dial: (address, signal) => dialAndHandshake(address, signal), // resolves once the peer is registered
 *     peerCount: () => peers.size, // every connected peer, inbound and outbound
 *     isConnected: (id) => peers.has(id), // id: the peer key the node uses (RLPx: 128-hex public key)
 *     clock, // optional: @ethwire/interface Clock (systemClock of ./runtime by default)
 *     random, // optional: RandomSource (Math.random by default)
 *     logger, // optional: Pick<Logger, 'debug' | 'info'>
 *   },
 *   {
 *     maxPeers: 50, // --maxpeers; dialed peers are at most maxPeers / dialRatio (16 here)
 *     selfId: ourPublicKeyHex, // never dialed
 *     staticNodes: staticEnodes.map(candidateFromEnode), // kept connected, redialed with backoff
 *     // disc: createDiscv4(…, { forkFilter: (id) => forkFilter(id) === undefined }), so the walk
 *     // hands out only nodes whose ENR `eth` entry passes our EIP-2124 filter.
 *     sources: [
 *       discoverySource('discv4', disc.randomNodes({ includeDns: false })),
 *       discoverySource('dns', dnsClient.randomNodes(dnsTrees, { filter: ethNodeFilter(accept) })),
 *     ],
 *   },
 * )
 * await dialer.start()
 * peerSet.on('added', (p) => dialer.peerAdded(p.id, { direction: p.direction })) // inbound ones matter
 * peerSet.on('removed', (p) => dialer.peerRemoved(p.id))
 * dialer.howFound(id) // 'static' | 'discv4' | 'dns' | 'inbound' (admin_peers), undefined if unknown
 * dialer.addStatic(candidateFromEnode(url)) // admin_addPeer; dialer.removeStatic(id): admin_removePeer
 * await dialer.stop() // aborts dials in flight, closes the sources, clears every timer
 * ```
 *
 * ## Behaviour
 *
 * - **Slots.** At most `maxDialedPeers = max(1, floor(maxPeers / dialRatio))` peers we dialed
 *   (dialRatio 3, as go-ethereum's `MaxDialedConns`; 0 when `maxPeers` is 0); inbound peers fill
 *   the rest, the transport enforces that. Dials in flight: `min(2 × free dialed slots,
 *   maxActiveDials)` (go-ethereum's `freeDialSlots`; `maxActiveDials` 16, the old
 *   `maxActiveDialTasks`). When the dialed slots fill, dynamic dials still in flight are aborted
 *   (`ErrSlotsFull`, not counted as failures) instead of overfilling them; static dials go on. No
 *   dynamic dial while `peerCount() >= maxPeers`.
 * - **Candidates.** Static nodes first (a random eligible one per free slot), then nodes read from
 *   the sources: one reader per source, each holding at most one candidate while no slot is free,
 *   each rate limited (`sourceReadPerSecond`, burst `sourceReadBurst`) so a source that yields only
 *   unusable nodes (or nodes that fail at once) cannot spin. A candidate is skipped when it is us,
 *   is being dialed, is connected (`isConnected` or a peer we were told of), is a static node (the
 *   static logic owns it), was dialed less than `historyExpirationMs` ago (35 s: go-ethereum's
 *   `dialHistoryExpiration`), or is backing off after failures.
 * - **Backoff.** Every dial start puts the node in the history for 35 s (so a node that connects
 *   and drops is not redialed at once). A failure sets a backoff of 35 s × 2^(failures − 1), capped
 *   at `backoffMaxMs` (10 min), times a random factor in [1, 1.5) so nodes that failed together are
 *   retried apart; a success clears it. Static nodes follow the same rule: redialed when they drop
 *   (after the 35 s history) and after failures with that backoff; a timer wakes the dialer for them.
 * - **Tags.** Each connected peer the dialer knows of has a `HowFound`: the tag of the source it
 *   came from, `static`, or `inbound` (told by `peerAdded`).
 * - **Lifecycle.** `start()` starts the readers and the first pass; `stop()` aborts dials in flight
 *   (their signals), returns the sources' iterators, resolves once readers and dials ended, and
 *   leaves no timer behind. A peer dropped without `peerRemoved` is noticed by the periodic
 *   re-check (`isConnected`, every `recheckIntervalMs`).
 *
 * Bootnodes of discv4 are for discovery only (go-ethereum does not dial them); the node's own
 * `--bootnodes` dial targets (libp2p networks) are static nodes here.
 *
 * Constants live here (not in constants.ts) while the node package is being restructured.
 */
import type { Clock, Logger, RandomSource, Startable } from '@ethwire/interface'
import { isCodedError, systemClock } from '@ethwire/interface/runtime'

// ---------------------------------------------------------------------------------------------
// Constants

/** Dialed peers are at most maxPeers / this (go-ethereum's `defaultDialRatio`). */
export const defaultDialRatio = 3
/** Dials in flight at most (go-ethereum's former `maxActiveDialTasks`). */
export const defaultMaxActiveDials = 16
/** A dialed node is not dialed again for this long (go-ethereum: inboundThrottleTime + 5 s). */
export const dialHistoryExpirationMs = 35_000
/** Longest backoff after repeated failures. */
export const dialBackoffMaxMs = 10 * 60_000
/** A dial that has not resolved after this long is aborted (go-ethereum's `defaultDialTimeout`). */
export const dialerDialTimeoutMs = 15_000
/** How often connected peers are re-checked with `isConnected` and expired entries dropped. */
export const dialerRecheckIntervalMs = 5_000
/** Candidates each source may hand over per second (after a burst), dialable or not. */
export const sourceReadPerSecond = 32
/** Burst of the per-source read rate. */
export const sourceReadBurst = 64
/** Nodes whose failures are remembered (least recently failed forgotten first). */
export const maxBackoffEntries = 10_000

// ---------------------------------------------------------------------------------------------
// Types

/** How a peer was found, for admin_peers. Sources may use other tags (say, `discv5`). */
export type HowFound = 'static' | 'discv4' | 'dns' | 'inbound' | (string & {})

/** Something to dial. */
export interface DialCandidate {
  /**
   * The key the node uses for its peers (`isConnected`, `peerAdded`, `peerRemoved`): for RLPx, the
   * node's 64-byte public key as 128 lower-case hex characters (the id of its `enode://` URL).
   */
  readonly id: string
  /** What `dial` takes: an `enode://` URL (or a multiaddr, for a libp2p node). */
  readonly address: string
}

/** A stream of candidates and the tag its peers get. Its iterator is returned on `stop()`. */
export interface DialSource {
  readonly tag: HowFound
  readonly candidates: AsyncIterable<DialCandidate>
}

/** A node as discovery hands it out (`@ethwire/discv4`'s `DiscoveredNode` fits). */
export interface DiscoveredNodeLike {
  /** 64-byte public key (x || y). */
  readonly publicKey: Uint8Array
  readonly ip: string
  readonly tcpPort: number
  readonly udpPort: number
}

export interface DialerDeps {
  /**
   * Connects to `address` and completes the handshakes; resolves once the peer is connected
   * (`isConnected(id)` true), rejects when it could not be. Must settle soon after `signal`
   * aborts (dial timeout, `stop()`).
   */
  dial(address: string, signal: AbortSignal): Promise<void>
  /** Every connected peer now, inbound and outbound. */
  peerCount(): number
  /** Whether the peer with this id (see {@link DialCandidate.id}) is connected. */
  isConnected(id: string): boolean
  readonly clock?: Clock
  readonly random?: RandomSource
  readonly logger?: Pick<Logger, 'debug' | 'info'>
}

export interface DialerOptions {
  /** Peers in all (`--maxpeers`); 0 dials nothing. */
  readonly maxPeers: number
  /** maxPeers / dialRatio of them are dialed (default 3). */
  readonly dialRatio?: number
  /** Dials in flight at most (default 16). */
  readonly maxActiveDials?: number
  /** Our own id: never dialed. */
  readonly selfId?: string
  /** Nodes kept connected (`--bootnodes` of our own networks, static peers). */
  readonly staticNodes?: readonly DialCandidate[]
  /** Discovery streams, read while dynamic slots are free. */
  readonly sources?: readonly DialSource[]
  readonly dialTimeoutMs?: number
  readonly historyExpirationMs?: number
  readonly backoffMaxMs?: number
  readonly recheckIntervalMs?: number
}

/** Why a candidate was not dialed (counted in `stats.skipped`). */
export type SkipReason =
  | 'invalid'
  | 'self'
  | 'dialing'
  | 'connected'
  | 'static'
  | 'recentlyDialed'
  | 'backoff'

export interface DialerStats {
  dialsStarted: number
  dialsSucceeded: number
  dialsFailed: number
  /** Candidates read from the sources, by tag. */
  candidates: Record<string, number>
  skipped: Record<string, number>
}

export interface Dialer extends Startable {
  /** A peer connected (inbound, or dialed by someone else); `direction` default 'inbound'. */
  peerAdded(id: string, info?: { direction?: 'inbound' | 'outbound'; howFound?: HowFound }): void
  /** A peer disconnected: its slot is free again. */
  peerRemoved(id: string): void
  /** How a connected peer was found; undefined when the dialer does not know it. */
  howFound(id: string): HowFound | undefined
  /** Adds a node to keep connected (no-op when it is one already). */
  addStatic(candidate: DialCandidate): void
  /** Stops keeping a node connected (does not disconnect it); forgets its backoff. */
  removeStatic(id: string): void
  /** Peers we dialed that are connected (they count against `maxDialedPeers`). */
  readonly dialedPeerCount: number
  readonly maxDialedPeers: number
  /** Dials in flight. */
  readonly dialingCount: number
  /** When a node may be dialed again (history or backoff), or undefined when it may now. */
  blockedUntil(id: string): number | undefined
  readonly stats: Readonly<DialerStats>
}

export type DialerErrorCode =
  | 'ErrBadCandidate'
  | 'ErrDialTimeout'
  | 'ErrDialerStopped'
  | 'ErrSlotsFull'

export class DialerError extends Error {
  override readonly name = 'DialerError'
  constructor(
    readonly code: DialerErrorCode,
    message: string,
  ) {
    super(message)
  }
}

export const isDialerError = (err: unknown, code?: DialerErrorCode): err is DialerError =>
  isCodedError<DialerError>(err, 'DialerError', code)

// ---------------------------------------------------------------------------------------------
// Adapters

const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

/** The candidate for a discovered node: id the public key's hex, address its `enode://` URL. */
export function candidateFromNode(node: DiscoveredNodeLike): DialCandidate {
  const id = hexOf(node.publicKey)
  const host = node.ip.includes(':') ? `[${node.ip}]` : node.ip
  const q = node.udpPort !== node.tcpPort && node.udpPort > 0 ? `?discport=${node.udpPort}` : ''
  return { id, address: `enode://${id}@${host}:${node.tcpPort}${q}` }
}

/** The candidate for an `enode://` URL (its id part, lower case). Throws `ErrBadCandidate`. */
export function candidateFromEnode(url: string): DialCandidate {
  const m = /^enode:\/\/([0-9a-fA-F]{128})@/.exec(url.trim())
  if (m === null) throw new DialerError('ErrBadCandidate', `not an enode URL: ${url}`)
  return { id: m[1]!.toLowerCase(), address: url.trim() }
}

/**
 * A source over a discovery iterator (`disc.randomNodes()`, a DNS tree walk): nodes without a
 * TCP port are left out. `return()` reaches the discovery iterator at once, even while a `next()`
 * is pending.
 */
export function discoverySource(
  tag: HowFound,
  nodes: AsyncIterable<DiscoveredNodeLike>,
): DialSource {
  return {
    tag,
    candidates: {
      [Symbol.asyncIterator](): AsyncIterator<DialCandidate> {
        const it = nodes[Symbol.asyncIterator]()
        return {
          async next(): Promise<IteratorResult<DialCandidate>> {
            for (;;) {
              const r = await it.next()
              if (r.done === true) return { value: undefined, done: true }
              if (r.value.tcpPort > 0) return { value: candidateFromNode(r.value), done: false }
            }
          },
          async return(): Promise<IteratorResult<DialCandidate>> {
            await it.return?.()
            return { value: undefined, done: true }
          },
        }
      },
    },
  }
}

// ---------------------------------------------------------------------------------------------
// The dialer

interface DialTask {
  readonly candidate: DialCandidate
  readonly tag: HowFound
  readonly ac: AbortController
  /** Aborted by us because the slots filled (not a failure of the node). */
  trimmed: boolean
  done: Promise<void>
}

interface Backoff {
  failures: number
  until: number
}

interface PeerInfo {
  readonly howFound: HowFound
  readonly dialed: boolean
}

const normalizeId = (id: string) => (id.startsWith('0x') ? id.slice(2) : id).toLowerCase()

class DialerImpl implements Dialer {
  readonly #deps: DialerDeps
  readonly #clock: Clock
  readonly #random: RandomSource
  readonly #maxPeers: number
  readonly #maxDialed: number
  readonly #maxActive: number
  readonly #selfId: string | undefined
  readonly #sources: readonly DialSource[]
  readonly #dialTimeoutMs: number
  readonly #historyMs: number
  readonly #backoffMaxMs: number
  readonly #recheckMs: number

  #state: 'new' | 'running' | 'stopped' = 'new'
  readonly #static = new Map<string, DialCandidate>()
  readonly #dialing = new Map<string, DialTask>()
  readonly #peers = new Map<string, PeerInfo>()
  readonly #history = new Map<string, number>()
  readonly #backoff = new Map<string, Backoff>()
  readonly #iterators = new Set<AsyncIterator<DialCandidate>>()
  readonly #readers: Promise<void>[] = []
  #slotWaiters: (() => void)[] = []
  readonly #timers = new Set<unknown>()
  readonly #sleepers = new Set<() => void>()
  #staticTimer: unknown
  #staticTimerAt = Number.POSITIVE_INFINITY
  #markStopped: () => void = () => {}
  readonly #stopped = new Promise<void>((resolve) => {
    this.#markStopped = resolve
  })
  readonly stats: DialerStats = {
    dialsStarted: 0,
    dialsSucceeded: 0,
    dialsFailed: 0,
    candidates: {},
    skipped: {},
  }

  constructor(deps: DialerDeps, options: DialerOptions) {
    this.#deps = deps
    this.#clock = deps.clock ?? systemClock
    this.#random = deps.random ?? Math.random
    const maxPeers = Math.max(0, Math.floor(options.maxPeers))
    const ratio = options.dialRatio ?? defaultDialRatio
    if (!(ratio >= 1)) throw new DialerError('ErrBadCandidate', `dialRatio must be ≥ 1: ${ratio}`)
    this.#maxPeers = maxPeers
    this.#maxDialed = maxPeers === 0 ? 0 : Math.max(1, Math.floor(maxPeers / ratio))
    this.#maxActive = Math.max(1, options.maxActiveDials ?? defaultMaxActiveDials)
    this.#selfId = options.selfId === undefined ? undefined : normalizeId(options.selfId)
    this.#sources = options.sources ?? []
    this.#dialTimeoutMs = options.dialTimeoutMs ?? dialerDialTimeoutMs
    this.#historyMs = options.historyExpirationMs ?? dialHistoryExpirationMs
    this.#backoffMaxMs = options.backoffMaxMs ?? dialBackoffMaxMs
    this.#recheckMs = options.recheckIntervalMs ?? dialerRecheckIntervalMs
    for (const c of options.staticNodes ?? []) this.#addStatic(c)
  }

  get dialedPeerCount(): number {
    let n = 0
    for (const p of this.#peers.values()) if (p.dialed) n++
    return n
  }

  get maxDialedPeers(): number {
    return this.#maxDialed
  }

  get dialingCount(): number {
    return this.#dialing.size
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') return
    this.#state = 'running'
    for (const s of this.#sources) this.#readers.push(this.#read(s))
    this.#armRecheck()
    this.#schedule()
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped') return
    const wasRunning = this.#state === 'running'
    this.#state = 'stopped'
    this.#markStopped()
    for (const t of this.#timers) this.#clock.clearTimeout(t)
    this.#timers.clear()
    this.#staticTimer = undefined
    for (const w of this.#slotWaiters.splice(0)) w()
    for (const w of [...this.#sleepers]) w()
    const reason = new DialerError('ErrDialerStopped', 'dialer stopped')
    const dials = [...this.#dialing.values()]
    for (const t of dials) t.ac.abort(reason)
    for (const it of this.#iterators) closeIterator(it)
    this.#iterators.clear()
    if (wasRunning) await Promise.allSettled([...this.#readers, ...dials.map((t) => t.done)])
  }

  peerAdded(id: string, info: { direction?: 'inbound' | 'outbound'; howFound?: HowFound } = {}) {
    const key = normalizeId(id)
    if (this.#peers.has(key)) return // a dial of ours got there first
    const outbound = info.direction === 'outbound'
    // The node may report our own dial before `dial()` resolved: it keeps the dial's tag.
    const task = outbound ? this.#dialing.get(key) : undefined
    const howFound = task?.tag ?? info.howFound ?? (outbound ? 'static' : 'inbound')
    this.#peers.set(key, { howFound, dialed: outbound })
    if (outbound) this.#trimSpeculative()
    this.#schedule()
  }

  peerRemoved(id: string): void {
    if (this.#peers.delete(normalizeId(id))) this.#schedule()
  }

  howFound(id: string): HowFound | undefined {
    return this.#peers.get(normalizeId(id))?.howFound
  }

  addStatic(candidate: DialCandidate): void {
    this.#addStatic(candidate)
    this.#schedule()
  }

  removeStatic(id: string): void {
    const key = normalizeId(id)
    if (!this.#static.delete(key)) return
    // Forget its past so adding it back dials it at once (go-ethereum's removeStatic).
    this.#history.delete(key)
    this.#backoff.delete(key)
  }

  blockedUntil(id: string): number | undefined {
    const key = normalizeId(id)
    const now = this.#clock.now()
    const until = Math.max(this.#history.get(key) ?? 0, this.#backoff.get(key)?.until ?? 0)
    return until > now ? until : undefined
  }

  // -------------------------------------------------------------------------------------------

  #addStatic(c: DialCandidate): void {
    const id = normalizeId(c.id)
    if (id === '' || c.address === '') {
      throw new DialerError('ErrBadCandidate', `static node without id or address: ${c.address}`)
    }
    if (!this.#static.has(id)) this.#static.set(id, { id, address: c.address })
  }

  #running(): boolean {
    return this.#state === 'running'
  }

  /** Free dial slots (go-ethereum's freeDialSlots); may be ≤ 0. */
  #freeSlots(): number {
    if (this.#maxDialed === 0) return 0
    this.#prunePeers()
    const slots = Math.min((this.#maxDialed - this.dialedPeerCount) * 2, this.#maxActive)
    return slots - this.#dialing.size
  }

  #dynamicSlotFree(): boolean {
    return this.#running() && this.#freeSlots() > 0 && this.#deps.peerCount() < this.#maxPeers
  }

  /** Drops peers the node no longer has (when a `peerRemoved` was missed). */
  #prunePeers(): void {
    for (const id of this.#peers.keys()) {
      if (!this.#isConnected(id)) this.#peers.delete(id)
    }
  }

  #isConnected(id: string): boolean {
    try {
      return this.#deps.isConnected(id)
    } catch {
      return false
    }
  }

  /** Why `id` may not be dialed now, or undefined. */
  #check(id: string, isStatic: boolean): SkipReason | undefined {
    if (id === '') return 'invalid'
    if (id === this.#selfId) return 'self'
    if (!isStatic && this.#static.has(id)) return 'static'
    if (this.#dialing.has(id)) return 'dialing'
    if (this.#peers.has(id) || this.#isConnected(id)) return 'connected'
    const now = this.#clock.now()
    const h = this.#history.get(id)
    if (h !== undefined) {
      if (h > now) return 'recentlyDialed'
      this.#history.delete(id)
    }
    const b = this.#backoff.get(id)
    if (b !== undefined && b.until > now) return 'backoff'
    return undefined
  }

  #skip(reason: SkipReason): void {
    this.stats.skipped[reason] = (this.stats.skipped[reason] ?? 0) + 1
  }

  /** One scheduling pass: static dials into free slots, then wake the source readers. */
  #schedule(): void {
    if (!this.#running()) return
    let free = this.#freeSlots()
    if (free > 0 && this.#static.size > 0) {
      const eligible: DialCandidate[] = []
      for (const [id, c] of this.#static) if (this.#check(id, true) === undefined) eligible.push(c)
      while (free > 0 && eligible.length > 0) {
        const i = Math.floor(this.#random() * eligible.length)
        const c = eligible.splice(Math.min(i, eligible.length - 1), 1)[0]!
        if (this.#check(c.id, true) !== undefined) continue
        this.#startDial(c, 'static')
        free--
      }
    }
    this.#armStaticTimer()
    if (free > 0) for (const w of this.#slotWaiters.splice(0)) w()
  }

  /** Wakes the dialer when the first static node waiting on its history or backoff may go. */
  #armStaticTimer(): void {
    let at = Number.POSITIVE_INFINITY
    const now = this.#clock.now()
    for (const id of this.#static.keys()) {
      if (this.#dialing.has(id) || this.#peers.has(id)) continue
      const until = Math.max(this.#history.get(id) ?? 0, this.#backoff.get(id)?.until ?? 0)
      if (until > now && until < at) at = until
    }
    if (at === this.#staticTimerAt && this.#staticTimer !== undefined) return
    if (this.#staticTimer !== undefined) {
      this.#clock.clearTimeout(this.#staticTimer)
      this.#timers.delete(this.#staticTimer)
      this.#staticTimer = undefined
    }
    this.#staticTimerAt = at
    if (at === Number.POSITIVE_INFINITY) return
    const t = this.#clock.setTimeout(() => {
      this.#timers.delete(t)
      this.#staticTimer = undefined
      this.#staticTimerAt = Number.POSITIVE_INFINITY
      this.#schedule()
    }, at - now)
    this.#staticTimer = t
    this.#timers.add(t)
  }

  #armRecheck(): void {
    const t = this.#clock.setTimeout(() => {
      this.#timers.delete(t)
      if (!this.#running()) return
      this.#expire()
      this.#schedule()
      this.#armRecheck()
    }, this.#recheckMs)
    this.#timers.add(t)
  }

  /** Drops history entries that expired, and backoffs long past (their failures are forgiven). */
  #expire(): void {
    const now = this.#clock.now()
    for (const [id, at] of this.#history) if (at <= now) this.#history.delete(id)
    for (const [id, b] of this.#backoff) {
      if (b.until + this.#backoffMaxMs <= now) this.#backoff.delete(id)
    }
  }

  #startDial(c: DialCandidate, tag: HowFound): void {
    const id = c.id
    const now = this.#clock.now()
    this.#history.set(id, now + this.#historyMs)
    const ac = new AbortController()
    const task: DialTask = { candidate: c, tag, ac, trimmed: false, done: Promise.resolve() }
    this.#dialing.set(id, task)
    this.stats.dialsStarted++
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(timer)
      ac.abort(new DialerError('ErrDialTimeout', `dial of ${c.address} timed out`))
    }, this.#dialTimeoutMs)
    this.#timers.add(timer)
    // `dial` runs in a microtask, so even one that throws at once never re-enters a pass.
    const dialing = Promise.resolve().then(() => this.#deps.dial(c.address, ac.signal))
    task.done = (async () => {
      try {
        await dialing
        if (!this.#running()) return
        this.stats.dialsSucceeded++
        this.#backoff.delete(id)
        const prev = this.#peers.get(id)
        if (prev === undefined || prev.dialed) this.#peers.set(id, { howFound: tag, dialed: true })
        this.#deps.logger?.debug('Dialed peer', { id: id.slice(0, 16), how: tag })
        this.#trimSpeculative()
      } catch (err) {
        if (!this.#running()) return
        // Cut short by us (slots filled), or beaten by an inbound connection: not its fault.
        if (task.trimmed || this.#peers.has(id) || this.#isConnected(id)) return
        this.stats.dialsFailed++
        this.#fail(id)
        this.#deps.logger?.debug('Dial failed', {
          addr: c.address,
          how: tag,
          err: String(err),
          retryInMs: (this.#backoff.get(id)?.until ?? now) - this.#clock.now(),
        })
      } finally {
        this.#clock.clearTimeout(timer)
        this.#timers.delete(timer)
        this.#dialing.delete(id)
        this.#schedule()
      }
    })()
  }

  /**
   * Up to twice the free slots are dialed at once (most dials fail). When the dialed slots are
   * full, the dynamic dials still in flight are aborted rather than overfilling them (go-ethereum
   * leaves them running: a TODO there). Static dials go on.
   */
  #trimSpeculative(): void {
    if (this.dialedPeerCount < this.#maxDialed) return
    for (const t of this.#dialing.values()) {
      // Not static ones, and not the dial that just connected (still in the map until its end).
      if (t.tag === 'static' || t.trimmed || this.#peers.has(t.candidate.id)) continue
      t.trimmed = true
      t.ac.abort(new DialerError('ErrSlotsFull', 'dialed peer slots filled'))
    }
  }

  /** Failure bookkeeping: 35 s × 2^(n − 1), capped, times a random factor in [1, 1.5). */
  #fail(id: string): void {
    const prev = this.#backoff.get(id)
    const failures = (prev?.failures ?? 0) + 1
    const base = Math.min(this.#historyMs * 2 ** Math.min(failures - 1, 30), this.#backoffMaxMs)
    const until = this.#clock.now() + base * (1 + 0.5 * this.#random())
    this.#backoff.delete(id) // re-insert: the map's order is least recently failed first
    this.#backoff.set(id, { failures, until })
    while (this.#backoff.size > maxBackoffEntries) {
      const oldest = this.#backoff.keys().next().value
      if (oldest === undefined) break
      this.#backoff.delete(oldest)
    }
  }

  #waitSlot(): Promise<void> {
    if (!this.#running()) return Promise.resolve()
    return new Promise((resolve) => this.#slotWaiters.push(resolve))
  }

  #sleep(ms: number): Promise<void> {
    if (!this.#running()) return Promise.resolve()
    return new Promise((resolve) => {
      const wake = () => {
        this.#clock.clearTimeout(t)
        this.#timers.delete(t)
        this.#sleepers.delete(wake)
        resolve()
      }
      const t = this.#clock.setTimeout(wake, ms)
      this.#timers.add(t)
      this.#sleepers.add(wake)
    })
  }

  /** One source: read while a dynamic slot is free, at most `sourceReadPerSecond` (burst 64). */
  async #read(source: DialSource): Promise<void> {
    let it: AsyncIterator<DialCandidate>
    try {
      it = source.candidates[Symbol.asyncIterator]()
    } catch (err) {
      this.#deps.logger?.info('Dial source failed', { source: source.tag, err: String(err) })
      return
    }
    this.#iterators.add(it)
    const stopped = this.#stopped.then(() => 'stopped' as const)
    let tokens = sourceReadBurst
    let last = this.#clock.now()
    let held: DialCandidate | undefined
    try {
      while (this.#running()) {
        if (!this.#dynamicSlotFree()) {
          await this.#waitSlot()
          continue
        }
        if (held === undefined) {
          const now = this.#clock.now()
          tokens = Math.min(sourceReadBurst, tokens + ((now - last) * sourceReadPerSecond) / 1000)
          last = now
          if (tokens < 1) {
            await this.#sleep(Math.ceil(((1 - tokens) * 1000) / sourceReadPerSecond))
            continue
          }
          tokens -= 1
          const next = it.next()
          next.catch(() => {}) // still pending at stop: its rejection is nobody's business
          const r = await Promise.race([next, stopped])
          if (r === 'stopped' || r.done === true) break
          this.stats.candidates[source.tag] = (this.stats.candidates[source.tag] ?? 0) + 1
          held = r.value
          continue // a slot may have gone while we waited: check again, holding the candidate
        }
        const c = held
        held = undefined
        const id = typeof c?.id === 'string' ? normalizeId(c.id) : ''
        const reason =
          typeof c?.address === 'string' && c.address !== '' ? this.#check(id, false) : 'invalid'
        if (reason !== undefined) {
          this.#skip(reason)
          continue
        }
        this.#startDial({ id, address: c.address }, source.tag)
      }
    } catch (err) {
      if (this.#running()) {
        this.#deps.logger?.info('Dial source ended', { source: source.tag, err: String(err) })
      }
    } finally {
      if (this.#iterators.delete(it)) closeIterator(it)
    }
  }
}

/** Ends a source's iteration without waiting for it (a generator may only end at its next yield). */
function closeIterator(it: AsyncIterator<unknown>): void {
  try {
    void it.return?.()?.catch(() => {})
  } catch {}
}

/** Creates a {@link Dialer}; nothing happens before `start()`. */
export function createDialer(deps: DialerDeps, options: DialerOptions): Dialer {
  return new DialerImpl(deps, options)
}
