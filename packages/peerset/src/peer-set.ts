import { TypedEmitter } from '@ethwire/interface/runtime'
import { type Bytes, DisconnectReason } from '@ethwire/rlp-wire'
import { maxPeers } from './constants.js'
import { PeerError } from './errors.js'
import { type OffenceKind, PeerScores, type ReportOutcome } from './reputation.js'

/** What the peer set needs from a peer; `Peer` satisfies it. */
export interface SetPeer {
  readonly id: string
  /** Total difficulty (eth/62–68); undefined on eth/69. */
  readonly td: bigint | undefined
  /** Block range (eth/69). */
  readonly blockRange: { latestBlock: bigint } | undefined
  knowsBlock(hash: Bytes): boolean
  knowsTx(hash: Bytes): boolean
  disconnect(reason?: number): Promise<void>
}

export interface PeerSetEvents<P> {
  /** A peer was registered. */
  added: P
  /** A peer was unregistered (also on close). */
  removed: P
}

export interface PeerSetOptions {
  /** Registered peers at most; more are refused with `ErrTooManyPeers` (default 50). */
  maxPeers?: number
  /**
   * Where the error of a throwing `added`/`removed` listener goes (say, a logger). Without it the
   * error is rethrown asynchronously; it never reaches `register`/`unregister` (see `TypedEmitter`).
   */
  onListenerError?: (err: unknown, event: keyof PeerSetEvents<unknown>) => void
  /**
   * The reputation table: banned ids are refused by `register`, `report` takes from it and
   * `evictionCandidate` reads it. Default: a `PeerScores` of its own on the system clock (pass one
   * to share it with a dialler or to give it a clock and options).
   */
  scores?: PeerScores
}

/**
 * The registered, handshaken peers. Registration is synchronous, so concurrent tasks that
 * register and unregister interleave safely on the event loop.
 */
export class PeerSet<P extends SetPeer = SetPeer> {
  readonly events: TypedEmitter<PeerSetEvents<P>>
  readonly maxPeers: number
  /** The reputation table this set consults (see `PeerSetOptions.scores`). */
  readonly scores: PeerScores
  readonly #peers = new Map<string, P>()
  #closed = false

  constructor(options: PeerSetOptions = {}) {
    this.maxPeers = options.maxPeers ?? maxPeers
    this.scores = options.scores ?? new PeerScores()
    this.events = new TypedEmitter<PeerSetEvents<P>>(
      options.onListenerError === undefined ? {} : { onListenerError: options.onListenerError },
    )
  }

  /** Shortcut for `events.on`. */
  on<K extends keyof PeerSetEvents<P>>(
    event: K,
    listener: (peer: PeerSetEvents<P>[K]) => void,
  ): () => void {
    return this.events.on(event, listener)
  }

  get size(): number {
    return this.#peers.size
  }

  get closed(): boolean {
    return this.#closed
  }

  /**
   * Adds a peer. Throws `PeerError` `ErrPeerSetClosed` after `close()`, `ErrBanned` for a banned
   * id, `ErrAlreadyRegistered` for a known id, `ErrTooManyPeers` when full; `err.disconnectReason`
   * (ClientQuitting, UselessPeer, AlreadyConnected, TooManyPeers) is what to tell the peer.
   */
  register(peer: P): void {
    if (this.#closed) throw new PeerError('ErrPeerSetClosed', 'peer set is closed')
    if (this.scores.isBanned(peer.id)) {
      const ban = this.scores.banOf(peer.id)
      throw new PeerError('ErrBanned', `peer ${peer.id} is banned: ${ban?.reason ?? 'banned'}`)
    }
    if (this.#peers.has(peer.id)) {
      throw new PeerError('ErrAlreadyRegistered', `peer ${peer.id} already registered`)
    }
    if (this.#peers.size >= this.maxPeers) {
      throw new PeerError(
        'ErrTooManyPeers',
        `${this.#peers.size} peers registered (max ${this.maxPeers})`,
      )
    }
    this.#peers.set(peer.id, peer)
    this.events.emit('added', peer)
  }

  /** Removes and returns a peer; throws `ErrNotRegistered` for an unknown id. Does not disconnect it. */
  unregister(id: string): P {
    const p = this.#peers.get(id)
    if (p === undefined) throw new PeerError('ErrNotRegistered', `peer ${id} is not registered`)
    this.#peers.delete(id)
    this.events.emit('removed', p)
    return p
  }

  get(id: string): P | undefined {
    return this.#peers.get(id)
  }

  has(id: string): boolean {
    return this.#peers.has(id)
  }

  /** All registered peers, in registration order. */
  peers(): P[] {
    return [...this.#peers.values()]
  }

  [Symbol.iterator](): IterableIterator<P> {
    return this.#peers.values()
  }

  /**
   * The peer with the highest total difficulty; when no peer reports one (all eth/69), the
   * peer with the highest latest block. Undefined when empty.
   */
  bestPeer(): P | undefined {
    let best: P | undefined
    let bestTd = -1n
    for (const p of this.#peers.values()) {
      if (p.td !== undefined && p.td > bestTd) {
        best = p
        bestTd = p.td
      }
    }
    if (best !== undefined) return best
    let bestBlock = -1n
    for (const p of this.#peers.values()) {
      const n = p.blockRange?.latestBlock
      if (n !== undefined && n > bestBlock) {
        best = p
        bestBlock = n
      }
    }
    return best
  }

  /**
   * Reports an offence of a peer to `scores`; when the outcome says `shouldDrop` and the peer is
   * registered, it is disconnected with `outcome.disconnectReason` (not unregistered: whoever runs
   * its connection sees it end and unregisters it, as for any other disconnect).
   */
  report(
    id: string,
    kind: OffenceKind,
    options: { detail?: string; cost?: number } = {},
  ): ReportOutcome {
    const outcome = this.scores.report(id, kind, options)
    if (outcome.shouldDrop)
      this.#peers
        .get(id)
        ?.disconnect(outcome.disconnectReason)
        .catch(() => {})
    return outcome
  }

  /**
   * The registered peer to evict for a newcomer when the set is full: the lowest score, never a
   * trusted or static one (see `PeerScores.pickEvictee`). Undefined when every peer is protected.
   */
  evictionCandidate(): P | undefined {
    return this.scores.pickEvictee(this.#peers.values())
  }

  /** Peers not known to have the block. */
  peersWithoutBlock(hash: Bytes): P[] {
    return this.peers().filter((p) => !p.knowsBlock(hash))
  }

  /** Peers not known to have the transaction. */
  peersWithoutTx(hash: Bytes): P[] {
    return this.peers().filter((p) => !p.knowsTx(hash))
  }

  /**
   * Disconnects every peer (with `reason`, default ClientQuitting), unregisters them and refuses
   * later registrations. Idempotent.
   */
  async close(reason: number = DisconnectReason.ClientQuitting): Promise<void> {
    this.#closed = true
    const all = this.peers()
    for (const p of all) {
      this.#peers.delete(p.id)
      this.events.emit('removed', p)
    }
    await Promise.all(all.map((p) => p.disconnect(reason).catch(() => {})))
  }
}
