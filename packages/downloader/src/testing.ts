/**
 * Test doubles for the downloader: a virtual clock, a seeded random source, a builder of valid
 * chains, an in-memory chain implementing {@link DownloaderChain}, and test peers that serve a
 * chain held in memory with configurable latency and misbehaviour.
 *
 * @example
 * ```ts
 * const clock = createManualClock()
 * const data = buildChain({ length: 500 })
 * const chain = new MemoryChain(data.blocks.slice(0, 1))
 * const dl = createDownloader({ chain, clock, random: seededRandom(1) })
 * dl.registerPeer(new TestPeer({ id: 'a', blocks: data.blocks, clock, latencyMs: 20 }))
 * await runVirtual(clock, dl.synchronise('a', data.head.hash))
 * ```
 */
import {
  Block,
  type BlockBody,
  BlockHeader,
  bytesToHex,
  checkBody,
  EMPTY_TRIE_ROOT,
  EMPTY_UNCLE_HASH,
  equalBytes,
  Transaction,
  transactionsRoot,
  unclesHash,
} from '@ethwire/rlp-wire'

export { systemClock } from './clock.js'

import type { DownloaderError } from './errors.js'
import type {
  ChainHead,
  Clock,
  DownloaderChain,
  DownloaderPeer,
  PeerHead,
  RandomSource,
} from './types.js'

// -------------------------------------------------------------------------------------------
// Time and randomness

/** A clock that only moves when told: timers fire in order of due time, then of creation. */
export class ManualClock implements Clock {
  private t: number
  private seq = 0
  private readonly timers = new Map<number, { at: number; seq: number; cb: () => void }>()

  constructor(startMs = 0) {
    this.t = startMs
  }

  now(): number {
    return this.t
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.seq
    this.timers.set(id, { at: this.t + Math.max(0, ms), seq: id, cb: callback })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number)
  }

  /** Timers not yet fired. */
  pendingTimers(): number {
    return this.timers.size
  }

  /** Due time of the next timer, or undefined. */
  nextDue(): number | undefined {
    let best: { at: number; seq: number } | undefined
    for (const t of this.timers.values()) {
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t
    }
    return best?.at
  }

  /** Jump to the next timer and fire it. Returns false when there is none. */
  fireNext(): boolean {
    let bestId: number | undefined
    let best: { at: number; seq: number; cb: () => void } | undefined
    for (const [id, t] of this.timers) {
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) {
        best = t
        bestId = id
      }
    }
    if (best === undefined || bestId === undefined) return false
    this.timers.delete(bestId)
    this.t = Math.max(this.t, best.at)
    best.cb()
    return true
  }

  /** Move time forward by `ms`, firing every timer due on the way (letting promises run between). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms
    for (;;) {
      await flushPromises()
      const due = this.nextDue()
      if (due === undefined || due > end) break
      this.fireNext()
    }
    this.t = end
    await flushPromises()
  }
}

export function createManualClock(startMs = 0): ManualClock {
  return new ManualClock(startMs)
}

/** A deterministic random source (mulberry32). */
export function seededRandom(seed = 1): RandomSource {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Let every pending promise callback run. */
export async function flushPromises(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/**
 * Drive a {@link ManualClock} until `promise` settles: run all ready promise callbacks, then
 * jump to the next timer, and again. Throws if the promise is stuck with no timer left (a
 * deadlock) or virtual time passes `maxVirtualMs`.
 */
export async function runVirtual<T>(
  clock: ManualClock,
  promise: Promise<T>,
  opts: { maxVirtualMs?: number } = {},
): Promise<T> {
  const limit = clock.now() + (opts.maxVirtualMs ?? 30 * 60_000)
  let done = false
  let ok = false
  let value: T | undefined
  let error: unknown
  promise.then(
    (v) => {
      done = true
      ok = true
      value = v
    },
    (e: unknown) => {
      done = true
      error = e
    },
  )
  for (;;) {
    await flushPromises()
    if (done) {
      if (ok) return value as T
      throw error
    }
    const due = clock.nextDue()
    if (due === undefined)
      throw new Error('runVirtual: promise pending with no timer left (deadlock)')
    if (due > limit)
      throw new Error(
        `runVirtual: still pending after ${opts.maxVirtualMs ?? 1_800_000} virtual ms`,
      )
    clock.fireNext()
  }
}

/** Resolve after `ms` on `clock`; reject with the signal's reason when it aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle)
      reject(signal?.reason)
    }
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

// -------------------------------------------------------------------------------------------
// Chains

export interface TestChain {
  /** Blocks by number, genesis first. */
  blocks: Block[]
  genesis: Block
  head: Block
  /** Total difficulty of each block, by number. */
  tds: bigint[]
}

export interface BuildChainOptions {
  /** Blocks after the parent (or after genesis). */
  length: number
  /** Extend this chain (from its block `forkAt`, default its head) instead of a new genesis. */
  parent?: TestChain
  forkAt?: number
  /** Varies the block contents so that two builds with different seeds differ. */
  seed?: number
  /** Every how many blocks one carries transactions (0: never). Default 5. */
  txEvery?: number
  /** Every how many blocks one carries an uncle (0: never). Default 50. */
  uncleEvery?: number
  /** Difficulty of every block. Default 1. */
  difficulty?: bigint
}

const zeros = (n: number): Uint8Array => new Uint8Array(n)
const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n >>> 0)
  return b
}

