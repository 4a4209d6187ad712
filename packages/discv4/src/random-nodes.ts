/**
 * The node source for a dialer, as go-ethereum builds it for `eth` (`eth/backend.go`): a random
 * walk of the DHT (one random lookup after another, nodes handed on as they are found), each
 * node's record fetched with ENRRequest (at most 16 at once; a node that does not answer is
 * dropped), the fork-id check of the `eth` entry and the caller's filter applied, and a small buffer ahead of the reader. More
 * sources (DNS trees) are mixed in. The walk pauses while the buffer is full.
 */
import { setMaxListeners } from 'node:events'
import type { Clock } from '@ethwire/interface'
import {
  maxParallelEnrRequests,
  randomNodesBufferSize,
  randomNodesRecentSize,
  randomWalkMinIntervalMs,
} from './constants.js'
import { ethRecordAccepted, type ForkId } from './enr.js'
import type { DiscoveredNode } from './node.js'

export interface RandomNodesOptions {
  /** Ends the iterator when aborted. */
  readonly signal?: AbortSignal
  /** Which nodes to hand out; default the service's `nodeFilter`, else every node. */
  readonly filter?: (node: DiscoveredNode) => boolean
  /**
   * The fork-id check of the nodes' `eth` entries (before `filter`); default the service's
   * `forkFilter`, none when neither is set.
   */
  readonly forkFilter?: (forkId: ForkId) => boolean
  /** With a fork filter, hand out nodes without an `eth` entry too; default the service's. */
  readonly includeNoEth?: boolean
  /** Fetch each discv4 node's record before filtering (default true; unanswered nodes are dropped). */
  readonly resolveEnr?: boolean
  /** Hand out nodes without a TCP port too (default false: a dialer cannot use them). */
  readonly includeNoTcp?: boolean
  /** More sources mixed in (DNS tree walks); their nodes bring their records. */
  readonly sources?: readonly AsyncIterable<DiscoveredNode>[]
  /** Mix in the service's `dnsTrees` (default true). */
  readonly includeDns?: boolean
  /** A node handed out is not handed out again for this long (default 30 s). */
  readonly repeatAfterMs?: number
}

/** What the iterator needs from the service. */
export interface RandomWalkHost {
  readonly clock: Clock
  readonly closeSignal: AbortSignal
  readonly tableSize: number
  readonly nodeFilter: ((node: DiscoveredNode) => boolean) | undefined
  readonly forkFilter: ((forkId: ForkId) => boolean) | undefined
  readonly includeNoEth: boolean
  randomTarget(): Uint8Array
  lookupInternal(
    target: Uint8Array,
    signal?: AbortSignal,
    onFound?: (nodes: DiscoveredNode[]) => void,
  ): Promise<DiscoveredNode[]>
  requestEnr(node: DiscoveredNode, opts?: { signal?: AbortSignal }): Promise<DiscoveredNode>
  waitForNodes(ms: number, signal: AbortSignal): Promise<void>
}

const emptyTableWaitMs = 60_000

