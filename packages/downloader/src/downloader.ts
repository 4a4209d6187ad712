/**
 * The downloader: a registry of peers with their throughput estimates, and at most one
 * synchronisation ({@link SyncRun}) at a time.
 */
import type { Startable } from '@ethwire/interface'
import { TypedEmitter } from '@ethwire/interface/runtime'
import * as C from './constants.js'
import { DownloaderError, isDownloaderError } from './errors.js'
import { type FetchKind, fetchKinds, PeerStats, type QosOptions, RttTuner } from './qos.js'
import {
  type PeerEntry,
  type ResolvedOptions,
  type SyncHost,
  type SyncResult,
  SyncRun,
} from './sync.js'
import type {
  Clock,
  DownloaderChain,
  DownloaderPeer,
  Logger,
  RandomSource,
  RootHasher,
  StateSyncFactory,
  SyncMode,
} from './types.js'

export type { SyncResult } from './sync.js'

export interface DownloaderDeps {
  /** The local chain to import into. */
  chain: DownloaderChain
  /** Peers to start with (more can be registered later). */
  peers?: Iterable<DownloaderPeer>
  clock: Clock
  random: RandomSource
  log?: Logger
  /**
   * Where the error of a throwing event listener goes (say, a logger). Without it the error is
   * rethrown asynchronously; it never reaches the sync (see `TypedEmitter`).
   */
  onListenerError?: (err: unknown, event: keyof DownloaderEvents) => void
  /**
   * Fast sync: creates the trie-sync scheduler for a state root (e.g. `@ethwire/state`'s). Without
   * it every sync runs in full.
   */
  stateSync?: StateSyncFactory
  /**
   * Where the transaction roots of delivered bodies and the roots of delivered receipt lists are
   * hashed (e.g. a worker thread); inline without it.
   */
  rootHasher?: RootHasher
}

/** Every limit is optional; defaults are in `constants.ts` (geth's values). */
export interface DownloaderOptions extends Partial<ResolvedOptions>, Partial<QosOptions> {
  /** Unrequested deliveries (see `reportUnrequested`) at which a peer is dropped. */
  maxUnrequestedDeliveries?: number
  /**
   * How `synchronise` syncs unless told otherwise (default `full`). `fast` runs as `full` when it
   * cannot work: no `stateSync`, a chain without the fast-sync methods, no peer serving
   * `GetNodeData` (eth/63–66), or a pivot that is not above our head.
   */
  mode?: SyncMode
}

/** Per sync: the mode (default: the downloader's `mode` option) and an AbortSignal. */
export interface SynchroniseOptions {
  mode?: SyncMode
  signal?: AbortSignal
}

export interface SyncProgress {
  /** Where the current (or last) sync started: our head, then the common ancestor. */
  startingBlock: bigint
  /** Our head: the chain's head block (in a fast sync before the pivot: the fast head). */
  currentBlock: bigint
  /** Head number of the peer we sync with (our head when nothing trustworthy is known). */
  highestBlock: bigint
  /** Headers queued as block slots, waiting for their parts or import. */
  pendingResults: number
  /** Bytes of downloaded bodies (and receipts) waiting for import. */
  pendingResultBytes: number
  /** Fast sync: state trie nodes and code entries downloaded (go-ethereum's `pulledStates`). */
  pulledStates: number
  /** Fast sync: `pulledStates` plus those known to be missing (`knownStates`). */
  knownStates: number
  /** How the current (or last) sync runs. */
  mode: SyncMode
}

export interface DownloaderEvents extends Record<string, unknown> {
  syncStarted: { peerId: string; startingBlock: bigint }
  syncDone: { peerId: string; result: SyncResult }
  syncFailed: { peerId: string; error: DownloaderError }
  /** A peer was dropped by the downloader (also passed to `peer.drop`). */
  peerDropped: { peerId: string; error: DownloaderError }
  /** Blocks were imported (fires after every `insertChain`). */
  imported: { head: bigint; count: number }
  /** Fast sync: blocks were stored with their receipts, not executed (every `insertReceiptChain`). */
  stored: { head: bigint; count: number }
  /** Fast sync: the pivot block's state is complete; it is our head now. */
  pivotCommitted: { number: bigint; hash: Uint8Array }
}

