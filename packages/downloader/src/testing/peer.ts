/** `TestPeer`: a `DownloaderPeer` serving a chain from memory, with latency and misbehaviour switches. */
import {
  type Block,
  type BlockBody,
  BlockHeader,
  bytesToHex,
  type ReceiptData,
} from '@ethwire/rlp-wire'
import type { DownloaderError } from '../errors.js'
import type { Clock, DownloaderPeer, PeerHead } from '../types.js'

export type RequestKind = 'headersByNumber' | 'headersByHash' | 'bodies' | 'receipts' | 'nodeData'

export interface TestRequest {
  kind: RequestKind
  /** Origin number (headers by number), or number of the hash origin when known. */
  origin?: bigint
  amount: number
  skip?: number
  reverse?: boolean
  /** Index of this request among the peer's requests (0-based). */
  index: number
}

export interface TestPeerOptions {
  id: string
  /** The chain it serves, consecutive blocks (usually genesis first); it serves up to `headNumber`. */
  blocks: Block[]
  /**
   * Defaults to the last block. A function is asked again at every request and `head()`: a chain
   * that grows while the sync runs (capped at the last block).
   */
  headNumber?: number | (() => number)
  /** Receipts of `blocks` (same indexes, e.g. `TestChain.receipts`): it serves `GetReceipts`. */
  receipts?: ReceiptData[][]
  /**
   * State nodes and code by hex hash (e.g. `TestChain.state.nodes`): it serves `GetNodeData`,
   * unless `nodeData` is false (an eth/67+ peer: no `requestNodeData` at all).
   */
  state?: ReadonlyMap<string, Uint8Array>
  nodeData?: boolean
  /** Total difficulty it announces; default: sum of difficulties up to its head. */
  td?: bigint
  clock: Clock
  /** Delay before every answer (virtual time on a FakeClock). A function can vary it. */
  latencyMs?: number | ((req: TestRequest) => number)
  /** After this many requests it disconnects: that request and every later one reject. */
  disconnectAfter?: number
  /** Called once when it disconnects (e.g. to unregister it from the downloader). */
  onDisconnect?: (id: string) => void
  /** Never answer these requests (they hang until aborted). */
  stall?: (req: TestRequest) => boolean
  /** Answer these header requests with a header in the middle altered (links break). */
  corruptHeaders?: (req: TestRequest) => boolean
  /** Answer these header requests with nothing. */
  emptyHeaders?: (req: TestRequest) => boolean
  /** Answer these header requests with one header left out of the middle of the answer. */
  dropHeader?: (req: TestRequest) => boolean
  /** Answer these header requests shifted by one block (starting one step further along). */
  shiftHeaders?: (req: TestRequest) => boolean
  /**
   * Answer a header request whose range reaches past the head — `origin + amount × (skip + 1) − 1`
   * beyond it, the skip after the last header counted — with nothing at all (some servers do;
   * go-ethereum answers with what it has).
   */
  emptyPastHead?: boolean
  /** Answer these body requests with a transaction missing from the first non-empty body. */
  corruptBodies?: (req: TestRequest) => boolean
  /** Add one item nobody asked for to these answers. */
  extraItems?: (req: TestRequest) => boolean
  /** Answer these body requests with nothing. */
  emptyBodies?: (req: TestRequest) => boolean
  /** Answer these receipt requests with the first non-empty list changed (its root breaks). */
  corruptReceipts?: (req: TestRequest) => boolean
  /** Answer these receipt requests with nothing. */
  emptyReceipts?: (req: TestRequest) => boolean
  /** Answer these node requests with one node altered (it hashes to no requested key). */
  wrongNodes?: (req: TestRequest) => boolean
  /** Answer these node requests with nothing. */
  emptyNodeData?: (req: TestRequest) => boolean
  /** Most headers / bodies / receipt lists / nodes per answer. Default 1024 / 256 / 256 / 384. */
  maxHeadersServe?: number
  maxBodiesServe?: number
  maxReceiptsServe?: number
  maxNodesServe?: number
}

/**
 * A downloader peer serving a chain from memory. Honors the AbortSignal of each request,
 * records what it was asked, and remembers why it was dropped.
 */
export class TestPeer implements DownloaderPeer {
  readonly id: string
  readonly requests: TestRequest[] = []
  /** Items it delivered. */
  readonly served = { headers: 0, bodies: 0, receipts: 0, nodes: 0 }
  /** Set when the downloader dropped it. */
  dropped: DownloaderError | undefined
  disconnected = false
  /** `GetReceipts`, when it has receipts. */
  readonly requestReceipts?: (hashes: Uint8Array[], signal: AbortSignal) => Promise<ReceiptData[][]>
  /** `GetNodeData`, when it has state and speaks eth/63–66. */
  readonly requestNodeData?: (hashes: Uint8Array[], signal: AbortSignal) => Promise<Uint8Array[]>
  private readonly index = new Map<string, number>()
  private readonly base: number
  private readonly last: number
  /** Total difficulty at each block (by index). */
  private readonly tds: bigint[] = []

