/**
 * One synchronisation with one master peer: common ancestor, header skeleton, gap filling and
 * body download from every usable peer, and in-order import, all pipelined.
 *
 * The run is driven by `pump()`, which is called whenever something changed (a response, a
 * timeout, a peer joining or leaving, an import finishing) and hands work to idle peers. All
 * state lives on this object; nothing outlives the run (every timer is cleared and every
 * request aborted when it ends).
 */
import type { Block, BlockBody, BlockHeader } from '@ethwire/rlp-wire'
import { checkBody, equalBytes } from '@ethwire/rlp-wire'
import { emptyBodyFor, estimateBodySize, hasEmptyBody, makeBlock } from './block.js'
import { DownloaderError, type DownloaderErrorCode } from './errors.js'
import type { FetchKind, PeerStats, RttTuner } from './qos.js'
import type { Clock, DownloaderChain, DownloaderPeer, Logger, RandomSource } from './types.js'

/** Every limit a run uses, resolved from options and defaults. */
export interface ResolvedOptions {
  maxForkAncestry: number
  maxHeaderFetch: number
  maxSkeletonSize: number
  maxBodyFetch: number
  ancestorSpreadStep: number
  maxImportBatch: number
  maxPendingResults: number
  maxPendingResultBytes: number
  maxQueuedHeaders: number
  measurementImpact: number
  maxConsecutiveTimeouts: number
  dropOnTimeoutItems: number
  maxEmptyResponses: number
}

export interface PeerEntry {
  peer: DownloaderPeer
  stats: PeerStats
  unrequested: number
}

/** What a run needs from the downloader that owns it. */
export interface SyncHost {
  readonly chain: DownloaderChain
  readonly clock: Clock
  readonly random: RandomSource
  readonly log: Logger | undefined
  readonly opts: ResolvedOptions
  readonly tuner: RttTuner
  readonly peers: ReadonlyMap<string, PeerEntry>
  /** Drop a peer for good: `peer.drop(error)` and forget it. */
  dropPeer(id: string, error: DownloaderError): void
  /** Called after every import with the new head number. */
  onImported(head: bigint, count: number): void
}

export interface SyncResult {
  /** The master peer. */
  peerId: string
  /** Number of the common ancestor (where the import started from). */
  ancestor: bigint
  /** The remote head number the sync aimed for. */
  highest: bigint
  /** Blocks newly imported. */
  imported: number
  /** True when there was nothing to do (we already have the head). */
  upToDate: boolean
}

interface HeaderBatch {
  from: bigint
  count: number
  /** Hash the first header's parentHash must equal. */
  parentHash: Uint8Array
  /** Hash the last header must have (the skeleton point, or the parent of a filled part above). */
  lastHash: Uint8Array
  /** Peer whose skeleton (or tail) defined this batch. */
  source: string
  headers: BlockHeader[] | undefined
  /** Who delivered `headers`. */
  filledBy: string | undefined
  assigned: string | undefined
  /** Peers that answered nothing for this gap (they do not have its skeleton point). */
  misses: Set<string>
}

interface ResultSlot {
  header: BlockHeader
  body: BlockBody | undefined
  size: number
  state: 'pending' | 'fetching' | 'done'
  source: string
}

interface PeerSyncState {
  headersBusy: boolean
  bodiesBusy: boolean
  timeouts: number
  emptyHeaders: number
  emptyBodies: number
  /** Block numbers this peer answered with nothing; not asked from it again in this run. */
  lacking: Set<bigint>
  controllers: Set<AbortController>
}

type Outcome<T> =
  | { kind: 'ok'; value: T; elapsedMs: number }
  | { kind: 'timeout'; elapsedMs: number }
  | { kind: 'failed'; error: unknown }
  | { kind: 'aborted' }

/** Thrown inside the run to end it; carries the error to reject with. */
class RunFailed extends Error {
  constructor(readonly error: DownloaderError) {
    super(error.message)
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').slice(0, 16)

export class SyncRun {
  readonly abort = new AbortController()
  /** Progress, read by `Downloader.progress()`. */
  startingBlock = 0n
  currentBlock = 0n
  highestBlock = 0n
  imported = 0

  private error: DownloaderError | undefined
  private finished = false
  private resolveDone!: () => void
  private rejectDone!: (e: DownloaderError) => void
  private readonly done: Promise<void>
  private readonly background = new Set<Promise<unknown>>()

  private masterId: string
  private readonly excluded = new Set<string>()
  private readonly headerExcluded = new Set<string>()
  private readonly bodyExcluded = new Set<string>()
  private readonly masterRejected = new Set<string>()
  private readonly peerState = new Map<string, PeerSyncState>()
  private lastDropError: DownloaderError | undefined

  private targetHash: Uint8Array = new Uint8Array()
  private height = 0n
  private ancestor = 0n
  private headersDone = false
  private masterBusy = false
  private driverRunning = false
  /** First header number not yet covered by a skeleton gap or the tail, and its parent's hash. */
  private nextFrom = 0n
  private nextParent: Uint8Array = new Uint8Array()
  /** Bumped when a skeleton is discarded: answers to requests made before are ignored. */
  private headerGen = 0
  private readonly batches: HeaderBatch[] = []
  private lastProcessedHash: Uint8Array = new Uint8Array()
  private readonly results: ResultSlot[] = []
  private doneBytes = 0
  private bodyBytesMeasured = 0
  private bodiesMeasured = 0
  private inflight = 0
  private inflightBodyItems = 0
  private importing = false
  private pumpScheduled = false
  private waiters: { cond: () => boolean; resolve: () => void }[] = []

  constructor(
    private readonly host: SyncHost,
    masterId: string,
  ) {
    this.masterId = masterId
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve
      this.rejectDone = reject
    })
    // A rejection nobody awaits yet must not crash the process.
    this.done.catch(() => {})
  }