export interface Downloader extends Startable {
  /** True while a sync runs. */
  readonly synchronising: boolean
  /** Add a peer the downloader may ask. Throws `ErrAlreadyRegistered` for a known id. */
  registerPeer(peer: DownloaderPeer): void
  /** Forget a peer (it disconnected). Its requests in flight are abandoned and requeued. */
  unregisterPeer(id: string): void
  /** Ids of the registered peers. */
  peerIds(): string[]
  /**
   * Tell the downloader a peer sent data nobody asked for (a response that matched no request).
   * Counted as misbehaviour; at `maxUnrequestedDeliveries` the peer is dropped.
   */
  reportUnrequested(peerId: string, what?: string): void
  /**
   * Sync with `peerId`, whose head is `head` with total difficulty `td` (undefined on eth/69).
   * Resolves when every block up to that head is imported, or at once with `upToDate` when we
   * already have it (or `td` is not above ours). Rejects with a {@link DownloaderError}. The last
   * argument is an AbortSignal, or `{ mode, signal }` (`mode` `'fast'` or `'full'`).
   */
  synchronise(
    peerId: string,
    head: Uint8Array,
    td?: bigint,
    options?: AbortSignal | SynchroniseOptions,
  ): Promise<SyncResult>
  /** Abort the running sync (it rejects with `ErrCancelled`). No-op when idle. */
  cancel(): void
  /** Nothing to start (the downloader works once created); resolves at once. */
  start(): Promise<void>
  /** Cancel and refuse further syncs (`ErrTerminated`). Resolves when the sync has wound down. */
  stop(): Promise<void>
  /** @deprecated `stop()` under its old name. */
  terminate(): Promise<void>
  progress(): SyncProgress
  on<K extends keyof DownloaderEvents>(
    name: K,
    listener: (event: DownloaderEvents[K]) => void,
  ): () => void
}

export function createDownloader(
  deps: DownloaderDeps,
  options: DownloaderOptions = {},
): Downloader {
  return new DownloaderImpl(deps, options)
}

class DownloaderImpl implements Downloader, SyncHost {
  readonly chain: DownloaderChain
  readonly stateSync: StateSyncFactory | undefined
  readonly rootHasher: RootHasher | undefined
  readonly clock: Clock
  readonly random: RandomSource
  readonly log: Logger | undefined
  readonly opts: ResolvedOptions
  readonly tuner: RttTuner
  readonly peers = new Map<string, PeerEntry>()
  private readonly qos: QosOptions
  private readonly maxUnrequested: number
  private readonly mode: SyncMode
  private readonly events: TypedEmitter<DownloaderEvents>
  private run: SyncRun | undefined
  private runPromise: Promise<unknown> | undefined
  private terminated = false
  private busy = false
  private last: SyncProgress = {
    startingBlock: 0n,
    currentBlock: 0n,
    highestBlock: 0n,
    pendingResults: 0,
    pendingResultBytes: 0,
    pulledStates: 0,
    knownStates: 0,
    mode: 'full',
  }