function header(fields: {
  parentHash: Uint8Array
  number: bigint
  difficulty: bigint
  txRoot: Uint8Array
  uncleHash: Uint8Array
  gasUsed: bigint
  seed: number
}): BlockHeader {
  return BlockHeader.fromData({
    parentHash: fields.parentHash,
    uncleHash: fields.uncleHash,
    coinbase: zeros(20),
    stateRoot: EMPTY_TRIE_ROOT,
    txRoot: fields.txRoot,
    receiptRoot: EMPTY_TRIE_ROOT,
    bloom: zeros(256),
    difficulty: fields.difficulty,
    number: fields.number,
    gasLimit: 8_000_000n,
    gasUsed: fields.gasUsed,
    time: 1_600_000_000n + fields.number * 13n,
    extra: u32(fields.seed),
    mixDigest: zeros(32),
    nonce: zeros(8),
  })
}

function makeTx(n: number, i: number, seed: number): Transaction {
  const to = zeros(20)
  to.set(u32(n), 0)
  to.set(u32(seed), 4)
  return Transaction.fromData({
    type: 0,
    nonce: BigInt(i),
    gasPrice: 1_000_000_000n,
    gasLimit: 21_000n,
    to,
    value: BigInt(n * 1000 + i),
    data: new Uint8Array(),
    v: 27n,
    r: BigInt(n + 1) * 7919n,
    s: BigInt(i + 1) * 104729n,
  })
}

export function blockFrom(h: BlockHeader, body: BlockBody): Block {
  return Block.fromParts(h, body)
}

/**
 * Build a valid chain: correct parent links, difficulty, and bodies that match their headers
 * (most blocks empty, every `txEvery`-th with transactions, every `uncleEvery`-th with an uncle).
 */
export function buildChain(opts: BuildChainOptions): TestChain {
  const seed = opts.seed ?? 0
  const txEvery = opts.txEvery ?? 5
  const uncleEvery = opts.uncleEvery ?? 50
  const difficulty = opts.difficulty ?? 1n
  let blocks: Block[]
  let tds: bigint[]
  if (opts.parent === undefined) {
    const g = header({
      parentHash: zeros(32),
      number: 0n,
      difficulty: 1n,
      txRoot: EMPTY_TRIE_ROOT,
      uncleHash: EMPTY_UNCLE_HASH,
      gasUsed: 0n,
      seed: 0,
    })
    blocks = [blockFrom(g, { transactions: [], uncles: [] })]
    tds = [1n]
  } else {
    const at = opts.forkAt ?? opts.parent.blocks.length - 1
    blocks = opts.parent.blocks.slice(0, at + 1)
    tds = opts.parent.tds.slice(0, at + 1)
  }
  const start = blocks.length
  for (let n = start; n < start + opts.length; n++) {
    const parent = blocks[n - 1]!
    const txs: Transaction[] = []
    if (txEvery > 0 && n % txEvery === 0) {
      const count = 1 + (n % 3)
      for (let i = 0; i < count; i++) txs.push(makeTx(n, i, seed))
    }
    const uncles: BlockHeader[] = []
    if (uncleEvery > 0 && n % uncleEvery === 0 && n >= 2) {
      uncles.push(
        header({
          parentHash: blocks[n - 2]!.hash,
          number: BigInt(n - 1),
          difficulty,
          txRoot: EMPTY_TRIE_ROOT,
          uncleHash: EMPTY_UNCLE_HASH,
          gasUsed: 0n,
          seed: seed + 0x10000 + n,
        }),
      )
    }
    const h = header({
      parentHash: parent.hash,
      number: BigInt(n),
      difficulty,
      txRoot: txs.length === 0 ? EMPTY_TRIE_ROOT : transactionsRoot(txs),
      uncleHash: uncles.length === 0 ? EMPTY_UNCLE_HASH : unclesHash(uncles),
      gasUsed: BigInt(txs.length) * 21_000n,
      seed,
    })
    blocks.push(blockFrom(h, { transactions: txs, uncles }))
    tds.push(tds[n - 1]! + difficulty)
  }
  return { blocks, genesis: blocks[0]!, head: blocks[blocks.length - 1]!, tds }
}

