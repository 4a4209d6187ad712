/**
 * Peer reputation after reth's model (`crates/net/network-types/src/peers/reputation.rs`): a score
 * per peer id starting at 0, a cost per kind of offence, a ban below a threshold for a while, and
 * the choice of whom to evict when the slots are full. Scores climb back towards 0 with time, so
 * an occasional timeout is forgotten and only a peer that keeps failing is banned.
 */
import type { Clock } from '@ethwire/interface'
import { errorCode, systemClock, TypedEmitter } from '@ethwire/interface/runtime'
import { DisconnectReason } from '@ethwire/rlp-wire'
import * as C from './constants.js'

/** What a peer did wrong; each kind has a cost in {@link offenceCosts}. */
export type OffenceKind =
  /** A message that does not decode, is too large or has an unknown code. */
  | 'badMessage'
  /** A response that cannot be the answer (too many items, headers that do not link, roots that do not match). */
  | 'badResponse'
  /** A request not answered in time. */
  | 'timeout'
  /** A response to nothing asked: late, duplicate or never requested. */
  | 'unsolicitedResponse'
  /** An announcement of something useless: unrequested, invalid, or not what it said it was. */
  | 'uselessAnnouncement'
  /** A block or transaction the peer had already sent us or been sent by us (once per message). */
  | 'alreadySeen'
  /** Over a flood limit (see `FloodLimits`). */
  | 'flood'
  /** A breach of the protocol: banned at once. */
  | 'protocolBreach'

/** The default cost of each offence (constants.ts). */
export const offenceCosts: Readonly<Record<OffenceKind, number>> = Object.freeze({
  badMessage: C.badMessageCost,
  badResponse: C.badResponseCost,
  timeout: C.timeoutCost,
  unsolicitedResponse: C.unsolicitedResponseCost,
  uselessAnnouncement: C.uselessAnnouncementCost,
  alreadySeen: C.alreadySeenCost,
  flood: C.floodCost,
  protocolBreach: C.protocolBreachCost,
})

/**
 * How a peer id is treated: `trusted` (operator-configured: costs capped at `trustedMaxCost`, never
 * banned, never evicted), `static` (always dialled: scored and banned like any other, never evicted),
 * `basic` (everyone else).
 */
export type PeerKind = 'basic' | 'static' | 'trusted'

/** One offence, as recorded. */
export interface Offence {
  kind: OffenceKind
  /** What it cost (after the trusted cap). */
  cost: number
  /** Free text from the reporter: the error message, the request, … */
  detail?: string
  /** Clock time of the report (ms). */
  atMs: number
}

/** A banned peer id. */
export interface BanEntry {
  id: string
  /** Clock time the ban ends (ms). */
  untilMs: number
  /** Why: the offence that crossed the threshold (or the text given to `ban`). */
  reason: string
  /** That offence, when a report caused the ban. */
  offence?: Offence
}

/** What `report` did. */
export interface ReportOutcome {
  id: string
  kind: OffenceKind
  /** The cost taken (the trusted cap applied). */
  cost: number
  /** The score after it. */
  score: number
  /** Disconnect the peer: its score is below the ban threshold and its id is banned. */
  shouldDrop: boolean
  /** This report is the one that banned it. */
  banned: boolean
  /** One line for the drop log: `badResponse: headers do not link (score -52)`. */
  reason: string
  /** The devp2p reason to disconnect with: ProtocolError for bad messages and breaches, else UselessPeer. */
  disconnectReason: number
}

/** Everything known of a peer id's reputation (for `admin_peers`). */
export interface PeerReputation {
  id: string
  score: number
  kind: PeerKind
  banned: boolean
  /** While banned: when the ban ends, and why. */
  bannedUntilMs?: number
  banReason?: string
  /** The most recent offence and the most costly one (the first of equal cost), since the last reset. */
  lastOffence?: Offence
  worstOffence?: Offence
  /** Offences reported since the last reset. */
  offences: number
}

export interface PeerScoresEvents {
  /** A peer id was banned (by a report or by `ban`). */
  banned: BanEntry
  /** A ban ended: it expired (seen on the next look-up), or `unban` was called. */
  unbanned: { id: string }
}

export interface PeerScoresDeps {
  /** Decides ban expiry and score recovery (default `systemClock`). */
  clock?: Clock
}

