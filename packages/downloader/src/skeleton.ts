/**
 * The header skeleton (go-ethereum v1.8 `fetchHeaders`): from the master peer, round after round,
 * one header every `maxHeaderFetch` (the skeleton points, each closing a gap that every idle peer
 * may fill, see `fetch/headers.ts`), then the last few headers contiguously. Also:
 *
 * - an empty skeleton answer means the master's skeleton is finished (some servers answer a
 *   request whose skip range reaches past their head with nothing at all): the remaining headers
 *   are pulled straight from the master, contiguously;
 * - a dropped skeleton author's gaps are discarded and fetched again from the next master;
 * - in fast sync, once the target is reached, the master is asked for newer headers every
 *   `fsHeaderContCheckMs` while the pivot's state downloads, so that the pivot can move forward.
 *
 * Filled batches move, in order, into the results store (`process`).
 */
import { type BlockHeader, equalBytes } from '@ethwire/rlp-wire'
import { type Outcome, type PeerEntry, type RunContext, RunFailed } from './context.js'
import type { ResultStore } from './results.js'

/** A gap between skeleton points (or a contiguous run), filled or not. */
export interface HeaderBatch {
  from: bigint
  count: number
  /** Hash the first header's parentHash must equal. */
  parentHash: Uint8Array
  /** Hash the last header must have (the skeleton point, or the parent of a filled part above). */
  lastHash: Uint8Array
  /** Peer whose skeleton (or contiguous answer) defined this batch. */
  source: string
  headers: BlockHeader[] | undefined
  /** Who delivered `headers`. */
  filledBy: string | undefined
  assigned: string | undefined
  /** Peers that answered nothing for this gap (they do not have its skeleton point). */
  misses: Set<string>
}

/** What the skeleton needs from the run beyond the shared services. */
export interface SkeletonRun extends RunContext {
  /** The head we aim for (announced by the master). */
  readonly targetHash: Uint8Array
  readonly targetHeight: bigint
  /** How far headers are fetched: the target, or beyond it when fast sync polls for newer ones. */
  readonly height: bigint
  readonly results: ResultStore
  /** The current master, or a new one that has the target head. */
  ensureMaster(): Promise<PeerEntry>
  /** Whether to keep asking for newer headers once `height` is reached (fast sync, pivot not committed). */
  keepPolling(): boolean
  /** Newer headers beyond `height` were scheduled. */
  extendHeight(height: bigint): void
  /** Whether scheduled headers need receipts (fast sync before the pivot is committed). */
  needReceipts(): boolean
}

interface Waiter {
  cond: () => boolean
  resolve: () => void
}

export class Skeleton {
  readonly batches: HeaderBatch[] = []
  /** All headers up to `height` are scheduled and no more are coming. */
  headersDone = false
  /** The driver is doing master work (a request or choosing a master), not waiting. */
  masterBusy = false
  /** Bumped when a skeleton is discarded: answers to requests made before are ignored. */
  private gen = 0
  private driverRunning = false
  /** First header number not yet covered by a batch, and its parent's hash. */
  private nextFrom = 0n
  private nextParent: Uint8Array = new Uint8Array()
  private lastProcessedHash: Uint8Array = new Uint8Array()
  /** The master that answered a skeleton request with nothing: contiguous requests from it. */
  private contiguousFor: string | undefined
  private waiters: Waiter[] = []

  constructor(private readonly run: SkeletonRun) {}

  /** Start fetching headers after the common ancestor. */
  start(from: bigint, parentHash: Uint8Array): void {
    this.nextFrom = from
    this.nextParent = parentHash
    this.lastProcessedHash = parentHash
    this.startDriver()
  }

  /** Whether the driver is idle, waiting (for room, or between polls for newer headers). */
  get waiting(): boolean {
    return this.waiters.length > 0
  }

  /** Headers queued: batches and result slots (the skeleton waits while they exceed the limit). */
  queuedHeaders(): number {
    let n = this.run.results.length
    for (const b of this.batches) n += b.count
    return n
  }

  /** Resolve the waiters whose condition holds (called on every scheduling round). */
  wake(): void {
    if (this.waiters.length === 0) return
    const keep: Waiter[] = []
    for (const w of this.waiters) {
      if (w.cond()) {
        this.masterBusy = true
        w.resolve()
      } else keep.push(w)
    }
    this.waiters = keep
  }

  /** The run ends: release every waiter. */
  close(): void {
    for (const w of this.waiters) w.resolve()
    this.waiters = []
  }

  /** Move filled batches, in order, into the results store while it has room. */
  process(): void {
    const { run } = this
    while (this.batches.length > 0) {
      const b = this.batches[0]!
      if (b.headers === undefined) return
      if (!run.results.hasRoom(b.count)) return
      this.batches.shift()
      const first = b.headers[0]!
      if (!equalBytes(first.parentHash, this.lastProcessedHash)) {
        // Cannot happen when every batch was checked against its skeleton; guard anyway.
        run.drop(b.source, 'ErrBadPeer', `headers at #${first.number} do not link to the chain`)
        throw new RunFailed(run.lastDropError!)
      }
      const atTarget = b.headers[Number(run.targetHeight - first.number)]
      if (atTarget !== undefined && !equalBytes(atTarget.hash, run.targetHash)) {
        run.drop(
          b.source,
          'ErrBadPeer',
          `its header #${run.targetHeight} is not the announced head`,
        )
        throw new RunFailed(run.lastDropError!)
      }
      run.results.add(b.headers, b.source, run.needReceipts())
      this.lastProcessedHash = b.headers[b.headers.length - 1]!.hash
    }
  }