export class ChainInsertError extends Error {
  override readonly name = 'ChainInsertError'
  constructor(
    readonly code: 'ErrUnknownParent' | 'ErrInvalidNumber' | 'ErrInvalidBody' | 'ErrRejected',
    message: string,
    readonly index: number,
  ) {
    super(`${code}: ${message}`)
  }
}

export interface MemoryChainOptions {
  /** Clock for `insertDelayMs`. */
  clock?: Clock
  /** Virtual (or real) time each `insertChain` call takes. */
  insertDelayMs?: number
  /** Reject this block (a consensus failure, e.g. a bad seal). */
  reject?: (block: Block) => boolean
}

/**
 * An in-memory chain implementing {@link DownloaderChain}: keeps every block it is given,
 * follows the heaviest chain, checks parent links, numbers and bodies on insert.
 */
export class MemoryChain implements DownloaderChain {
  private readonly byHash = new Map<string, { block: Block; td: bigint }>()
  private readonly canonical: Block[] = []
  private headTd: bigint
  /** Number of the first block held (0 for a genesis; any block can serve as a trusted start). */
  private readonly base: number
  /** Every `insertChain` call: how many blocks it was given. */
  readonly insertCalls: number[] = []
  /** Observed by `insertChain` before each import (for bound checks in tests). */
  onInsert: ((blocks: Block[]) => void) | undefined

  constructor(
    initial: Block[],
    private readonly opts: MemoryChainOptions = {},
  ) {
    const genesis = initial[0]
    if (genesis === undefined) throw new Error('MemoryChain needs at least a genesis block')
    this.base = Number(genesis.header.number)
    let td = 0n
    for (const b of initial) {
      td += b.header.difficulty
      this.byHash.set(bytesToHex(b.hash), { block: b, td })
      this.canonical.push(b)
    }
    this.headTd = td
  }

  get head(): Block {
    return this.canonical[this.canonical.length - 1]!
  }

  currentBlock(): ChainHead {
    const h = this.head
    return { number: h.header.number, hash: h.hash, td: this.headTd }
  }

  hasBlock(hash: Uint8Array): boolean {
    return this.byHash.has(bytesToHex(hash))
  }

  getHeaderByNumber(number: bigint): BlockHeader | undefined {
    return this.canonical[Number(number) - this.base]?.header
  }

  getTd(hash: Uint8Array): bigint | undefined {
    return this.byHash.get(bytesToHex(hash))?.td
  }

  getBlockByNumber(number: number): Block | undefined {
    return this.canonical[number - this.base]
  }