export interface PeerScoresOptions {
  /** Costs per kind, over {@link offenceCosts}. */
  costs?: Partial<Record<OffenceKind, number>>
  /** A score below this bans (default {@link C.banThresholdScore}, -50). */
  banThresholdScore?: number
  /** Ban length (default {@link C.banDurationMs}, 12 h). */
  banDurationMs?: number
  /** Points per minute a score climbs back towards 0 (default {@link C.reputationRecoveryPerMinute}; 0: never). */
  recoveryPerMinute?: number
  /** Largest cost one offence takes from a trusted peer (default {@link C.trustedMaxCost}). */
  trustedMaxCost?: number
  /** Banned ids kept at most, least recently banned forgotten first (default {@link C.maxBannedPeers}). */
  maxBannedPeers?: number
  /** Scored ids kept at most, least recently reported forgotten first (default {@link C.maxScoredPeers}). */
  maxScoredPeers?: number
  /** Where a throwing `banned`/`unbanned` listener's error goes (see `TypedEmitter`). */
  onListenerError?: (err: unknown, event: keyof PeerScoresEvents) => void
}

interface Entry {
  score: number
  /** Clock time `score` was computed at (recovery runs from here). */
  atMs: number
  last?: Offence
  worst?: Offence
  offences: number
}

/**
 * Reputation of peer ids: `report(id, kind)` after each offence, `shouldDrop` / the outcome says
 * when to disconnect, `isBanned(id)` before accepting or dialling a peer, `pickEvictee(peers)` when
 * the slots are full. Synchronous; the tables are bounded; time comes from the injected clock.
 */
export class PeerScores {
  readonly events: TypedEmitter<PeerScoresEvents>
  readonly banThresholdScore: number
  readonly banDurationMs: number
  readonly #clock: Clock
  readonly #costs: Record<OffenceKind, number>
  readonly #recoveryPerMs: number
  readonly #trustedMaxCost: number
  readonly #maxBans: number
  readonly #maxScores: number
  /** Insertion order is recency: a touched entry is deleted and set again. */
  readonly #scores = new Map<string, Entry>()
  readonly #bans = new Map<string, BanEntry>()
  readonly #kinds = new Map<string, PeerKind>()