  constructor(private readonly opts: TestPeerOptions) {
    this.id = opts.id
    this.base = Number(opts.blocks[0]!.header.number)
    this.last = this.base + opts.blocks.length - 1
    let td = 0n
    for (let n = this.base; n <= this.last; n++) {
      const b = opts.blocks[n - this.base]!
      this.index.set(bytesToHex(b.hash), n)
      td += b.header.difficulty
      this.tds.push(td)
    }
    const receipts = opts.receipts
    if (receipts !== undefined) {
      this.requestReceipts = (hashes, signal) => this.serveReceipts(receipts, hashes, signal)
    }
    const state = opts.state
    if (state !== undefined && opts.nodeData !== false) {
      this.requestNodeData = (hashes, signal) => this.serveNodes(state, hashes, signal)
    }
  }

  /** The block number it serves up to now. */
  get headNumber(): number {
    const h = this.opts.headNumber
    const n = typeof h === 'function' ? h() : (h ?? this.last)
    return Math.min(n, this.last)
  }

  head(): PeerHead {
    const n = this.headNumber
    const b = this.opts.blocks[n - this.base]!
    return { hash: b.hash, td: this.opts.td ?? this.tds[n - this.base]!, number: b.header.number }
  }

  /** Block number of a hash it serves now, if any. */
  private numberOf(hash: Uint8Array): number | undefined {
    const n = this.index.get(bytesToHex(hash))
    return n !== undefined && n <= this.headNumber ? n : undefined
  }

  /** Disconnect now: pending and later requests reject. */
  disconnect(): void {
    if (this.disconnected) return
    this.disconnected = true
    for (const reject of this.pending) reject(new Error(`peer ${this.id} disconnected`))
    this.pending.clear()
    this.opts.onDisconnect?.(this.id)
  }

  drop(error: DownloaderError): void {
    this.dropped ??= error
    this.disconnect()
  }

  private readonly pending = new Set<(e: Error) => void>()