  async insertChain(blocks: Block[]): Promise<number> {
    this.insertCalls.push(blocks.length)
    this.onInsert?.(blocks)
    if (this.opts.insertDelayMs !== undefined && this.opts.insertDelayMs > 0) {
      if (this.opts.clock === undefined) throw new Error('insertDelayMs needs a clock')
      await sleep(this.opts.clock, this.opts.insertDelayMs)
    }
    let imported = 0
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i]!
      if (this.byHash.has(bytesToHex(b.hash))) continue
      const parent = this.byHash.get(bytesToHex(b.header.parentHash))
      if (parent === undefined)
        throw new ChainInsertError('ErrUnknownParent', `block #${b.header.number}`, i)
      if (b.header.number !== parent.block.header.number + 1n) {
        throw new ChainInsertError('ErrInvalidNumber', `block #${b.header.number}`, i)
      }
      try {
        checkBody(b.header, b.body())
      } catch (err) {
        throw new ChainInsertError('ErrInvalidBody', `block #${b.header.number}: ${String(err)}`, i)
      }
      if (this.opts.reject?.(b))
        throw new ChainInsertError('ErrRejected', `block #${b.header.number}`, i)
      const td = parent.td + b.header.difficulty
      this.byHash.set(bytesToHex(b.hash), { block: b, td })
      imported++
      // Heavier wins; at equal total difficulty (e.g. after the merge) the longer chain.
      if (td > this.headTd || (td === this.headTd && b.header.number > this.head.header.number)) {
        this.setHead(b, td)
      }
    }
    return imported
  }

  private setHead(b: Block, td: bigint): void {
    // Rewrite the canonical index from the new head down to where it meets the old one.
    const n = Number(b.header.number) - this.base
    this.canonical.length = Math.min(this.canonical.length, n + 1)
    let cur: Block | undefined = b
    let i = n
    while (cur !== undefined && i >= 0) {
      const existing = this.canonical[i]
      if (existing !== undefined && equalBytes(existing.hash, cur.hash)) break
      this.canonical[i] = cur
      cur = this.byHash.get(bytesToHex(cur.header.parentHash))?.block
      i--
    }
    this.headTd = td
  }
}

// -------------------------------------------------------------------------------------------
// Peers

export type RequestKind = 'headersByNumber' | 'headersByHash' | 'bodies'

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
  /** Defaults to the last block. */
  headNumber?: number
  /** Total difficulty it announces; default: sum of difficulties up to its head. */
  td?: bigint
  clock: Clock
  /** Delay before every answer (virtual time on a ManualClock). A function can vary it. */
  latencyMs?: number | ((req: TestRequest) => number)
  /** After this many requests it disconnects: that request and every later one reject. */
  disconnectAfter?: number
  /** Called once when it disconnects (e.g. to unregister it from the downloader). */
  onDisconnect?: (id: string) => void
  /** Never answer these requests (they hang until aborted). */
  stall?: (req: TestRequest) => boolean
  /** Answer these header requests with a header in the middle altered (links break). */
  corruptHeaders?: (req: TestRequest) => boolean
  /** Answer these body requests with a transaction missing from the first non-empty body. */
  corruptBodies?: (req: TestRequest) => boolean
  /** Add one item nobody asked for to these answers. */
  extraItems?: (req: TestRequest) => boolean
  /** Answer these body requests with nothing. */
  emptyBodies?: (req: TestRequest) => boolean
  /** Most headers / bodies per answer (servers cap their answers). Default 1024 / 256. */
  maxHeadersServe?: number
  maxBodiesServe?: number
}

/**
 * A downloader peer serving a chain from memory. Honors the AbortSignal of each request,
 * records what it was asked, and remembers why it was dropped.
 */
export class TestPeer implements DownloaderPeer {
  readonly id: string
  readonly requests: TestRequest[] = []
  /** Items it delivered. */
  readonly served = { headers: 0, bodies: 0 }
  /** Set when the downloader dropped it. */
  dropped: DownloaderError | undefined
  disconnected = false
  private readonly index = new Map<string, number>()
  private readonly headNumber: number
  private readonly base: number
  private readonly announcedTd: bigint

  constructor(private readonly opts: TestPeerOptions) {
    this.id = opts.id
    this.base = Number(opts.blocks[0]!.header.number)
    this.headNumber = opts.headNumber ?? this.base + opts.blocks.length - 1
    let td = 0n
    for (let n = this.base; n <= this.headNumber; n++) {
      const b = opts.blocks[n - this.base]!
      this.index.set(bytesToHex(b.hash), n)
      td += b.header.difficulty
    }
    this.announcedTd = opts.td ?? td
  }