  /** Queued results (headers turned into block slots, not yet imported) and their body bytes. */
  pending(): { results: number; bytes: number } {
    return { results: this.results.length, bytes: this.doneBytes }
  }

  /** End the run with `error` (first error wins). */
  fail(error: DownloaderError): void {
    if (this.error !== undefined || this.finished) return
    this.error = error
    this.host.log?.debug('sync failed', { code: error.code, message: error.message })
    this.abort.abort(error)
    for (const w of this.waiters) w.resolve()
    this.waiters = []
    this.rejectDone(error)
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
          : err instanceof DownloaderError
            ? err
            : (this.error ??
              new DownloaderError('ErrInvalidChain', `sync failed: ${String(err)}`, { cause: err }))
      this.fail(error)
      throw this.error ?? error
    } finally {
      if (this.error === undefined) this.finished = true
      this.abort.abort()
      for (const w of this.waiters) w.resolve()
      this.waiters = []
      // Wait for every request handler and the import in progress to settle.
      while (this.background.size > 0) await Promise.allSettled([...this.background])
    }
  }

  private async runInner(headHash: Uint8Array, td: bigint | undefined): Promise<SyncResult> {
    const result = await this.runPhases(headHash)
    // The head is ours now: its total difficulty must be what the master promised.
    if (td !== undefined && this.error === undefined) {
      const have = await this.host.chain.getTd(headHash, this.height)
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

  private async runPhases(headHash: Uint8Array): Promise<SyncResult> {
    const { chain } = this.host
    const local = await chain.currentBlock()
    this.startingBlock = local.number
    this.currentBlock = local.number
    this.targetHash = headHash

    // 1. The head header (its number is how far we go) and 2. the common ancestor, from the
    // master; if it fails or lies, from another peer that has the same head.
    let ancestor: { number: bigint; hash: Uint8Array } | undefined
    while (ancestor === undefined) {
      const master = await this.ensureMaster()
      try {
        const head = await this.fetchHead(master)
        this.height = head.number
        this.highestBlock = head.number
        if (await chain.hasBlock(head.hash, head.number)) return this.result(true)
        ancestor = await this.findAncestor(master, local.number)
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
    this.ancestor = ancestor.number
    this.startingBlock = ancestor.number
    this.lastProcessedHash = ancestor.hash
    this.host.log?.debug('common ancestor', { number: ancestor.number, peer: this.masterId })
    if (ancestor.number >= this.height) {
      return this.result(true)
    }

    // 3. Headers from the master (skeleton + tail), gaps and bodies from everyone, import.
    this.nextFrom = ancestor.number + 1n
    this.nextParent = ancestor.hash
    this.startHeaderDriver()
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
    }
  }

  // ---------------------------------------------------------------------------------------
  // Peers and requests

  private entry(id: string): PeerEntry | undefined {
    if (this.excluded.has(id)) return undefined
    return this.host.peers.get(id)
  }

  private state(id: string): PeerSyncState {
    let st = this.peerState.get(id)
    if (st === undefined) {
      st = {
        headersBusy: false,
        bodiesBusy: false,
        timeouts: 0,
        emptyHeaders: 0,
        emptyBodies: 0,
        lacking: new Set(),
        controllers: new Set(),
      }
      this.peerState.set(id, st)
    }
    return st
  }

  private usablePeers(kind: FetchKind): PeerEntry[] {
    const list: { e: PeerEntry; tie: number }[] = []
    for (const [id, e] of this.host.peers) {
      if (this.excluded.has(id)) continue
      list.push({ e, tie: this.host.random() })
    }
    list.sort((a, b) => b.e.stats.throughput[kind] - a.e.stats.throughput[kind] || a.tie - b.tie)
    return list.map((x) => x.e)
  }

  private noPeersError(): DownloaderError {
    const last = this.lastDropError
    if (last !== undefined) {
      return new DownloaderError(last.code, `no useful peer left; last dropped: ${last.message}`, {
        cause: last,
        ...(last.peerId === undefined ? {} : { peerId: last.peerId }),
      })
    }
    return new DownloaderError('ErrNoPeers', 'no useful peer left to sync from')
  }

  /** Drop a peer for misbehaviour: it is not asked again, and the peer layer disconnects it. */
  private drop(id: string, code: DownloaderErrorCode, message: string, cause?: unknown): void {
    if (!this.excluded.has(id) || this.host.peers.has(id)) {
      const error = new DownloaderError(code, message, {
        peerId: id,
        ...(cause === undefined ? {} : { cause }),
      })
      this.excluded.add(id)
      this.lastDropError = error
      this.host.log?.debug('dropping peer', { peer: id, code, message })
      if (this.host.peers.has(id)) this.host.dropPeer(id, error)
      else this.peerLeft(id)
    }
    // Even when it is already gone: what it claimed is not trusted any more.
    this.discardSkeletonOf(id)
  }

  /** Exclude a peer from this run without dropping it (its requests fail: it is going away). */
  private exclude(id: string, why: unknown): void {
    if (this.excluded.has(id)) return
    this.excluded.add(id)
    this.host.log?.debug('peer failed a request, not asking it again in this sync', {
      peer: id,
      error: String(why),
    })
    this.peerLeft(id)
  }

  /** An expired request: reset the peer's throughput, drop it if it keeps expiring. */
  private onTimeout(id: string, kind: FetchKind, items: number): void {
    const e = this.host.peers.get(id)
    const st = this.state(id)
    st.timeouts++
    e?.stats.update(kind, 0, 0, this.host.opts.measurementImpact)
    if (
      items <= this.host.opts.dropOnTimeoutItems ||
      st.timeouts >= this.host.opts.maxConsecutiveTimeouts
    ) {
      this.drop(id, 'ErrTimeout', `${st.timeouts} request(s) expired (last for ${items} ${kind})`)
    }
  }

  private onDelivered(e: PeerEntry, kind: FetchKind, items: number, elapsedMs: number): void {
    e.stats.update(kind, items, elapsedMs, this.host.opts.measurementImpact)
    const rtts: number[] = []
    for (const p of this.host.peers.values()) rtts.push(p.stats.rttMs)
    this.host.tuner.maybeTune(this.host.clock.now(), rtts)
  }

  /** Send one request with a time-to-live; never throws. */
  private async request<T>(
    e: PeerEntry,
    send: (signal: AbortSignal) => Promise<T>,
  ): Promise<Outcome<T>> {
    const { clock } = this.host
    if (this.abort.signal.aborted) return { kind: 'aborted' }
    const st = this.state(e.peer.id)
    const ac = new AbortController()
    const onRunAbort = (): void => ac.abort(this.abort.signal.reason)
    this.abort.signal.addEventListener('abort', onRunAbort, { once: true })
    st.controllers.add(ac)
    let timedOut = false
    const started = clock.now()
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
      this.abort.signal.removeEventListener('abort', onRunAbort)
    }
  }

  private track<T>(p: Promise<T>): void {
    const tracked = p.then(
      () => {},
      (err) => {
        this.fail(
          err instanceof RunFailed
            ? err.error
            : err instanceof DownloaderError
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

  // ---------------------------------------------------------------------------------------
  // Phase 1: head and common ancestor, from the master (a master that fails is replaced)

  /** One request to the master during the first phase, validated by the caller. */
  private async masterHeaders(
    e: PeerEntry,
    what: string,
    send: (signal: AbortSignal) => Promise<BlockHeader[]>,
    max: number,
  ): Promise<BlockHeader[]> {
    const id = e.peer.id
    const out = await this.request(e, send)
    if (out.kind === 'aborted') throw new RunFailed(this.error ?? cancelled())
    if (out.kind === 'timeout') {
      this.drop(id, 'ErrTimeout', `${what} request expired`)
      throw new RunFailed(this.lastDropError!)
    }
    if (out.kind === 'failed') {
      this.exclude(id, out.error)
      throw new RunFailed(
        new DownloaderError('ErrNoPeers', `master peer failed ${what}: ${String(out.error)}`, {
          cause: out.error,
          peerId: id,
        }),
      )
    }
    const hs = out.value
    if (!Array.isArray(hs)) this.badMaster(id, 'ErrBadPeer', `${what}: not a header list`)
    if (hs.length > max) {
      this.badMaster(id, 'ErrUnrequestedData', `${what}: ${hs.length} headers for ${max} requested`)
    }
    if (hs.length === 0) this.badMaster(id, 'ErrEmptyHeaderSet', `${what}: empty answer`)
    this.onDelivered(e, 'headers', hs.length, out.elapsedMs)
    return hs
  }

  private badMaster(id: string, code: DownloaderErrorCode, message: string): never {
    this.drop(id, code, message)
    throw new RunFailed(this.lastDropError!)
  }

  private async fetchHead(e: PeerEntry): Promise<BlockHeader> {
    const hs = await this.masterHeaders(
      e,
      'head header',
      (s) => e.peer.requestHeadersByHash(this.targetHash, 1, 0, false, s),
      1,
    )
    const head = hs[0]!
    if (!equalBytes(head.hash, this.targetHash)) {
      this.badMaster(
        e.peer.id,
        'ErrBadPeer',
        `head header ${hex(head.hash)} is not ${hex(this.targetHash)}`,
      )
    }
    return head
  }

  private async findAncestor(
    e: PeerEntry,
    localHead: bigint,
  ): Promise<{ number: bigint; hash: Uint8Array }> {
    const { chain, opts } = this.host
    const id = e.peer.id
    const floor = localHead - BigInt(opts.maxForkAncestry) // may be negative: no floor
    const top = localHead < this.height ? localHead : this.height
    let from = top - BigInt(opts.maxHeaderFetch)
    if (from < 0n) from = 0n
    const step = BigInt(opts.ancestorSpreadStep)
    const maxSpread = Math.max(1, Math.floor((2 * opts.maxHeaderFetch) / opts.ancestorSpreadStep))
    const count = Math.min(maxSpread, 1 + Number((top - from) / step))

    // A spread request first: one header every `step` below our head.
    const spread = await this.masterHeaders(
      e,
      'ancestor spread',
      (s) => e.peer.requestHeadersByNumber(from, count, opts.ancestorSpreadStep - 1, false, s),
      count,
    )
    for (let i = 0; i < spread.length; i++) {
      if (spread[i]!.number !== from + BigInt(i) * step) {
        this.badMaster(id, 'ErrBadPeer', `ancestor spread: header ${i} is #${spread[i]!.number}`)
      }
    }
    for (let i = spread.length - 1; i >= 0; i--) {
      const h = spread[i]!
      if (await chain.hasBlock(h.hash, h.number)) {
        if (h.number <= floor) this.invalidAncestor(id, h.number, floor)
        return { number: h.number, hash: h.hash }
      }
    }

    // Then a binary search over numbers between the floor and our head.
    let start = floor < 0n ? 0n : floor
    let startHash: Uint8Array | undefined
    let end = top
    while (start + 1n < end) {
      const check = (start + end) / 2n
      const hs = await this.masterHeaders(
        e,
        'ancestor search',
        (s) => e.peer.requestHeadersByNumber(check, 1, 0, false, s),
        1,
      )
      const h = hs[0]!
      if (h.number !== check) {
        this.badMaster(id, 'ErrBadPeer', `ancestor search: asked #${check}, got #${h.number}`)
      }
      if (await chain.hasBlock(h.hash, h.number)) {
        start = check
        startHash = h.hash
      } else {
        end = check
      }
    }
    if (start <= floor) this.invalidAncestor(id, start, floor)
    if (startHash === undefined) {
      const local = await chain.getHeaderByNumber(start)
      if (local === undefined) this.invalidAncestor(id, start, floor)
      startHash = local.hash
    }
    return { number: start, hash: startHash }
  }

  private invalidAncestor(id: string, number: bigint, floor: bigint): never {
    this.badMaster(
      id,
      'ErrInvalidAncestor',
      `common ancestor #${number} is at or below the fork ancestry floor #${floor}`,
    )
  }

  // ---------------------------------------------------------------------------------------
  // Phase 2: headers (skeleton and tail from the master)

  private queuedHeaders(): number {
    let n = this.results.length
    for (const b of this.batches) n += b.count
    return n
  }

  /** Resolve once `cond()` holds (checked on every pump) or the run ends. */
  private waitFor(cond: () => boolean): Promise<void> {
    if (cond() || this.error !== undefined) return Promise.resolve()
    return new Promise<void>((resolve) => this.waiters.push({ cond, resolve }))
  }

  /** Start the header driver unless it runs (it re-reads `nextFrom` on every round). */
  private startHeaderDriver(): void {
    if (this.driverRunning || this.error !== undefined || this.finished) return
    this.driverRunning = true
    this.headersDone = false
    this.masterBusy = true
    this.track(
      this.headerDriver().finally(() => {
        this.driverRunning = false
        this.masterBusy = false
        // A round after the driver is idle: the end (or a stall) can only be seen now.
        this.pump()
      }),
    )
  }

  /**
   * Fetch the skeleton (and the tail) from the master, round after round, from `nextFrom` up
   * to the target height. Every round re-reads `nextFrom`: when a skeleton author is dropped,
   * `discardSkeletonOf` rewinds it and bumps `headerGen`, and answers to older rounds are
   * ignored.
   */
  private async headerDriver(): Promise<void> {
    const { opts } = this.host
    const fetch = BigInt(opts.maxHeaderFetch)
    const hasRoom = (): boolean => this.queuedHeaders() < opts.maxQueuedHeaders
    while (this.nextFrom <= this.height && this.error === undefined) {
      if (!hasRoom()) {
        // Wait for imports to make room; wakeWaiters() marks the driver busy again.
        this.masterBusy = false
        await this.waitFor(hasRoom)
      }
      if (this.error !== undefined) return
      const e = await this.ensureMaster()
      const id = e.peer.id
      const gen = this.headerGen
      const from = this.nextFrom
      const parentHash = this.nextParent
      const remaining = this.height - from + 1n
      const room = Math.max(
        1,
        Math.floor((opts.maxQueuedHeaders - this.queuedHeaders()) / opts.maxHeaderFetch),
      )
      const points = Math.min(opts.maxSkeletonSize, Number(remaining / fetch), room)

      if (points > 0) {
        const first = from + fetch - 1n
        const out = await this.request(e, (s) =>
          e.peer.requestHeadersByNumber(first, points, opts.maxHeaderFetch - 1, false, s),
        )
        const hs = this.masterOutcome(e, out, 'skeleton', points)
        if (hs === undefined || gen !== this.headerGen) continue
        const wrong = hs.findIndex((h, i) => h.number !== first + BigInt(i) * fetch)
        if (wrong >= 0) {
          this.drop(id, 'ErrBadPeer', `skeleton point ${wrong} is #${hs[wrong]!.number}`)
          continue
        }
        const last = hs[hs.length - 1]!
        if (last.number === this.height && !equalBytes(last.hash, this.targetHash)) {
          this.drop(id, 'ErrBadPeer', 'skeleton ends on a head that is not the one announced')
          continue
        }
        let parent = parentHash
        let at = from
        for (const h of hs) {
          this.batches.push({
            from: at,
            count: opts.maxHeaderFetch,
            parentHash: parent,
            lastHash: h.hash,
            source: id,
            headers: undefined,
            filledBy: undefined,
            assigned: undefined,
            misses: new Set(),
          })
          at += fetch
          parent = h.hash
        }
        this.nextFrom = at
        this.nextParent = parent
      } else {
        // Fewer than one gap left: fetch the tail contiguously from the master.
        const amount = Number(remaining)
        const out = await this.request(e, (s) =>
          e.peer.requestHeadersByNumber(from, amount, 0, false, s),
        )
        const hs = this.masterOutcome(e, out, 'tail headers', amount)
        if (hs === undefined || gen !== this.headerGen) continue
        const problem = checkHeaderRun(hs, from, parentHash)
        if (problem !== undefined) {
          this.drop(id, 'ErrBadPeer', `tail headers: ${problem}`)
          continue
        }
        const last = hs[hs.length - 1]!
        if (last.number === this.height && !equalBytes(last.hash, this.targetHash)) {
          this.drop(id, 'ErrBadPeer', 'tail ends on a head that is not the one announced')
          continue
        }
        this.batches.push({
          from,
          count: hs.length,
          parentHash,
          lastHash: last.hash,
          source: id,
          headers: hs,
          filledBy: id,
          assigned: undefined,
          misses: new Set(),
        })
        this.nextFrom = from + BigInt(hs.length)
        this.nextParent = last.hash
      }
      this.pump()
    }
    if (this.error === undefined) {
      this.headersDone = true
      this.pump()
    }
  }

  /**
   * A dropped peer's skeleton is not trusted any more: forget the gaps it defined that nobody
   * else has confirmed (unfilled, or filled by itself) and everything after them, and fetch
   * the headers again from the next master. Peers judged against that skeleton get another
   * chance.
   */
  private discardSkeletonOf(id: string): void {
    const k = this.batches.findIndex(
      (b) => b.source === id && (b.headers === undefined || b.filledBy === id),
    )
    if (k < 0) return
    const b = this.batches[k]!
    this.batches.length = k
    this.nextFrom = b.from
    this.nextParent = b.parentHash
    this.headerGen++
    this.headerExcluded.clear()
    this.host.log?.debug('discarded skeleton of dropped peer', { peer: id, from: b.from })
    this.startHeaderDriver()
  }

  /**
   * Judge the master's answer to a skeleton or tail request. Returns the headers to use, or
   * undefined when the master was dropped or demoted (the caller elects another).
   */
  private masterOutcome(
    e: PeerEntry,
    out: Outcome<BlockHeader[]>,
    what: string,
    max: number,
  ): BlockHeader[] | undefined {
    const id = e.peer.id
    switch (out.kind) {
      case 'aborted':
        return undefined
      case 'failed':
        this.exclude(id, out.error)
        return undefined
      case 'timeout':
        // Retried with the same master unless onTimeout drops it (then another is elected).
        this.onTimeout(id, 'headers', max)
        return undefined
      case 'ok': {
        const hs = out.value
        if (!Array.isArray(hs)) {
          this.drop(id, 'ErrBadPeer', `${what}: not a header list`)
          return undefined
        }
        if (hs.length > max) {
          this.drop(id, 'ErrUnrequestedData', `${what}: ${hs.length} headers for ${max} requested`)
          return undefined
        }
        if (hs.length === 0) {
          this.drop(id, 'ErrEmptyHeaderSet', `${what}: empty answer below its announced head`)
          return undefined
        }
        this.state(id).timeouts = 0
        this.onDelivered(e, 'headers', hs.length, out.elapsedMs)
        return hs
      }
    }
  }

  /**
   * The peer that defines the skeleton. When the master is gone, another peer that has the
   * head we aim for takes over (it must return that head header by hash).
   */
  private async ensureMaster(): Promise<PeerEntry> {
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
  private pump(): void {
    if (this.pumpScheduled) return
    this.pumpScheduled = true
    queueMicrotask(() => {
      this.pumpScheduled = false
      this.runPump()
    })
  }

  /** Hand work to idle peers, process headers, import, detect the end. Never throws. */
  private runPump(): void {
    try {
      if (this.error !== undefined || this.finished) return
      this.processHeaders()
      this.maybeImport()
      let assigned = false
      for (const e of this.usablePeers('headers')) assigned = this.assignFill(e) || assigned
      for (const e of this.usablePeers('bodies')) assigned = this.assignBodies(e) || assigned
      this.wakeWaiters()
      if (this.isComplete()) {
        this.finished = true
        this.resolveDone()
        return
      }
      if (
        !assigned &&
        !this.pumpScheduled &&
        this.inflight === 0 &&
        !this.importing &&
        !this.masterBusy &&
        (this.waiters.length > 0 || this.headersDone)
      ) {
        // Work is left and nobody can do it.
        if (this.recoverStalledHeaders()) {
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

  /**
   * Nobody can fill a gap: its skeleton point is served by no usable peer. Blame the skeleton's
   * author (drop it if still here, else forget its skeleton) so that another master takes over.
   * Returns false when there is no such gap.
   */
  private recoverStalledHeaders(): boolean {
    const b = this.batches.find((x) => x.headers === undefined)
    if (b === undefined) return false
    const source = b.source
    if (this.host.peers.has(source) && !this.excluded.has(source)) {
      this.drop(
        source,
        'ErrBadPeer',
        `no peer serves its skeleton point below #${b.from + BigInt(b.count)}`,
      )
    } else {
      this.discardSkeletonOf(source)
    }
    return true
  }

  private wakeWaiters(): void {
    if (this.waiters.length === 0) return
    const keep: typeof this.waiters = []
    for (const w of this.waiters) {
      if (w.cond()) {
        this.masterBusy = true
        w.resolve()
      } else keep.push(w)
    }
    this.waiters = keep
  }

  private isComplete(): boolean {
    return (
      this.headersDone && this.batches.length === 0 && this.results.length === 0 && !this.importing
    )
  }

  /** Move filled header batches, in order, into result slots (bounded). */
  private processHeaders(): void {
    const { opts } = this.host
    while (this.batches.length > 0) {
      const b = this.batches[0]!
      if (b.headers === undefined) return
      if (this.results.length > 0 && this.results.length + b.count > opts.maxPendingResults) return
      this.batches.shift()
      const first = b.headers[0]!
      if (!equalBytes(first.parentHash, this.lastProcessedHash)) {
        // Cannot happen when every batch was checked against its skeleton; guard anyway.
        this.drop(b.source, 'ErrBadPeer', `headers at #${first.number} do not link to the chain`)
        throw new RunFailed(this.lastDropError!)
      }
      for (const header of b.headers) {
        const empty = hasEmptyBody(header)
        this.results.push({
          header,
          body: empty ? emptyBodyFor(header) : undefined,
          size: 0,
          state: empty ? 'done' : 'pending',
          source: b.source,
        })
      }
      this.lastProcessedHash = b.headers[b.headers.length - 1]!.hash
    }
  }

  private assignFill(e: PeerEntry): boolean {
    const id = e.peer.id
    const st = this.state(id)
    if (st.headersBusy || this.headerExcluded.has(id)) return false
    const b = this.batches.find(
      (x) => x.headers === undefined && x.assigned === undefined && !x.misses.has(id),
    )
    if (b === undefined) return false
    b.assigned = id
    st.headersBusy = true
    this.inflight++
    this.track(this.fill(e, st, b))
    return true
  }

  /**
   * Fill a gap backwards from its skeleton point: `GetBlockHeaders(lastHash, count, reverse)`.
   * Every header returned is then verified by hash links from a point we already trust, so a
   * short answer is as good as a full one, and a peer on another fork simply has nothing.
   */
  private async fill(e: PeerEntry, st: PeerSyncState, b: HeaderBatch): Promise<void> {
    const id = e.peer.id
    const out = await this.request(e, (s) =>
      e.peer.requestHeadersByHash(b.lastHash, b.count, 0, true, s),
    )
    this.inflight--
    st.headersBusy = false
    b.assigned = undefined // back in the queue unless accepted below
    if (out.kind === 'aborted') return
    if (out.kind === 'timeout') this.onTimeout(id, 'headers', b.count)
    else if (out.kind === 'failed') this.exclude(id, out.error)
    else if (this.batches.includes(b)) this.acceptFill(e, st, b, out.value, out.elapsedMs)
    this.pump()
  }

  private acceptFill(
    e: PeerEntry,
    st: PeerSyncState,
    b: HeaderBatch,
    reversed: BlockHeader[],
    elapsedMs: number,
  ): void {
    const id = e.peer.id
    if (!Array.isArray(reversed)) {
      this.drop(id, 'ErrBadPeer', 'header fill: not a header list')
      return
    }
    if (reversed.length > b.count) {
      this.drop(
        id,
        'ErrUnrequestedData',
        `header fill: ${reversed.length} for ${b.count} requested`,
      )
      return
    }
    if (reversed.length === 0) {
      if (id === b.source) {
        this.drop(id, 'ErrBadPeer', 'it does not serve its own skeleton point')
        return
      }
      // It does not have that skeleton point (behind us, or on another fork).
      st.emptyHeaders++
      b.misses.add(id)
      e.stats.update('headers', 0, elapsedMs, this.host.opts.measurementImpact)
      if (st.emptyHeaders >= this.host.opts.maxEmptyResponses) this.headerExcluded.add(id)
      return
    }
    if (!equalBytes(reversed[0]!.hash, b.lastHash)) {
      this.drop(id, 'ErrBadPeer', `header fill: first header is not the one asked for`)
      return
    }
    const hs = reversed.slice().reverse()
    const start = b.from + BigInt(b.count - hs.length)
    const problem = checkHeaderRun(hs, start, undefined)
    if (problem !== undefined) {
      this.drop(id, 'ErrBadPeer', `header fill: ${problem}`)
      return
    }
    st.timeouts = 0
    st.emptyHeaders = 0
    this.onDelivered(e, 'headers', hs.length, elapsedMs)
    const first = hs[0]!
    if (hs.length === b.count) {
      if (!equalBytes(first.parentHash, b.parentHash)) {
        // The headers are the true ancestry of the skeleton point (hash links), and they do
        // not reach the previous point: the skeleton's author gave inconsistent points.
        this.drop(b.source, 'ErrBadPeer', `skeleton points around #${b.from} do not link`)
        return
      }
    } else {
      // A linked suffix: keep it; what is below becomes a gap ending at its parent.
      const below: HeaderBatch = {
        from: b.from,
        count: b.count - hs.length,
        parentHash: b.parentHash,
        lastHash: first.parentHash,
        source: b.source,
        headers: undefined,
        filledBy: undefined,
        assigned: undefined,
        misses: new Set(),
      }
      b.from = start
      b.count = hs.length
      b.parentHash = first.parentHash
      this.batches.splice(this.batches.indexOf(b), 0, below)
    }
    b.headers = hs
    b.filledBy = id
  }

  // ---------------------------------------------------------------------------------------
  // Bodies

  private avgBodySize(): number {
    return this.bodiesMeasured === 0 ? 1024 : this.bodyBytesMeasured / this.bodiesMeasured
  }

  private assignBodies(e: PeerEntry): boolean {
    const id = e.peer.id
    const st = this.state(id)
    if (st.bodiesBusy || this.bodyExcluded.has(id)) return false
    const { opts, tuner } = this.host
    const inflightBytes = this.inflightBodyItems * this.avgBodySize()
    if (
      this.inflightBodyItems > 0 &&
      this.doneBytes + inflightBytes >= opts.maxPendingResultBytes
    ) {
      return false
    }
    const cap = e.stats.capacity('bodies', tuner.targetRttMs(), opts.maxBodyFetch)
    const slots: ResultSlot[] = []
    for (const slot of this.results) {
      if (slots.length >= cap) break
      if (slot.state === 'pending' && !st.lacking.has(slot.header.number)) slots.push(slot)
    }
    if (slots.length === 0) return false
    for (const s of slots) s.state = 'fetching'
    st.bodiesBusy = true
    this.inflight++
    this.inflightBodyItems += slots.length
    this.track(this.fetchBodies(e, st, slots))
    return true
  }

  private async fetchBodies(e: PeerEntry, st: PeerSyncState, slots: ResultSlot[]): Promise<void> {
    const id = e.peer.id
    const out = await this.request(e, (s) =>
      e.peer.requestBodies(
        slots.map((x) => x.header.hash),
        s,
      ),
    )
    this.inflight--
    this.inflightBodyItems -= slots.length
    st.bodiesBusy = false
    // Back in the queue unless accepted below.
    for (const slot of slots) slot.state = 'pending'
    if (out.kind === 'ok') this.acceptBodies(e, st, slots, out.value, out.elapsedMs)
    else if (out.kind === 'timeout') this.onTimeout(id, 'bodies', slots.length)
    else if (out.kind === 'failed') this.exclude(id, out.error)
    if (out.kind !== 'aborted') this.pump()
  }

  /** Check bodies against their headers; returns how many were accepted. */
  private acceptBodies(
    e: PeerEntry,
    st: PeerSyncState,
    slots: ResultSlot[],
    bodies: BlockBody[],
    elapsedMs: number,
  ): number {
    const id = e.peer.id
    if (!Array.isArray(bodies)) {
      this.drop(id, 'ErrBadPeer', 'bodies: not a list')
      return 0
    }
    if (bodies.length > slots.length) {
      this.drop(id, 'ErrUnrequestedData', `${bodies.length} bodies for ${slots.length} requested`)
      return 0
    }
    if (bodies.length === 0) {
      if (st.lacking.size > 4 * this.host.opts.maxPendingResults) {
        // Keep the set bounded: numbers below the import window are of no use any more.
        const low = this.results[0]?.header.number ?? 0n
        for (const n of st.lacking) if (n < low) st.lacking.delete(n)
      }
      for (const s of slots) st.lacking.add(s.header.number)
      st.emptyBodies++
      e.stats.update('bodies', 0, elapsedMs, this.host.opts.measurementImpact)
      if (st.emptyBodies >= this.host.opts.maxEmptyResponses) this.bodyExcluded.add(id)
      return 0
    }
    for (let i = 0; i < bodies.length; i++) {
      const header = slots[i]!.header
      try {
        checkBody(header, bodies[i]!)
      } catch (err) {
        this.drop(id, 'ErrInvalidBody', `body of #${header.number} does not match its header`, err)
        return 0
      }
    }
    for (let i = 0; i < bodies.length; i++) {
      const slot = slots[i]!
      slot.body = bodies[i]!
      slot.size = estimateBodySize(slot.body)
      slot.state = 'done'
      this.doneBytes += slot.size
      this.bodyBytesMeasured += slot.size
      this.bodiesMeasured++
    }
    st.timeouts = 0
    st.emptyBodies = 0
    this.onDelivered(e, 'bodies', bodies.length, elapsedMs)
    return bodies.length
  }

  // ---------------------------------------------------------------------------------------
  // Import

  private maybeImport(): void {
    if (this.importing || this.error !== undefined) return
    let n = 0
    const max = this.host.opts.maxImportBatch
    while (n < this.results.length && n < max && this.results[n]!.state === 'done') n++
    if (n === 0) return
    const slots = this.results.slice(0, n)
    let blocks: Block[]
    try {
      blocks = slots.map((s) => makeBlock(s.header, s.body!))
    } catch (err) {
      this.fail(
        new DownloaderError('ErrInvalidChain', `cannot assemble block: ${String(err)}`, {
          cause: err,
        }),
      )
      return
    }
    this.importing = true
    const p = this.host.chain.insertChain(blocks).then(
      (count) => {
        this.importing = false
        const head = slots[n - 1]!.header.number
        this.currentBlock = head
        this.imported += typeof count === 'number' ? count : n
        if (this.error !== undefined) return
        this.results.splice(0, n)
        for (const s of slots) this.doneBytes -= s.size
        this.host.onImported(head, n)
        this.pump()
      },
      (err: unknown) => {
        this.importing = false
        const index = (err as { index?: unknown })?.index
        const bad = typeof index === 'number' ? slots[index] : undefined
        const source = bad?.source ?? slots[0]!.source
        const at = bad === undefined ? '' : ` at #${bad.header.number}`
        const error = new DownloaderError(
          'ErrInvalidChain',
          `chain rejected a block${at}: ${String(err)}`,
          {
            cause: err,
            peerId: source,
          },
        )
        // The headers came from the master's skeleton: its chain is invalid.
        this.excluded.add(source)
        if (this.host.peers.has(source)) this.host.dropPeer(source, error)
        this.fail(error)
      },
    )
    this.track(p)
  }
}

/**
 * A contiguous ascending run of headers starting at `from`, each the parent of the next (and
 * the first a child of `parentHash` when given). Returns what is wrong, or undefined.
 */
export function checkHeaderRun(
  hs: BlockHeader[],
  from: bigint,
  parentHash: Uint8Array | undefined,
): string | undefined {
  for (let i = 0; i < hs.length; i++) {
    const h = hs[i]!
    if (h.number !== from + BigInt(i))
      return `header ${i} is #${h.number}, expected #${from + BigInt(i)}`
    const parent = i === 0 ? parentHash : hs[i - 1]!.hash
    if (parent !== undefined && !equalBytes(h.parentHash, parent)) {
      return `header #${h.number} does not link to its parent`
    }
  }
  return undefined
}

function cancelled(): DownloaderError {
  return new DownloaderError('ErrCancelled', 'sync cancelled')
}