  constructor(deps: PeerScoresDeps = {}, options: PeerScoresOptions = {}) {
    this.#clock = deps.clock ?? systemClock
    this.#costs = { ...offenceCosts, ...options.costs }
    for (const [k, v] of Object.entries(this.#costs))
      if (!(v >= 0)) throw new RangeError(`cost of ${k} must be >= 0, got ${v}`)
    this.banThresholdScore = options.banThresholdScore ?? C.banThresholdScore
    this.banDurationMs = options.banDurationMs ?? C.banDurationMs
    this.#recoveryPerMs = (options.recoveryPerMinute ?? C.reputationRecoveryPerMinute) / 60_000
    this.#trustedMaxCost = options.trustedMaxCost ?? C.trustedMaxCost
    this.#maxBans = options.maxBannedPeers ?? C.maxBannedPeers
    this.#maxScores = options.maxScoredPeers ?? C.maxScoredPeers
    if (!(this.#maxBans >= 1) || !(this.#maxScores >= 1))
      throw new RangeError('maxBannedPeers and maxScoredPeers must be >= 1')
    this.events = new TypedEmitter<PeerScoresEvents>(
      options.onListenerError === undefined ? {} : { onListenerError: options.onListenerError },
    )
  }

  /** The cost of an offence kind in this table. */
  costOf(kind: OffenceKind): number {
    return this.#costs[kind]
  }

  /** Marks a peer id `trusted` or `static` (or back to `basic`); kept until changed, outside the bounded tables. */
  setKind(id: string, kind: PeerKind): void {
    if (kind === 'basic') this.#kinds.delete(id)
    else this.#kinds.set(id, kind)
    if (kind === 'trusted' && this.#bans.has(id)) this.unban(id)
  }

  kindOf(id: string): PeerKind {
    return this.#kinds.get(id) ?? 'basic'
  }

  /**
   * Takes the cost of `kind` (or `options.cost`) from the peer's score and records the offence.
   * Crossing below the ban threshold bans the id for `banDurationMs` and says `shouldDrop`; a peer
   * already banned stays banned (the ban is not extended). Trusted peers pay at most
   * `trustedMaxCost` and are never banned.
   */
  report(
    id: string,
    kind: OffenceKind,
    options: { detail?: string; cost?: number } = {},
  ): ReportOutcome {
    const now = this.#clock.now()
    const trusted = this.kindOf(id) === 'trusted'
    const full = options.cost ?? this.#costs[kind]
    if (!(full >= 0)) throw new RangeError(`cost must be >= 0, got ${full}`)
    const cost = trusted ? Math.min(full, this.#trustedMaxCost) : full
    // First: a ban found expired resets the score, before this offence is taken from it.
    const wasBanned = !trusted && this.isBanned(id)
    const e = this.#touch(id, now)
    e.score = Math.max(C.minReputationScore, e.score - cost)
    const offence: Offence = { kind, cost, atMs: now }
    if (options.detail !== undefined) offence.detail = options.detail
    e.last = offence
    if (e.worst === undefined || cost > e.worst.cost) e.worst = offence
    e.offences++
    const reason = `${kind}${options.detail === undefined ? '' : `: ${options.detail}`} (score ${round(e.score)})`
    let banned = false
    let shouldDrop = false
    if (!trusted) {
      if (wasBanned) shouldDrop = true
      else if (e.score < this.banThresholdScore) {
        this.#ban({ id, untilMs: now + this.banDurationMs, reason, offence })
        banned = true
        shouldDrop = true
      }
    }
    return {
      id,
      kind,
      cost,
      score: e.score,
      shouldDrop,
      banned,
      reason,
      disconnectReason:
        kind === 'badMessage' || kind === 'protocolBreach'
          ? DisconnectReason.ProtocolError
          : DisconnectReason.UselessPeer,
    }
  }

  /** The peer's score now (0 for an id never reported, or forgotten). */
  score(id: string): number {
    const e = this.#scores.get(id)
    return e === undefined ? C.defaultReputation : this.#current(e, this.#clock.now())
  }

  /** Whether the peer should be disconnected: its id is banned. */
  shouldDrop(id: string): boolean {
    return this.isBanned(id)
  }

  /**
   * Whether the id is banned now. A ban found expired is removed here, the score starts again at 0
   * and `unbanned` is emitted.
   */
  isBanned(id: string): boolean {
    const b = this.#bans.get(id)
    if (b === undefined) return false
    if (this.#clock.now() < b.untilMs) return true
    this.#bans.delete(id)
    this.#scores.delete(id)
    this.events.emit('unbanned', { id })
    return false
  }

  /** The ban of an id, while it lasts. */
  banOf(id: string): BanEntry | undefined {
    return this.isBanned(id) ? this.#bans.get(id) : undefined
  }

  /** Bans an id outright (say, an operator's `admin_removePeer`-style ban); trusted ids are refused. */
  ban(id: string, reason: string, durationMs: number = this.banDurationMs): boolean {
    if (this.kindOf(id) === 'trusted') return false
    this.#ban({ id, untilMs: this.#clock.now() + durationMs, reason })
    return true
  }

  /** Lifts a ban and resets the score to 0. Returns whether the id was banned. */
  unban(id: string): boolean {
    const had = this.#bans.delete(id)
    this.#scores.delete(id)
    if (had) this.events.emit('unbanned', { id })
    return had
  }

  /** Bans in force, least recently banned first (expired ones are dropped on the way). */
  bans(): BanEntry[] {
    const out: BanEntry[] = []
    for (const id of [...this.#bans.keys()]) {
      const b = this.banOf(id)
      if (b !== undefined) out.push({ ...b })
    }
    return out
  }

  /** Everything known of an id (for `admin_peers` and drop logs). */
  info(id: string): PeerReputation {
    const e = this.#scores.get(id)
    const ban = this.banOf(id)
    const r: PeerReputation = {
      id,
      score: e === undefined ? C.defaultReputation : this.#current(e, this.#clock.now()),
      kind: this.kindOf(id),
      banned: ban !== undefined,
      offences: e?.offences ?? 0,
    }
    if (ban !== undefined) {
      r.bannedUntilMs = ban.untilMs
      r.banReason = ban.reason
    }
    if (e?.last !== undefined) r.lastOffence = { ...e.last }
    if (e?.worst !== undefined) r.worstOffence = { ...e.worst }
    return r
  }

  /** Forgets an id's score and offences (not its ban or kind). */
  forget(id: string): void {
    this.#scores.delete(id)
  }

  /** Ids scored (the bounded table; banned ones count while their entry lasts). */
  get size(): number {
    return this.#scores.size
  }

  /**
   * The peer to evict when the slots are full: the lowest score first, never a trusted or static
   * one (by `setKind`, or a `trusted` / `static` flag on the peer object). Among equal scores the
   * last one in iteration order (in a `PeerSet`, the most recently registered) goes. Undefined when
   * every candidate is protected or there is none.
   */
  pickEvictee<
    P extends { readonly id: string; readonly trusted?: boolean; readonly static?: boolean },
  >(peers: Iterable<P>): P | undefined {
    let pick: P | undefined
    let low = Number.POSITIVE_INFINITY
    for (const p of peers) {
      if (p.trusted === true || p.static === true || this.kindOf(p.id) !== 'basic') continue
      const s = this.score(p.id)
      if (s <= low) {
        pick = p
        low = s
      }
    }
    return pick
  }

  /** The entry of `id` with its score brought to `now`, moved to the recent end (created if new). */
  #touch(id: string, now: number): Entry {
    let e = this.#scores.get(id)
    if (e === undefined) {
      e = { score: C.defaultReputation, atMs: now, offences: 0 }
      if (this.#scores.size >= this.#maxScores) {
        const oldest = this.#scores.keys().next().value as string
        this.#scores.delete(oldest)
      }
    } else {
      e.score = this.#current(e, now)
      e.atMs = now
      this.#scores.delete(id)
    }
    this.#scores.set(id, e)
    return e
  }

  #current(e: Entry, now: number): number {
    if (e.score >= C.defaultReputation || this.#recoveryPerMs === 0) return e.score
    return Math.min(C.defaultReputation, e.score + (now - e.atMs) * this.#recoveryPerMs)
  }

  #ban(entry: BanEntry): void {
    this.#bans.delete(entry.id)
    if (this.#bans.size >= this.#maxBans) {
      const now = this.#clock.now()
      for (const [id, b] of this.#bans) if (b.untilMs <= now) this.#bans.delete(id)
      if (this.#bans.size >= this.#maxBans) {
        const oldest = this.#bans.keys().next().value as string
        this.#bans.delete(oldest)
      }
    }
    this.#bans.set(entry.id, entry)
    this.events.emit('banned', { ...entry })
  }
}

/**
 * The offence an error stands for, by its string `code` (see `errorCode` of
 * `@ethwire/interface/runtime`), for the errors the ethwire packages raise about a peer: decode and
 * size errors are `badMessage`, timeouts `timeout`, invalid responses of the peer, fetchers and
 * downloader `badResponse`, unrequested deliveries `unsolicitedResponse`, a duplicate in one message
 * `alreadySeen`, a delivery that differs from its announcement `uselessAnnouncement`, a non-Status
 * first message `protocolBreach`. Undefined for anything that is not the peer's fault (closed
 * connections, our own unsupported requests, handshake incompatibilities such as another genesis).
 */
export function offenceOf(err: unknown): OffenceKind | undefined {
  const code = errorCode(err)
  return code === undefined ? undefined : offenceByCode[code]
}

const offenceByCode: Readonly<Record<string, OffenceKind>> = Object.freeze({
  // rlp-wire, handshake
  ErrDecode: 'badMessage',
  ErrNonCanonical: 'badMessage',
  ErrTrailingBytes: 'badMessage',
  ErrArity: 'badMessage',
  ErrKind: 'badMessage',
  ErrFieldSize: 'badMessage',
  ErrInvalidValue: 'badMessage',
  ErrMsgTooLarge: 'badMessage',
  ErrUnknownCode: 'badMessage',
  ErrInvalidBlockRange: 'badMessage',
  ErrBroadcastBlobTx: 'badMessage',
  ErrNoStatusMsg: 'protocolBreach',
  // timeouts: peerset, handshake, downloader
  ErrTimeout: 'timeout',
  ErrDaoChallengeTimeout: 'timeout',
  // answers that cannot be right: peerset, fetcher, downloader
  ErrInvalidResponse: 'badResponse',
  ErrInvalidHeader: 'badResponse',
  ErrHeaderNumberMismatch: 'badResponse',
  ErrInvalidBody: 'badResponse',
  ErrInvalidReceipts: 'badResponse',
  ErrInvalidState: 'badResponse',
  ErrInvalidChain: 'badResponse',
  ErrInvalidAncestor: 'badResponse',
  ErrEmptyHeaderSet: 'badResponse',
  ErrBadPeer: 'badResponse',
  ErrInvalidTx: 'badResponse',
  // unasked-for, duplicated, not as announced
  ErrUnrequestedTx: 'unsolicitedResponse',
  ErrUnrequestedData: 'unsolicitedResponse',
  ErrDuplicateTx: 'alreadySeen',
  ErrTxTypeMismatch: 'uselessAnnouncement',
  ErrTxSizeMismatch: 'uselessAnnouncement',
})

function round(n: number): number {
  return Math.round(n * 100) / 100
}