  head(): PeerHead {
    const b = this.opts.blocks[this.headNumber - this.base]!
    return { hash: b.hash, td: this.announcedTd, number: b.header.number }
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
    const n = this.index.get(bytesToHex(origin))
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
        const n = this.index.get(bytesToHex(h))
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

  private headers(
    origin: number,
    amount: number,
    skip: number,
    reverse: boolean,
    r: TestRequest,
  ): BlockHeader[] {
    const max = Math.min(amount, this.opts.maxHeadersServe ?? 1024)
    const out: BlockHeader[] = []
    for (
      let n = origin;
      out.length < max && n >= this.base && n <= this.headNumber;
      n += reverse ? -(skip + 1) : skip + 1
    ) {
      out.push(this.opts.blocks[n - this.base]!.header)
    }
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

// -------------------------------------------------------------------------------------------
// Compliance check for DownloaderPeer implementations

/**
 * Exercise a {@link DownloaderPeer} that serves `blocks` (consecutive, any start) the way the
 * downloader will, and return what is wrong (an empty list when it behaves). Checks: head
 * header by hash, a skeleton-style request (skip), a reverse fill by hash, an unknown hash,
 * bodies in order, and that an aborted request rejects. For adapters over a real transport.
 */
export async function checkDownloaderPeer(
  peer: DownloaderPeer,
  blocks: Block[],
  opts: { timeoutMs?: number } = {},
): Promise<string[]> {
  const problems: string[] = []
  const timeoutMs = opts.timeoutMs ?? 5_000
  const base = blocks[0]!.header.number
  const last = blocks[blocks.length - 1]!
  const numbers = (hs: BlockHeader[]): string => hs.map((h) => h.number).join(',')
  const within = async <T>(
    what: string,
    f: (s: AbortSignal) => Promise<T>,
  ): Promise<T | undefined> => {
    const ac = new AbortController()
    const timer = setTimeout(() => ac.abort(new Error('timeout')), timeoutMs)
    try {
      return await f(ac.signal)
    } catch (err) {
      problems.push(`${what}: ${String(err)}`)
      return undefined
    } finally {
      clearTimeout(timer)
    }
  }
  const head = await within('head by hash', (s) =>
    peer.requestHeadersByHash(last.hash, 1, 0, false, s),
  )
  if (head !== undefined && (head.length !== 1 || !equalBytes(head[0]!.hash, last.hash))) {
    problems.push(`head by hash: got [${numbers(head)}]`)
  }
  if (blocks.length >= 7) {
    const skel = await within('skip', (s) => peer.requestHeadersByNumber(base + 1n, 3, 2, false, s))
    const want = [base + 1n, base + 4n, base + 7n].filter((n) => n <= last.header.number)
    if (skel !== undefined && numbers(skel) !== want.join(',')) {
      problems.push(`by number with skip 2: got [${numbers(skel)}], want [${want.join(',')}]`)
    }
  }
  const fill = await within('reverse by hash', (s) =>
    peer.requestHeadersByHash(last.hash, 4, 0, true, s),
  )
  const wantFill = blocks.slice(-4).reverse()
  if (fill !== undefined && numbers(fill) !== numbers(wantFill.map((b) => b.header))) {
    problems.push(`reverse by hash: got [${numbers(fill)}]`)
  }
  const unknown = await within('unknown hash', (s) =>
    peer.requestHeadersByHash(new Uint8Array(32).fill(0xee), 1, 0, false, s),
  )
  if (unknown !== undefined && unknown.length !== 0) problems.push('unknown hash: not empty')
  const some = blocks.slice(-3)
  const bodies = await within('bodies', (s) =>
    peer.requestBodies(
      some.map((b) => b.hash),
      s,
    ),
  )
  if (bodies !== undefined) {
    if (bodies.length !== some.length) problems.push(`bodies: ${bodies.length} for ${some.length}`)
    bodies.forEach((body, i) => {
      try {
        checkBody(some[i]!.header, body)
      } catch {
        problems.push(`bodies: body ${i} does not match its header`)
      }
    })
  }
  const ac = new AbortController()
  const pending = peer.requestHeadersByNumber(base, 1, 0, false, ac.signal)
  ac.abort(new Error('aborted by check'))
  const settled = await Promise.race([
    pending.then(
      () => 'resolved',
      () => 'rejected',
    ),
    new Promise<string>((r) => setTimeout(() => r('pending'), timeoutMs)),
  ])
  // Answering before the abort is seen is fine; hanging is not.
  if (settled === 'pending') problems.push('an aborted request neither rejected nor resolved')
  return problems
}