  constructor(deps: DownloaderDeps, o: DownloaderOptions) {
    this.chain = deps.chain
    this.stateSync = deps.stateSync
    this.rootHasher = deps.rootHasher
    this.mode = o.mode ?? 'full'
    this.clock = deps.clock
    this.random = deps.random
    this.log = deps.log
    this.events = new TypedEmitter<DownloaderEvents>(
      deps.onListenerError === undefined ? {} : { onListenerError: deps.onListenerError },
    )
    this.opts = {
      maxForkAncestry: o.maxForkAncestry ?? C.maxForkAncestry,
      maxHeaderFetch: o.maxHeaderFetch ?? C.maxHeaderFetch,
      maxSkeletonSize: o.maxSkeletonSize ?? C.maxSkeletonSize,
      maxBodyFetch: o.maxBodyFetch ?? C.maxBodyFetch,
      maxReceiptFetch: o.maxReceiptFetch ?? C.maxReceiptFetch,
      maxStateFetch: o.maxStateFetch ?? C.maxStateFetch,
      ancestorSpreadStep: o.ancestorSpreadStep ?? C.ancestorSpreadStep,
      maxImportBatch: o.maxImportBatch ?? C.maxImportBatch,
      maxPendingResults: o.maxPendingResults ?? C.maxPendingResults,
      maxPendingResultBytes: o.maxPendingResultBytes ?? C.maxPendingResultBytes,
      maxQueuedHeaders: o.maxQueuedHeaders ?? C.maxQueuedHeaders,
      measurementImpact: o.measurementImpact ?? C.measurementImpact,
      maxConsecutiveTimeouts: o.maxConsecutiveTimeouts ?? C.maxConsecutiveTimeouts,
      dropOnTimeoutItems: o.dropOnTimeoutItems ?? C.dropOnTimeoutItems,
      maxEmptyResponses: o.maxEmptyResponses ?? C.maxEmptyResponses,
      fsMinFullBlocks: o.fsMinFullBlocks ?? C.fsMinFullBlocks,
      fsHeaderContCheckMs: o.fsHeaderContCheckMs ?? C.fsHeaderContCheckMs,
      fsHeaderCheckFrequency: o.fsHeaderCheckFrequency ?? C.fsHeaderCheckFrequency,
      fsHeaderForceVerify: o.fsHeaderForceVerify ?? C.fsHeaderForceVerify,
    }
    if (!(this.opts.fsHeaderCheckFrequency >= 1))
      throw new RangeError('fsHeaderCheckFrequency must be at least 1')
    if (this.opts.maxHeaderFetch < 2) throw new RangeError('maxHeaderFetch must be at least 2')
    if (this.opts.maxPendingResults < this.opts.maxHeaderFetch) {
      throw new RangeError('maxPendingResults must be at least maxHeaderFetch')
    }
    this.qos = {
      rttMinEstimateMs: o.rttMinEstimateMs ?? C.rttMinEstimateMs,
      rttMaxEstimateMs: o.rttMaxEstimateMs ?? C.rttMaxEstimateMs,
      rttMinConfidence: o.rttMinConfidence ?? C.rttMinConfidence,
      ttlScaling: o.ttlScaling ?? C.ttlScaling,
      ttlLimitMs: o.ttlLimitMs ?? C.ttlLimitMs,
      qosTuningPeers: o.qosTuningPeers ?? C.qosTuningPeers,
      qosTuningImpact: o.qosTuningImpact ?? C.qosTuningImpact,
      measurementImpact: this.opts.measurementImpact,
    }
    this.maxUnrequested = o.maxUnrequestedDeliveries ?? C.maxUnrequestedDeliveries
    this.tuner = new RttTuner(this.qos, this.clock.now())
    for (const p of deps.peers ?? []) this.registerPeer(p)
  }

  get synchronising(): boolean {
    return this.busy
  }

  registerPeer(peer: DownloaderPeer): void {
    if (this.peers.has(peer.id)) {
      throw new DownloaderError('ErrAlreadyRegistered', `peer ${peer.id} is already registered`, {
        peerId: peer.id,
      })
    }
    // A newcomer starts from the average of the others (or nothing) and the median round trip.
    const avg: Record<FetchKind, number> = { headers: 0, bodies: 0, receipts: 0, state: 0 }
    const rtts: number[] = []
    for (const e of this.peers.values()) {
      for (const k of fetchKinds) avg[k] += e.stats.throughput[k] / this.peers.size
      rtts.push(e.stats.rttMs)
    }
    const stats = new PeerStats({ throughput: avg, rttMs: this.tuner.medianRtt(rtts) })
    this.peers.set(peer.id, { peer, stats, unrequested: 0 })
    this.tuner.peerJoined(this.peers.size)
    this.run?.peerJoined()
  }

  unregisterPeer(id: string): void {
    if (!this.peers.delete(id)) return
    this.run?.peerLeft(id)
  }

  peerIds(): string[] {
    return [...this.peers.keys()]
  }

  dropPeer(id: string, error: DownloaderError): void {
    const e = this.peers.get(id)
    if (e === undefined) return
    this.peers.delete(id)
    this.log?.debug('peer dropped', { peer: id, code: error.code })
    try {
      e.peer.drop(error)
    } catch {
      // The peer layer's problem; we have forgotten the peer either way.
    }
    this.events.emit('peerDropped', { peerId: id, error })
    this.run?.peerLeft(id)
  }

  onImported(head: bigint, count: number): void {
    this.events.emit('imported', { head, count })
  }

  onStored(head: bigint, count: number): void {
    this.events.emit('stored', { head, count })
  }

  onPivotCommitted(number: bigint, hash: Uint8Array): void {
    this.events.emit('pivotCommitted', { number, hash })
  }

