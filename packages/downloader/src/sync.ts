/**
 * One synchronisation with one master peer, composed of its parts:
 *
 * - `ancestor.ts`: the master's head header and the common ancestor;
 * - `skeleton.ts`: the header skeleton from the master (and what follows it contiguously);
 * - `fetch/loop.ts` with one adapter per kind (`fetch/headers.ts` gap fill, `fetch/bodies.ts`,
 *   and in fast sync `fetch/receipts.ts`, `fetch/state.ts`): every idle peer gets work;
 * - `results.ts`: the bounded store of scheduled blocks waiting for their parts and for import;
 * - `importer.ts` (and `pivot.ts` in fast sync): import in order while fetching goes on.
 *
 * The run is driven by `pump()`, called whenever something changed (a response, a timeout, a
 * peer joining or leaving, an import finishing); each round moves headers into the results,
 * starts an import, hands work to idle peers and detects the end. All state lives on this object;
 * nothing outlives the run (every timer is cleared and every request aborted when it ends).
 */
import { equalBytes } from '@ethwire/rlp-wire'
import { fetchHead, findAncestor } from './ancestor.js'
import {
  newPeerRunState,
  type Outcome,
  type PeerEntry,
  type PeerRunState,
  type ResolvedOptions,
  RunFailed,
  type SyncHost,
} from './context.js'
import { DownloaderError, type DownloaderErrorCode, isDownloaderError } from './errors.js'
import { BodyQueue } from './fetch/bodies.js'
import { HeaderFillQueue } from './fetch/headers.js'
import { FetchLoop } from './fetch/loop.js'
import { ReceiptQueue } from './fetch/receipts.js'
import { StateQueue } from './fetch/state.js'
import { Importer, type ImportRun } from './importer.js'
import { FastSync } from './pivot.js'
import type { FetchKind } from './qos.js'
import { ResultStore } from './results.js'
import { Skeleton, type SkeletonRun } from './skeleton.js'
import { type SyncTimeline, Timeline, timelineFields } from './timeline.js'
import type { SyncMode } from './types.js'

export type { PeerEntry, ResolvedOptions, SyncHost } from './context.js'

export interface SyncResult {
  /** The master peer. */
  peerId: string
  /** Number of the common ancestor (where the import started from). */
  ancestor: bigint
  /** The remote head number the sync aimed for (in fast sync: the newest header scheduled). */
  highest: bigint
  /** Blocks newly imported (and, in fast sync, stored with their receipts). */
  imported: number
  /** True when there was nothing to do (we already have the head). */
  upToDate: boolean
  /** How the sync ran (`fast` may have been asked for and run as `full`, see the README). */
  mode: SyncMode
  /** Fast sync: the block whose state was downloaded and committed as the head. */
  pivot?: bigint
  /** Where the run's time went (also logged as `sync timeline`). */
  timeline?: SyncTimeline
}

export class SyncRun implements SkeletonRun, ImportRun {
  readonly abort = new AbortController()
  /** Progress, read by `Downloader.progress()`. */
  startingBlock = 0n
  currentBlock = 0n
  highestBlock = 0n
  imported = 0
  mode: SyncMode

  error: DownloaderError | undefined
  lastDropError: DownloaderError | undefined
  masterId: string
  private finished = false
  private resolveDone!: () => void
  private rejectDone!: (e: DownloaderError) => void
  private readonly done: Promise<void>
  private readonly background = new Set<Promise<unknown>>()

  /** Whether `begin` ran (progress figures are ours from then on). */
  begun = false
  private readonly excluded = new Set<string>()
  /** Peers dropped for misbehaviour in this run. */
  private readonly dropped = new Set<string>()
  /** Peers that served the target head header (the master, and any that took over). */
  private readonly headVouchers = new Set<string>()
  private readonly masterRejected = new Set<string>()
  private readonly peerState = new Map<string, PeerRunState>()
  private readonly excludedByKind = new Map<FetchKind, Set<string>>()