  private async serve<T>(
    req: Omit<TestRequest, 'index'>,
    signal: AbortSignal,
    answer: (r: TestRequest) => T,
  ): Promise<T> {
    const r: TestRequest = { ...req, index: this.requests.length }
    this.requests.push(r)
    if (this.disconnected) throw new Error(`peer ${this.id} disconnected`)
    if (this.opts.disconnectAfter !== undefined && r.index >= this.opts.disconnectAfter) {
      this.disconnect()
      throw new Error(`peer ${this.id} disconnected`)
    }
    const latency =
      typeof this.opts.latencyMs === 'function'
        ? this.opts.latencyMs(r)
        : (this.opts.latencyMs ?? 0)
    const stall = this.opts.stall?.(r) === true
    await new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason)
        return
      }
      let handle: unknown
      const done = (err?: unknown): void => {
        this.pending.delete(onClose)
        signal.removeEventListener('abort', onAbort)
        if (handle !== undefined) this.opts.clock.clearTimeout(handle)
        if (err === undefined) resolve()
        else reject(err)
      }
      const onAbort = (): void => done(signal.reason)
      const onClose = (e: Error): void => done(e)
      signal.addEventListener('abort', onAbort, { once: true })
      this.pending.add(onClose)
      if (!stall) handle = this.opts.clock.setTimeout(() => done(), latency)
    })
    return answer(r)
  }

  requestHeadersByNumber(
    origin: bigint,
    amount: number,
    skip: number,
    reverse: boolean,
    signal: AbortSignal,
  ): Promise<BlockHeader[]> {
    return this.serve({ kind: 'headersByNumber', origin, amount, skip, reverse }, signal, (r) =>
      this.headers(Number(origin), amount, skip, reverse, r),
    )
  }

  requestHeadersByHash(
    origin: Uint8Array,
    amount: number,
    skip: number,
    reverse: boolean,
    signal: AbortSignal,
  ): Promise<BlockHeader[]> {
    const n = this.numberOf(origin)
    return this.serve(
      {
        kind: 'headersByHash',
        ...(n === undefined ? {} : { origin: BigInt(n) }),
        amount,
        skip,
        reverse,
      },
      signal,
      (r) => (n === undefined ? [] : this.headers(n, amount, skip, reverse, r)),
    )
  }

  requestBodies(hashes: Uint8Array[], signal: AbortSignal): Promise<BlockBody[]> {
    return this.serve({ kind: 'bodies', amount: hashes.length }, signal, (r) => {
      if (this.opts.emptyBodies?.(r)) return []
      const max = this.opts.maxBodiesServe ?? 256
      const out: BlockBody[] = []
      for (const h of hashes) {
        if (out.length >= max) break
        const n = this.numberOf(h)
        if (n === undefined) break
        out.push(this.opts.blocks[n - this.base]!.body())
      }
      if (this.opts.corruptBodies?.(r)) {
        const i = out.findIndex((b) => b.transactions.length > 0 || b.uncles.length > 0)
        const b = out[i]
        if (b !== undefined) {
          out[i] =
            b.transactions.length > 0
              ? { ...b, transactions: b.transactions.slice(1) }
              : { ...b, uncles: [] }
        }
      }
      if (this.opts.extraItems?.(r)) out.push({ transactions: [], uncles: [] })
      this.served.bodies += out.length
      return out
    })
  }

  private serveReceipts(
    receipts: ReceiptData[][],
    hashes: Uint8Array[],
    signal: AbortSignal,
  ): Promise<ReceiptData[][]> {
    return this.serve({ kind: 'receipts', amount: hashes.length }, signal, (r) => {
      if (this.opts.emptyReceipts?.(r)) return []
      const max = this.opts.maxReceiptsServe ?? 256
      const out: ReceiptData[][] = []
      for (const h of hashes) {
        if (out.length >= max) break
        const n = this.numberOf(h)
        if (n === undefined) break
        out.push(receipts[n - this.base] ?? [])
      }
      if (this.opts.corruptReceipts?.(r)) {
        const i = out.findIndex((list) => list.length > 0)
        const list = out[i]
        if (list !== undefined) {
          out[i] = [
            { ...list[0]!, cumulativeGasUsed: list[0]!.cumulativeGasUsed + 1n },
            ...list.slice(1),
          ]
        }
      }
      if (this.opts.extraItems?.(r)) out.push([])
      this.served.receipts += out.length
      return out
    })
  }

  private serveNodes(
    state: ReadonlyMap<string, Uint8Array>,
    hashes: Uint8Array[],
    signal: AbortSignal,
  ): Promise<Uint8Array[]> {
    return this.serve({ kind: 'nodeData', amount: hashes.length }, signal, (r) => {
      if (this.opts.emptyNodeData?.(r)) return []
      const max = this.opts.maxNodesServe ?? 384
      const out: Uint8Array[] = []
      // Like go-ethereum: what it has, in the order asked, skipping what it lacks.
      for (const h of hashes) {
        if (out.length >= max) break
        const node = state.get(bytesToHex(h))
        if (node !== undefined) out.push(node)
      }
      if (this.opts.wrongNodes?.(r) && out.length > 0) {
        const bad = out[0]!.slice()
        bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff
        out[0] = bad
      }
      if (this.opts.extraItems?.(r)) out.push(Uint8Array.of(0xc0))
      this.served.nodes += out.length
      return out
    })
  }

  private headers(
    origin: number,
    amount: number,
    skip: number,
    reverse: boolean,
    r: TestRequest,
  ): BlockHeader[] {
    const max = Math.min(amount, this.opts.maxHeadersServe ?? 1024)
    const out: BlockHeader[] = []
    if (this.opts.emptyHeaders?.(r)) return out
    if (this.opts.emptyPastHead && !reverse && origin + amount * (skip + 1) - 1 > this.headNumber) {
      return out
    }
    if (this.opts.shiftHeaders?.(r)) origin += reverse ? -(skip + 1) : skip + 1
    for (
      let n = origin;
      out.length < max && n >= this.base && n <= this.headNumber;
      n += reverse ? -(skip + 1) : skip + 1
    ) {
      out.push(this.opts.blocks[n - this.base]!.header)
    }
    if (this.opts.dropHeader?.(r) && out.length >= 3) out.splice(Math.floor(out.length / 2), 1)
    if (this.opts.corruptHeaders?.(r) && out.length > 0) {
      const i = Math.floor(out.length / 2)
      const d = out[i]!.toData()
      out[i] = BlockHeader.fromData({ ...d, extra: new Uint8Array([0xba, 0xd0]) })
    }
    if (this.opts.extraItems?.(r)) {
      const last = out[out.length - 1]
      const n = last === undefined ? origin : Number(last.number) + 1
      const extra = this.opts.blocks[Math.min(n - this.base, this.opts.blocks.length - 1)]!.header
      out.push(extra)
    }
    this.served.headers += out.length
    return out
  }
}