  /**
   * Nobody can fill a gap: its skeleton point is served by no usable peer. Blame the skeleton's
   * author (drop it if still here, else forget its skeleton) so that another master takes over.
   * Returns false when there is no such gap.
   */
  recoverStalled(): boolean {
    const b = this.batches.find((x) => x.headers === undefined)
    if (b === undefined) return false
    const source = b.source
    if (this.run.entry(source) !== undefined) {
      this.run.drop(
        source,
        'ErrBadPeer',
        `no peer serves its skeleton point below #${b.from + BigInt(b.count)}`,
      )
    } else {
      this.discardOf(source)
    }
    return true
  }

  /**
   * A dropped peer's skeleton is not trusted any more: forget the gaps it defined that nobody
   * else has confirmed (unfilled, or filled by itself) and everything after them, and fetch
   * the headers again from the next master. Peers judged against that skeleton get another
   * chance.
   */
  discardOf(id: string): void {
    const k = this.batches.findIndex(
      (b) => b.source === id && (b.headers === undefined || b.filledBy === id),
    )
    if (k < 0) return
    const b = this.batches[k]!
    this.batches.length = k
    this.nextFrom = b.from
    this.nextParent = b.parentHash
    this.gen++
    this.run.kindExcluded('headers').clear()
    this.run.host.log?.debug('discarded skeleton of dropped peer', { peer: id, from: b.from })
    this.startDriver()
  }

  /** Start the driver unless it runs (it re-reads `nextFrom` on every round). */
  private startDriver(): void {
    const { run } = this
    if (this.driverRunning || run.error !== undefined) return
    this.driverRunning = true
    this.headersDone = false
    this.masterBusy = true
    run.track(
      this.driver().finally(() => {
        this.driverRunning = false
        this.masterBusy = false
        // A round after the driver is idle: the end (or a stall) can only be seen now.
        run.pump()
      }),
    )
  }

  /** Resolve once `cond()` holds (checked on every round) or the run ends. */
  private waitFor(cond: () => boolean): Promise<void> {
    if (cond() || this.run.error !== undefined) return Promise.resolve()
    return new Promise<void>((resolve) => this.waiters.push({ cond, resolve }))
  }

  /** Wait `ms`, or less when `cond()` holds first (or the run ends). Leaves no timer behind. */
  private pause(ms: number, cond: () => boolean): Promise<void> {
    const { clock } = this.run.host
    const signal = this.run.signal
    return new Promise<void>((resolve) => {
      let settled = false
      const finish = (): void => {
        if (settled) return
        settled = true
        clock.clearTimeout(timer)
        signal.removeEventListener('abort', finish)
        this.waiters = this.waiters.filter((w) => w !== waiter)
        resolve()
      }
      const waiter: Waiter = { cond, resolve: finish }
      const timer = clock.setTimeout(finish, ms)
      if (signal.aborted) {
        finish()
        return
      }
      signal.addEventListener('abort', finish, { once: true })
      this.waiters.push(waiter)
    })
  }

  /**
   * Fetch the skeleton (and the rest contiguously) from the master, round after round, from
   * `nextFrom` up to `height`. Every round re-reads `nextFrom`: when a skeleton author is dropped,
   * `discardOf` rewinds it and bumps `gen`, and answers to older rounds are ignored.
   */
  private async driver(): Promise<void> {
    const { run } = this
    const opts = run.opts
    const fetch = BigInt(opts.maxHeaderFetch)
    const hasRoom = (): boolean => this.queuedHeaders() < opts.maxQueuedHeaders
    while (run.error === undefined) {
      const polling = this.nextFrom > run.height
      if (polling) {
        run.timeline.mark('headers')
        if (!run.keepPolling()) break
        // Nothing new yet: ask again later (or stop once the pivot is committed).
        this.masterBusy = false
        await this.pause(opts.fsHeaderContCheckMs, () => !run.keepPolling())
        if (run.error !== undefined) return
        if (!run.keepPolling()) break
        this.masterBusy = true
      }
      if (!hasRoom()) {
        // Wait for imports to make room; wake() marks the driver busy again.
        this.masterBusy = false
        await this.waitFor(hasRoom)
      }
      if (run.error !== undefined) return
      const e = await run.ensureMaster()
      const id = e.peer.id
      const gen = this.gen
      const from = this.nextFrom
      const parentHash = this.nextParent
      if (from > run.height) {
        await this.contiguous(e, gen, from, parentHash, opts.maxHeaderFetch, true)
        continue
      }
      const remaining = run.height - from + 1n
      const room = Math.max(
        1,
        Math.floor((opts.maxQueuedHeaders - this.queuedHeaders()) / opts.maxHeaderFetch),
      )
      const points =
        this.contiguousFor === id
          ? 0
          : Math.min(opts.maxSkeletonSize, Number(remaining / fetch), room)
      if (points > 0) await this.skeletonRound(e, gen, from, parentHash, points)
      else {
        const amount = remaining < fetch ? Number(remaining) : opts.maxHeaderFetch
        await this.contiguous(e, gen, from, parentHash, amount, false)
      }
    }
    if (run.error === undefined) {
      this.headersDone = true
      run.pump()
    }
  }