  targetHash: Uint8Array = new Uint8Array()
  targetHeight = 0n
  height = 0n
  private ancestor = 0n
  private pumpScheduled = false

  readonly opts: ResolvedOptions
  readonly results: ResultStore
  readonly skeleton: Skeleton
  private readonly loop: FetchLoop
  private readonly importer: Importer
  fast: FastSync | undefined
  readonly timeline: Timeline

  constructor(
    readonly host: SyncHost,
    masterId: string,
    private readonly requestedMode: SyncMode = 'full',
  ) {
    this.masterId = masterId
    this.mode = requestedMode
    this.opts = host.opts
    this.timeline = new Timeline(() => host.clock.now())
    this.results = new ResultStore(this.opts.maxPendingResults, this.opts.maxPendingResultBytes)
    this.skeleton = new Skeleton(this)
    this.loop = new FetchLoop(this)
    this.importer = new Importer(this)
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve
      this.rejectDone = reject
    })
    // A rejection nobody awaits yet must not crash the process.
    this.done.catch(() => {})
  }

  /**
   * Progress from the start: our head, and as the highest block the larger of our head and what
   * the master announced (eth/69 Status has a number), until its head header is known.
   */
  begin(localHead: bigint, announced: bigint | undefined): void {
    this.begun = true
    this.startingBlock = localHead
    this.currentBlock = localHead
    this.highestBlock = announced !== undefined && announced > localHead ? announced : localHead
  }

  get signal(): AbortSignal {
    return this.abort.signal
  }

  /** Queued results (headers turned into block slots, not yet imported) and their part bytes. */
  pending(): { results: number; bytes: number } {
    return { results: this.results.length, bytes: this.results.bytes }
  }

  /** Fast sync: state nodes pulled and known (zero in a full sync). */
  stateProgress(): { pulled: number; known: number } {
    return this.fast?.progress() ?? { pulled: 0, known: 0 }
  }

  /** End the run with `error` (first error wins). */
  fail(error: DownloaderError): void {
    if (this.error !== undefined || this.finished) return
    this.error = error
    this.host.log?.debug('sync failed', { code: error.code, message: error.message })
    this.abort.abort(error)
    this.abortRequests(error)
    this.skeleton.close()
    this.rejectDone(error)
  }

  /**
   * Abort every request in flight (the run ends). Requests are tracked per peer rather than
   * listening on the run's signal: a listener per request would pile up on one signal.
   */
  private abortRequests(reason: unknown): void {
    for (const st of this.peerState.values()) for (const c of st.controllers) c.abort(reason)
  }

  /** A peer joined the downloader: give it work. */
  peerJoined(): void {
    this.pump()
  }

  /** A peer left (unregistered or dropped): abort its requests, carry on with the others. */
  peerLeft(id: string): void {
    const st = this.peerState.get(id)
    if (st !== undefined) for (const c of st.controllers) c.abort(new Error('peer left'))
    this.pump()
  }

  async run(headHash: Uint8Array, td: bigint | undefined): Promise<SyncResult> {
    try {
      return await this.runInner(headHash, td)
    } catch (err) {
      const error =
        err instanceof RunFailed
          ? err.error
          : isDownloaderError(err)
            ? err
            : (this.error ??
              new DownloaderError('ErrInvalidChain', `sync failed: ${String(err)}`, { cause: err }))
      this.fail(error)
      throw this.error ?? error
    } finally {
      if (this.error === undefined) this.finished = true
      this.host.log?.info?.('sync timeline', {
        mode: this.mode,
        ok: this.error === undefined,
        ...timelineFields(this.timeline.snapshot()),
      })
      this.abort.abort()
      this.abortRequests(new Error('sync ended'))
      this.skeleton.close()
      this.fast?.close()
      // Wait for every request handler and the import in progress to settle.
      while (this.background.size > 0) await Promise.allSettled([...this.background])
      this.settleProgress()
    }
  }

  /**
   * What progress says once the run is over: a failed run's scheduled blocks are gone; and when
   * every peer that vouched for the target head was dropped for misbehaviour, its height was a
   * claim, not a fact — the highest block falls back to our head.
   */
  private settleProgress(): void {
    if (this.error !== undefined) this.results.take(this.results.length)
    const vouchers = [...this.headVouchers]
    if (vouchers.length > 0 && vouchers.every((id) => this.dropped.has(id))) {
      this.highestBlock = this.currentBlock
    }
  }

  private async runInner(headHash: Uint8Array, td: bigint | undefined): Promise<SyncResult> {
    const result = await this.runPhases(headHash)
    // The head is ours now: its total difficulty must be what the master promised.
    if (td !== undefined && this.error === undefined) {
      const have = await this.host.chain.getTd(headHash, this.targetHeight)
      if (have !== undefined && have < td && this.host.peers.has(this.masterId)) {
        this.drop(
          this.masterId,
          'ErrBadPeer',
          `announced total difficulty ${td}, its head has ${have}`,
        )
      }
    }
    return result
  }

  /** Whether everything fast sync needs is there: the chain's methods, a scheduler, a peer. */
  private fastCapable(): string | undefined {
    const { chain } = this.host
    if (this.host.stateSync === undefined) return 'no state sync scheduler'
    if (chain.insertReceiptChain === undefined || chain.commitFastSyncHead === undefined) {
      return 'the chain cannot store blocks without executing them'
    }
    for (const [id, e] of this.host.peers) {
      if (this.excluded.has(id)) continue
      if (e.peer.requestNodeData !== undefined && e.peer.requestReceipts !== undefined) {
        return undefined
      }
    }
    return 'no peer serves GetNodeData (eth/63–66)'
  }

  private toFull(why: string): void {
    if (this.mode === 'fast')
      this.host.log?.debug('fast sync not possible, syncing in full', { why })
    this.mode = 'full'
  }

  private async runPhases(headHash: Uint8Array): Promise<SyncResult> {
    const { chain } = this.host
    const local = await chain.currentBlock()
    if (this.requestedMode === 'fast') {
      const why = this.fastCapable()
      if (why !== undefined) this.toFull(why)
    }
    // A fast sync goes on from the blocks already stored without state (a resumed fast sync).
    const top = this.mode === 'fast' ? ((await chain.currentFastBlock?.()) ?? local) : local
    this.startingBlock = top.number
    this.currentBlock = top.number
    if (this.highestBlock < top.number) this.highestBlock = top.number
    this.targetHash = headHash

    // 1. The head header (its number is how far we go) and 2. the common ancestor, from the
    // master; if it fails or lies, from another peer that has the same head.
    let ancestor: { number: bigint; hash: Uint8Array } | undefined
    let headRoot: Uint8Array | undefined
    while (ancestor === undefined) {
      const master = await this.ensureMaster()
      try {
        const head = await fetchHead(this, master, this.targetHash)
        this.headVouchers.add(master.peer.id)
        this.timeline.mark('head')
        this.targetHeight = head.number
        this.height = head.number
        this.highestBlock = head.number
        headRoot = head.stateRoot
        if (await chain.hasBlock(head.hash, head.number)) return this.result(true)
        ancestor = await findAncestor(this, master, top.number, this.height)
      } catch (err) {
        // The master was dropped or left: try another; anything else ends the run.
        if (
          err instanceof RunFailed &&
          this.error === undefined &&
          this.excluded.has(master.peer.id)
        ) {
          continue
        }
        throw err
      }
    }

    // Fast sync: the pivot, below which blocks are stored without execution.
    let pivot: bigint | undefined
    if (this.mode === 'fast') {
      pivot = this.height - BigInt(this.opts.fsMinFullBlocks)
      if (pivot <= local.number) this.toFull(`pivot #${pivot} is not above our head`)
      else if (ancestor.number >= pivot) {
        // The pivot block itself must be downloaded (with its receipts) to be committed.
        const below = await chain.getHeaderByNumber(pivot - 1n)
        if (below === undefined) this.toFull(`block #${pivot - 1n} is not stored`)
        else ancestor = { number: pivot - 1n, hash: below.hash }
      }
    }
    this.ancestor = ancestor.number
    this.startingBlock = ancestor.number
    this.timeline.mark('ancestor')
    this.host.log?.debug('common ancestor', {
      number: ancestor.number,
      peer: this.masterId,
      mode: this.mode,
      ...(this.mode === 'fast' ? { pivot } : {}),
    })
    if (ancestor.number >= this.height) {
      return this.result(true)
    }

    // 3. Headers from the master (skeleton + the rest), gaps and parts from everyone, import.
    this.loop.add(new HeaderFillQueue(this, this.skeleton))
    this.loop.add(new BodyQueue(this.results, this.opts.maxBodyFetch, this.host.rootHasher))
    if (this.mode === 'fast' && pivot !== undefined && headRoot !== undefined) {
      this.fast = new FastSync(this, this.host.stateSync!, pivot)
      this.fast.begin(headRoot)
      const fast = this.fast
      this.loop.add(new ReceiptQueue(this.results, this.opts.maxReceiptFetch, this.host.rootHasher))
      this.loop.add(
        new StateQueue(
          () => fast.current(),
          this.opts.maxStateFetch,
          (ms, bytes) => {
            this.timeline.busy.stateDeliver += ms
            this.timeline.stateBytes += bytes
          },
          () => this.host.clock.now(),
        ),
      )
    }
    this.skeleton.start(ancestor.number + 1n, ancestor.hash)
    this.pump()
    await this.done
    return this.result(false)
  }

  private result(upToDate: boolean): SyncResult {
    return {
      peerId: this.masterId,
      ancestor: this.ancestor,
      highest: this.height,
      imported: this.imported,
      upToDate,
      mode: this.mode,
      ...(this.fast?.committed ? { pivot: this.fast.pivot } : {}),
      timeline: this.timeline.snapshot(),
    }
  }

  // ---------------------------------------------------------------------------------------
  // What the skeleton and the importer ask of the run

  keepPolling(): boolean {
    return this.fast !== undefined && !this.fast.committed
  }

  extendHeight(height: bigint): void {
    this.height = height
    if (height > this.highestBlock) this.highestBlock = height
  }

  needReceipts(): boolean {
    return this.fast !== undefined && !this.fast.committed
  }

  rejectChain(source: string, error: DownloaderError): void {
    this.excluded.add(source)
    this.dropped.add(source)
    if (this.host.peers.has(source)) this.host.dropPeer(source, error)
    this.fail(error)
  }

  // ---------------------------------------------------------------------------------------
  // Peers and requests

  usable(id: string): boolean {
    return !this.excluded.has(id) && this.host.peers.has(id)
  }

  entry(id: string): PeerEntry | undefined {
    if (this.excluded.has(id)) return undefined
    return this.host.peers.get(id)
  }

  state(id: string): PeerRunState {
    let st = this.peerState.get(id)
    if (st === undefined) {
      st = newPeerRunState()
      this.peerState.set(id, st)
    }
    return st
  }

  kindExcluded(kind: FetchKind): Set<string> {
    let set = this.excludedByKind.get(kind)
    if (set === undefined) {
      set = new Set()
      this.excludedByKind.set(kind, set)
    }
    return set
  }

  usablePeers(kind: FetchKind): PeerEntry[] {
    const list: { e: PeerEntry; tie: number }[] = []
    for (const [id, e] of this.host.peers) {
      if (this.excluded.has(id)) continue
      list.push({ e, tie: this.host.random() })
    }
    list.sort((a, b) => b.e.stats.throughput[kind] - a.e.stats.throughput[kind] || a.tie - b.tie)
    return list.map((x) => x.e)
  }

  noPeersError(): DownloaderError {
    const last = this.lastDropError
    if (last !== undefined) {
      return new DownloaderError(last.code, `no useful peer left; last dropped: ${last.message}`, {
        cause: last,
        ...(last.peerId === undefined ? {} : { peerId: last.peerId }),
      })
    }
    return new DownloaderError('ErrNoPeers', 'no useful peer left to sync from')
  }

  drop(id: string, code: DownloaderErrorCode, message: string, cause?: unknown): void {
    if (!this.excluded.has(id) || this.host.peers.has(id)) {
      const error = new DownloaderError(code, message, {
        peerId: id,
        ...(cause === undefined ? {} : { cause }),
      })
      this.excluded.add(id)
      this.dropped.add(id)
      this.lastDropError = error
      this.host.log?.debug('dropping peer', { peer: id, code, message })
      if (this.host.peers.has(id)) this.host.dropPeer(id, error)
      else this.peerLeft(id)
    }
    // Even when it is already gone: what it claimed is not trusted any more.
    this.skeleton.discardOf(id)
  }

  exclude(id: string, why: unknown): void {
    if (this.excluded.has(id)) return
    this.excluded.add(id)
    this.host.log?.debug('peer failed a request, not asking it again in this sync', {
      peer: id,
      error: String(why),
    })
    this.peerLeft(id)
  }

  onTimeout(id: string, kind: FetchKind, items: number): void {
    const e = this.host.peers.get(id)
    const st = this.state(id)
    st.timeouts++
    e?.stats.update(kind, 0, 0, this.opts.measurementImpact)
    if (items <= this.opts.dropOnTimeoutItems || st.timeouts >= this.opts.maxConsecutiveTimeouts) {
      this.drop(id, 'ErrTimeout', `${st.timeouts} request(s) expired (last for ${items} ${kind})`)
    }
  }

  onDelivered(e: PeerEntry, kind: FetchKind, items: number, elapsedMs: number): void {
    e.stats.update(kind, items, elapsedMs, this.opts.measurementImpact)
    const rtts: number[] = []
    for (const p of this.host.peers.values()) rtts.push(p.stats.rttMs)
    this.host.tuner.maybeTune(this.host.clock.now(), rtts)
  }

  async request<T>(e: PeerEntry, send: (signal: AbortSignal) => Promise<T>): Promise<Outcome<T>> {
    const { clock } = this.host
    if (this.abort.signal.aborted) return { kind: 'aborted' }
    const st = this.state(e.peer.id)
    const ac = new AbortController()
    st.controllers.add(ac)
    let timedOut = false
    const started = clock.now()
    // The downloader owns the timeout of every request it sends (the peer layer only matches).
    const timer = clock.setTimeout(() => {
      timedOut = true
      ac.abort(new Error('request expired'))
    }, this.host.tuner.ttlForMs(e.stats.rttMs))
    try {
      const value = await new Promise<T>((resolve, reject) => {
        if (ac.signal.aborted) {
          reject(ac.signal.reason)
          return
        }
        ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true })
        let p: Promise<T>
        try {
          p = send(ac.signal)
        } catch (err) {
          reject(err)
          return
        }
        Promise.resolve(p).then(resolve, reject)
      })
      return { kind: 'ok', value, elapsedMs: clock.now() - started }
    } catch (error) {
      if (this.abort.signal.aborted) return { kind: 'aborted' }
      if (timedOut) return { kind: 'timeout', elapsedMs: clock.now() - started }
      return { kind: 'failed', error }
    } finally {
      clock.clearTimeout(timer)
      st.controllers.delete(ac)
    }
  }

  track(p: Promise<unknown>): void {
    const tracked = p.then(
      () => {},
      (err) => {
        this.fail(
          err instanceof RunFailed
            ? err.error
            : isDownloaderError(err)
              ? err
              : new DownloaderError('ErrInvalidChain', `internal failure: ${String(err)}`, {
                  cause: err,
                }),
        )
      },
    )
    this.background.add(tracked)
    tracked.finally(() => this.background.delete(tracked))
  }

  /**
   * The peer that defines the skeleton. When the master is gone, another peer that has the
   * head we aim for takes over (it must return that head header by hash).
   */
  async ensureMaster(): Promise<PeerEntry> {
    const current = this.entry(this.masterId)
    if (current !== undefined && !this.masterRejected.has(this.masterId)) return current
    // Peers that announce the very head we aim for first, then the fastest.
    const candidates = this.usablePeers('headers')
    const announces = (e: PeerEntry): number =>
      equalBytes(e.peer.head().hash, this.targetHash) ? 0 : 1
    candidates.sort((a, b) => announces(a) - announces(b))
    for (const e of candidates) {
      const id = e.peer.id
      if (this.masterRejected.has(id) || this.excluded.has(id)) continue
      const out = await this.request(e, (s) =>
        e.peer.requestHeadersByHash(this.targetHash, 1, 0, false, s),
      )
      if (this.error !== undefined) throw new RunFailed(this.error)
      if (out.kind === 'ok' && Array.isArray(out.value)) {
        const h = out.value[0]
        if (out.value.length === 1 && h !== undefined && equalBytes(h.hash, this.targetHash)) {
          this.host.log?.debug('new master peer', { previous: this.masterId, peer: id })
          this.masterId = id
          this.headVouchers.add(id)
          return e
        }
        if (out.value.length > 1) this.drop(id, 'ErrUnrequestedData', 'head check: extra headers')
        else if (h !== undefined)
          this.drop(id, 'ErrBadPeer', 'head check: not the header asked for')
      } else if (out.kind === 'timeout') {
        this.onTimeout(id, 'headers', 1)
      } else if (out.kind === 'failed') {
        this.exclude(id, out.error)
      }
      this.masterRejected.add(id)
    }
    throw new RunFailed(this.noPeersError())
  }

  // ---------------------------------------------------------------------------------------
  // Scheduling

  /**
   * Schedule a scheduling round. Always deferred to a microtask, so that a handler that drops
   * a peer (or a peer that disconnects while being asked) finishes its own bookkeeping before
   * the next round looks at the state.
   */
  pump(): void {
    if (this.pumpScheduled) return
    this.pumpScheduled = true
    queueMicrotask(() => {
      this.pumpScheduled = false
      this.runPump()
    })
  }

  /** Process headers, import, hand work to idle peers, detect the end. Never throws. */
  private runPump(): void {
    try {
      if (this.error !== undefined || this.finished) return
      this.skeleton.process()
      this.fast?.update(this.results)
      if (this.fast?.current()?.done() === true) this.timeline.mark('stateDone')
      this.importer.maybeImport()
      const assigned = this.loop.assign()
      this.skeleton.wake()
      if (this.isComplete()) {
        this.timeline.mark('done')
        this.finished = true
        this.resolveDone()
        return
      }
      if (
        !assigned &&
        !this.pumpScheduled &&
        this.loop.inflight === 0 &&
        !this.importer.importing &&
        !this.skeleton.masterBusy &&
        this.fast?.switching !== true &&
        (this.skeleton.waiting || this.skeleton.headersDone)
      ) {
        // Work is left and nobody can do it.
        if (this.skeleton.recoverStalled()) {
          this.pump()
          return
        }
        this.fail(this.noPeersError())
        return
      }
    } catch (err) {
      this.fail(
        err instanceof RunFailed
          ? err.error
          : new DownloaderError('ErrInvalidChain', `internal failure: ${String(err)}`, {
              cause: err,
            }),
      )
    }
  }

  private isComplete(): boolean {
    return (
      this.skeleton.headersDone &&
      this.skeleton.batches.length === 0 &&
      this.results.length === 0 &&
      !this.importer.importing &&
      (this.fast === undefined || this.fast.committed)
    )
  }
}