export class RandomNodes implements AsyncIterableIterator<DiscoveredNode> {
  readonly #host: RandomWalkHost
  readonly #opts: RandomNodesOptions
  readonly #ac = new AbortController()
  readonly #signal: AbortSignal
  readonly #ready: DiscoveredNode[] = []
  readonly #candidates: DiscoveredNode[] = []
  readonly #queued = new Set<string>()
  readonly #recent = new Map<string, number>()
  readonly #waiters: ((r: IteratorResult<DiscoveredNode>) => void)[] = []
  readonly #spaceWaiters: (() => void)[] = []
  readonly #onClose: (() => void)[] = []
  #resolving = 0
  #closed = false
  #markClosed: () => void = () => {}
  readonly #closedP = new Promise<IteratorResult<DiscoveredNode>>((resolve) => {
    this.#markClosed = () => resolve({ value: undefined, done: true })
  })

  constructor(host: RandomWalkHost, opts: RandomNodesOptions) {
    this.#host = host
    this.#opts = opts
    const signals = [host.closeSignal, this.#ac.signal]
    if (opts.signal !== undefined) signals.push(opts.signal)
    this.#signal = AbortSignal.any(signals)
    setMaxListeners(0, this.#signal) // one listener per ENR request in flight
    this.#signal.addEventListener('abort', () => void this.return(), { once: true })
    void this.#walk()
    for (const s of opts.sources ?? []) void this.#pull(s)
  }

  onClose(cb: () => void): void {
    this.#onClose.push(cb)
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<DiscoveredNode> {
    return this
  }

  next(): Promise<IteratorResult<DiscoveredNode>> {
    const n = this.#ready.shift()
    if (n !== undefined) {
      this.#queued.delete(n.idHex)
      this.#pump()
      this.#wakeSpace()
      return Promise.resolve({ value: n, done: false })
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true })
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  async return(): Promise<IteratorResult<DiscoveredNode>> {
    if (!this.#closed) {
      this.#closed = true
      this.#ac.abort()
      this.#markClosed()
      for (const w of this.#waiters.splice(0)) w({ value: undefined, done: true })
      this.#wakeSpace()
      for (const cb of this.#onClose.splice(0)) cb()
    }
    return { value: undefined, done: true }
  }

  #full(): boolean {
    return this.#ready.length + this.#candidates.length + this.#resolving >= randomNodesBufferSize
  }

  #waitForSpace(): Promise<void> {
    if (!this.#full() || this.#closed) return Promise.resolve()
    return new Promise((resolve) => this.#spaceWaiters.push(resolve))
  }

  #wakeSpace(): void {
    if (this.#full() && !this.#closed) return
    for (const w of this.#spaceWaiters.splice(0)) w()
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#host.clock.clearTimeout(t)
        this.#signal.removeEventListener('abort', done)
        resolve()
      }
      const t = this.#host.clock.setTimeout(done, ms)
      this.#signal.addEventListener('abort', done, { once: true })
    })
  }

  async #walk(): Promise<void> {
    let last = Number.NEGATIVE_INFINITY
    while (!this.#closed) {
      await this.#waitForSpace()
      if (this.#closed) break
      const wait = last + randomWalkMinIntervalMs - this.#host.clock.now()
      if (wait > 0) await this.#sleep(wait)
      if (this.#closed) break
      last = this.#host.clock.now()
      if (this.#host.tableSize === 0) {
        await this.#host.waitForNodes(emptyTableWaitMs, this.#signal)
        continue
      }
      try {
        await this.#host.lookupInternal(this.#host.randomTarget(), this.#signal, (nodes) =>
          this.#offer(nodes),
        )
      } catch {}
    }
  }

  async #pull(source: AsyncIterable<DiscoveredNode>): Promise<void> {
    const it = source[Symbol.asyncIterator]()
    try {
      while (!this.#closed) {
        await this.#waitForSpace()
        if (this.#closed) break
        const r = await Promise.race([it.next(), this.#closedP])
        if (r.done === true) break
        this.#offer([r.value])
      }
    } catch {
    } finally {
      await it.return?.().catch(() => {})
    }
  }

  #offer(nodes: readonly DiscoveredNode[]): void {
    if (this.#closed) return
    const now = this.#host.clock.now()
    const repeat = this.#opts.repeatAfterMs ?? 30_000
    for (const n of nodes) {
      if (this.#queued.has(n.idHex)) continue
      const at = this.#recent.get(n.idHex)
      if (at !== undefined && now - at < repeat) continue
      this.#queued.add(n.idHex)
      this.#candidates.push(n)
    }
    // Found faster than read: the oldest candidates go.
    while (this.#candidates.length > randomNodesBufferSize * 4) {
      const old = this.#candidates.shift()!
      this.#queued.delete(old.idHex)
    }
    this.#pump()
  }

  #pump(): void {
    while (
      !this.#closed &&
      this.#resolving < maxParallelEnrRequests &&
      this.#candidates.length > 0 &&
      this.#ready.length + this.#resolving < randomNodesBufferSize
    ) {
      const n = this.#candidates.shift()!
      this.#resolving++
      this.#resolve(n).then((r) => {
        this.#resolving--
        if (r !== undefined && !this.#closed && this.#accept(r)) this.#deliver(r)
        else this.#queued.delete(n.idHex)
        this.#pump()
        this.#wakeSpace()
      })
    }
  }

  #resolve(n: DiscoveredNode): Promise<DiscoveredNode | undefined> {
    if (this.#opts.resolveEnr === false || n.enr !== undefined) return Promise.resolve(n)
    return this.#host.requestEnr(n, { signal: this.#signal }).catch(() => undefined)
  }

  #accept(n: DiscoveredNode): boolean {
    if (n.tcpPort === 0 && this.#opts.includeNoTcp !== true) return false
    const fork = this.#opts.forkFilter ?? this.#host.forkFilter
    if (fork !== undefined) {
      const includeNoEth = this.#opts.includeNoEth ?? this.#host.includeNoEth
      if (!ethRecordAccepted(n.enr, fork, { includeNoEth })) return false
    }
    const filter = this.#opts.filter ?? this.#host.nodeFilter
    if (filter === undefined) return true
    try {
      return filter(n)
    } catch {
      return false
    }
  }

  #deliver(n: DiscoveredNode): void {
    this.#recent.delete(n.idHex)
    this.#recent.set(n.idHex, this.#host.clock.now())
    if (this.#recent.size > randomNodesRecentSize) {
      const oldest = this.#recent.keys().next().value
      if (oldest !== undefined) this.#recent.delete(oldest)
    }
    const w = this.#waiters.shift()
    if (w !== undefined) {
      this.#queued.delete(n.idHex)
      w({ value: n, done: false })
    } else this.#ready.push(n)
  }
}
