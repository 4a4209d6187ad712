/**
 * What the parts of one sync run share: the resolved limits, the downloader's peer registry as a
 * run sees it, per-peer run state, request outcomes, and {@link RunContext} — the services the
 * run offers its parts (ancestor search, skeleton, fetch queues, importer). Internal.
 */
import type { DownloaderError, DownloaderErrorCode } from './errors.js'
import type { FetchKind, PeerStats, RttTuner } from './qos.js'
import type { Timeline } from './timeline.js'
import type {
  Clock,
  DownloaderChain,
  DownloaderPeer,
  Logger,
  RandomSource,
  RootHasher,
  StateSyncFactory,
} from './types.js'

/** Every limit a run uses, resolved from options and defaults. */
export interface ResolvedOptions {
  maxForkAncestry: number
  maxHeaderFetch: number
  maxSkeletonSize: number
  maxBodyFetch: number
  maxReceiptFetch: number
  maxStateFetch: number
  ancestorSpreadStep: number
  maxImportBatch: number
  maxPendingResults: number
  maxPendingResultBytes: number
  maxQueuedHeaders: number
  measurementImpact: number
  maxConsecutiveTimeouts: number
  dropOnTimeoutItems: number
  maxEmptyResponses: number
  fsMinFullBlocks: number
  fsHeaderContCheckMs: number
  fsHeaderCheckFrequency: number
  fsHeaderForceVerify: number
}

/** A registered peer with its measurements (kept across syncs). */
export interface PeerEntry {
  peer: DownloaderPeer
  stats: PeerStats
  unrequested: number
}

/** What a run needs from the downloader that owns it. */
export interface SyncHost {
  readonly chain: DownloaderChain
  readonly stateSync: StateSyncFactory | undefined
  /** Hashes body and receipt roots off the thread, if the downloader was given one. */
  readonly rootHasher: RootHasher | undefined
  readonly clock: Clock
  readonly random: RandomSource
  readonly log: Logger | undefined
  readonly opts: ResolvedOptions
  readonly tuner: RttTuner
  readonly peers: ReadonlyMap<string, PeerEntry>
  /** Drop a peer for good: `peer.drop(error)` and forget it. */
  dropPeer(id: string, error: DownloaderError): void
  /** Called after every `insertChain` with the number of the last block and the count. */
  onImported(head: bigint, count: number): void
  /** Called after every `insertReceiptChain` (fast sync) likewise. */
  onStored(head: bigint, count: number): void
  /** Called when the pivot block was committed with its state (fast sync). */
  onPivotCommitted(number: bigint, hash: Uint8Array): void
}

/** One peer's state within a run. */
export interface PeerRunState {
  /** Kinds with as many requests of this peer in flight as the kind allows (see `maxInflightPerPeer`). */
  busy: Set<FetchKind>
  /** Requests of this peer in flight, per kind. */
  inflight: Record<FetchKind, number>
  /** Consecutive expired requests (any kind). */
  timeouts: number
  /** Consecutive empty answers per kind. */
  empty: Record<FetchKind, number>
  /** Block numbers this peer answered with nothing, per kind (bodies, receipts). */
  lacking: Record<'bodies' | 'receipts', Set<bigint>>
  /** Requests in flight, aborted when the peer leaves. */
  controllers: Set<AbortController>
}

export function newPeerRunState(): PeerRunState {
  return {
    busy: new Set(),
    inflight: { headers: 0, bodies: 0, receipts: 0, state: 0 },
    timeouts: 0,
    empty: { headers: 0, bodies: 0, receipts: 0, state: 0 },
    lacking: { bodies: new Set(), receipts: new Set() },
    controllers: new Set(),
  }
}

/** How one request ended. */
export type Outcome<T> =
  | { kind: 'ok'; value: T; elapsedMs: number }
  | { kind: 'timeout'; elapsedMs: number }
  | { kind: 'failed'; error: unknown }
  | { kind: 'aborted' }

/** Thrown inside the run to end it; carries the error to reject with. */
export class RunFailed extends Error {
  constructor(readonly error: DownloaderError) {
    super(error.message)
  }
}

/** The services a run offers its parts. */
export interface RunContext {
  readonly host: SyncHost
  readonly opts: ResolvedOptions
  /** Aborted when the run ends. */
  readonly signal: AbortSignal
  /** The error the run is ending with, if any. */
  readonly error: DownloaderError | undefined
  /** The last misbehaviour that cost us a peer. */
  readonly lastDropError: DownloaderError | undefined
  /** The peer that defines the skeleton. */
  readonly masterId: string
  /** Where the run's time goes (phases reached, busy totals). */
  readonly timeline: Timeline
  /** Whether a peer is still usable in this run (registered and not excluded). */
  usable(id: string): boolean
  /** The registered peer, unless excluded from this run. */
  entry(id: string): PeerEntry | undefined
  /** The run state of a peer (created on first use). */
  state(id: string): PeerRunState
  /** Peers not excluded from the run, fastest for `kind` first (random tie-break). */
  usablePeers(kind: FetchKind): PeerEntry[]
  /** Peers excluded from one kind for this run (too many empty answers). */
  kindExcluded(kind: FetchKind): Set<string>
  /** Send one request with a time-to-live; never throws. */
  request<T>(e: PeerEntry, send: (signal: AbortSignal) => Promise<T>): Promise<Outcome<T>>
  /** Drop a peer for misbehaviour (and forget the skeleton it vouched for). */
  drop(id: string, code: DownloaderErrorCode, message: string, cause?: unknown): void
  /** Exclude a peer from this run without dropping it (its requests fail: it is going away). */
  exclude(id: string, why: unknown): void
  /** An expired request: reset the peer's throughput, drop it if it keeps expiring. */
  onTimeout(id: string, kind: FetchKind, items: number): void
  /** A useful answer: fold it into the peer's throughput and tune the shared round trip. */
  onDelivered(e: PeerEntry, kind: FetchKind, items: number, elapsedMs: number): void
  /** The error to end with when no useful peer is left. */
  noPeersError(): DownloaderError
  /** Schedule a scheduling round (deferred to a microtask). */
  pump(): void
  /** Keep a background task; a rejection fails the run. */
  track(p: Promise<unknown>): void
  /** End the run with `error` (first error wins). */
  fail(error: DownloaderError): void
}