  reportUnrequested(peerId: string, what = 'data'): void {
    const e = this.peers.get(peerId)
    if (e === undefined) return
    e.unrequested++
    this.log?.debug('unrequested delivery', { peer: peerId, what, count: e.unrequested })
    if (e.unrequested >= this.maxUnrequested) {
      this.dropPeer(
        peerId,
        new DownloaderError(
          'ErrUnrequestedData',
          `${e.unrequested} unrequested deliveries (${what})`,
          {
            peerId,
          },
        ),
      )
    }
  }

  async synchronise(
    peerId: string,
    head: Uint8Array,
    td?: bigint,
    options?: AbortSignal | SynchroniseOptions,
  ): Promise<SyncResult> {
    const { signal, mode } =
      options === undefined || isAbortSignal(options)
        ? { signal: options, mode: undefined }
        : options
    if (this.terminated) throw new DownloaderError('ErrTerminated', 'downloader terminated')
    if (this.busy) throw new DownloaderError('ErrBusy', 'a sync is already running')
    if (signal?.aborted) throw new DownloaderError('ErrCancelled', 'sync cancelled before start')
    if (!this.peers.has(peerId)) {
      throw new DownloaderError('ErrNoPeers', `peer ${peerId} is not registered`, { peerId })
    }
    this.busy = true
    const run = new SyncRun(this, peerId, mode ?? this.mode)
    this.run = run
    const onAbort = (): void => run.fail(new DownloaderError('ErrCancelled', 'sync cancelled'))
    signal?.addEventListener('abort', onAbort, { once: true })
    const promise = this.drive(run, peerId, head, td)
    this.runPromise = promise.catch(() => {})
    try {
      return await promise
    } finally {
      signal?.removeEventListener('abort', onAbort)
      this.last = this.snapshot(run)
      this.run = undefined
      this.runPromise = undefined
      this.busy = false
    }
  }

  private async drive(
    run: SyncRun,
    peerId: string,
    head: Uint8Array,
    td: bigint | undefined,
  ): Promise<SyncResult> {
    // Nothing to do when the peer is not ahead of us: no requests, no events.
    const local = await this.chain.currentBlock()
    run.begin(local.number, this.peers.get(peerId)?.peer.head().number)
    if (td !== undefined && td <= local.td) {
      return {
        peerId,
        ancestor: local.number,
        highest: local.number,
        imported: 0,
        upToDate: true,
        mode: run.mode,
      }
    }
    this.events.emit('syncStarted', { peerId, startingBlock: local.number })
    try {
      const result = await run.run(head, td)
      this.events.emit('syncDone', { peerId, result })
      return result
    } catch (err) {
      const error = isDownloaderError(err)
        ? err
        : new DownloaderError('ErrInvalidChain', String(err), { cause: err })
      this.events.emit('syncFailed', { peerId, error })
      throw error
    }
  }

  cancel(): void {
    this.run?.fail(new DownloaderError('ErrCancelled', 'sync cancelled'))
  }

  start(): Promise<void> {
    return Promise.resolve()
  }

  async stop(): Promise<void> {
    this.terminated = true
    this.run?.fail(new DownloaderError('ErrTerminated', 'downloader terminated'))
    await this.runPromise
  }

  terminate(): Promise<void> {
    return this.stop()
  }

  progress(): SyncProgress {
    return this.run === undefined ? { ...this.last } : this.snapshot(this.run)
  }

  private snapshot(run: SyncRun): SyncProgress {
    // Before the run has read our head (the first await), the last figures stand.
    if (!run.begun) return { ...this.last, pendingResults: 0, pendingResultBytes: 0 }
    const pending = run.pending()
    const state = run.stateProgress()
    return {
      startingBlock: run.startingBlock,
      currentBlock: run.currentBlock,
      highestBlock: run.highestBlock,
      pendingResults: pending.results,
      pendingResultBytes: pending.bytes,
      pulledStates: state.pulled,
      knownStates: state.known,
      mode: run.mode,
    }
  }

  on<K extends keyof DownloaderEvents>(
    name: K,
    listener: (event: DownloaderEvents[K]) => void,
  ): () => void {
    return this.events.on(name, listener)
  }
}

function isAbortSignal(x: unknown): x is AbortSignal {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as AbortSignal).addEventListener === 'function' &&
    'aborted' in x
  )
}