  private async skeletonRound(
    e: PeerEntry,
    gen: number,
    from: bigint,
    parentHash: Uint8Array,
    points: number,
  ): Promise<void> {
    const { run } = this
    const opts = run.opts
    const id = e.peer.id
    const fetch = BigInt(opts.maxHeaderFetch)
    const first = from + fetch - 1n
    const out = await run.request(e, (s) =>
      e.peer.requestHeadersByNumber(first, points, opts.maxHeaderFetch - 1, false, s),
    )
    const hs = this.judgeMaster(e, out, 'skeleton', points, true)
    if (hs === undefined || gen !== this.gen) return
    if (hs.length === 0) {
      // go-ethereum: "If the skeleton's finished, pull any remaining head headers directly from
      // the origin." Some servers answer a skip range that reaches past their head with nothing.
      run.host.log?.debug('empty skeleton answer: fetching the rest contiguously', {
        peer: id,
        from,
      })
      this.contiguousFor = id
      return
    }
    const wrong = hs.findIndex((h, i) => h.number !== first + BigInt(i) * fetch)
    if (wrong >= 0) {
      run.drop(id, 'ErrBadPeer', `skeleton point ${wrong} is #${hs[wrong]!.number}`)
      return
    }
    const last = hs[hs.length - 1]!
    if (last.number === run.targetHeight && !equalBytes(last.hash, run.targetHash)) {
      run.drop(id, 'ErrBadPeer', 'skeleton ends on a head that is not the one announced')
      return
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
    run.pump()
  }

  /**
   * Headers straight from the master: the last few below `height`, all of them after an empty
   * skeleton answer, or (`beyond`) newer ones past `height` in fast sync, where an empty answer
   * only means nothing new yet.
   */
  private async contiguous(
    e: PeerEntry,
    gen: number,
    from: bigint,
    parentHash: Uint8Array,
    amount: number,
    beyond: boolean,
  ): Promise<void> {
    const { run } = this
    const id = e.peer.id
    const what = beyond ? 'newer headers' : 'contiguous headers'
    const out = await run.request(e, (s) =>
      e.peer.requestHeadersByNumber(from, amount, 0, false, s),
    )
    const hs = this.judgeMaster(e, out, what, amount, beyond)
    if (hs === undefined || hs.length === 0 || gen !== this.gen) return
    const problem = checkHeaderRun(hs, from, parentHash)
    if (problem !== undefined) {
      run.drop(id, 'ErrBadPeer', `${what}: ${problem}`)
      return
    }
    const last = hs[hs.length - 1]!
    if (last.number === run.targetHeight && !equalBytes(last.hash, run.targetHash)) {
      run.drop(id, 'ErrBadPeer', `${what} end on a head that is not the one announced`)
      return
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
    if (last.number > run.height) run.extendHeight(last.number)
    run.pump()
  }

  /**
   * Judge the master's answer to a skeleton or contiguous request. Returns the headers to use
   * (empty only when `emptyOk`), or undefined when the master was dropped or demoted (the caller
   * elects another) or the request is to be retried.
   */
  private judgeMaster(
    e: PeerEntry,
    out: Outcome<BlockHeader[]>,
    what: string,
    max: number,
    emptyOk: boolean,
  ): BlockHeader[] | undefined {
    const { run } = this
    const id = e.peer.id
    switch (out.kind) {
      case 'aborted':
        return undefined
      case 'failed':
        run.exclude(id, out.error)
        return undefined
      case 'timeout':
        // Retried with the same master unless onTimeout drops it (then another is elected).
        run.onTimeout(id, 'headers', max)
        return undefined
      case 'ok': {
        const hs = out.value
        if (!Array.isArray(hs)) {
          run.drop(id, 'ErrBadPeer', `${what}: not a header list`)
          return undefined
        }
        if (hs.length > max) {
          run.drop(id, 'ErrUnrequestedData', `${what}: ${hs.length} headers for ${max} requested`)
          return undefined
        }
        if (hs.length === 0 && !emptyOk) {
          run.drop(id, 'ErrEmptyHeaderSet', `${what}: empty answer below its announced head`)
          return undefined
        }
        run.state(id).timeouts = 0
        if (hs.length > 0) run.onDelivered(e, 'headers', hs.length, out.elapsedMs)
        return hs
      }
    }
  }
}

/**
 * A contiguous ascending run of headers starting at `from`, each the parent of the next (and
 * the first a child of `parentHash` when given). Returns what is wrong, or undefined.
 */
export function checkHeaderRun(
  hs: readonly BlockHeader[],
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
