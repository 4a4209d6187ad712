/**
 * Valid test chains (`buildChain`, optionally with receipts and a synthetic state for fast sync)
 * and an in-memory `DownloaderChain` (`MemoryChain`, with the fast-sync methods).
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
  type Log,
  logsBloom,
  type ReceiptData,
  receiptsRoot,
  Transaction,
  transactionsRoot,
  unclesHash,
} from '@ethwire/rlp-wire'
import type { ChainHead, Clock, DownloaderChain } from '../types.js'
import { sleep } from './clock.js'
import { SyntheticState, type SyntheticStateOptions } from './state.js'

export interface TestChain {
  /** Blocks by number, genesis first. */
  blocks: Block[]
  genesis: Block
  head: Block
  /** Total difficulty of each block, by number. */
  tds: bigint[]
  /** With `receipts`: each block's receipts, by number (one per transaction). */
  receipts?: ReceiptData[][]
  /** With `state`: every node of every block's state root (headers carry the roots). */
  state?: SyntheticState
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
  /** Give every transaction a receipt and every header the matching receipts root. */
  receipts?: boolean
  /**
   * Give every header a state root of a synthetic state that changes one account per block (a
   * fork of a chain with state continues its state). For fast-sync tests.
   */
  state?: SyntheticStateOptions
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
  stateRoot?: Uint8Array
  receiptRoot?: Uint8Array
}): BlockHeader {
  return BlockHeader.fromData({
    parentHash: fields.parentHash,
    uncleHash: fields.uncleHash,
    coinbase: zeros(20),
    stateRoot: fields.stateRoot ?? EMPTY_TRIE_ROOT,
    txRoot: fields.txRoot,
    receiptRoot: fields.receiptRoot ?? EMPTY_TRIE_ROOT,
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

/** A receipt for transaction `i` of block `n`: status 1, a log on every other one. */
function makeReceipt(n: number, i: number, seed: number): ReceiptData {
  const logs: Log[] = []
  if ((n + i) % 2 === 0) {
    const address = zeros(20)
    address.set(u32(n), 0)
    const topic = zeros(32)
    topic.set(u32(seed), 0)
    topic.set(u32(i), 4)
    logs.push({ address, topics: [topic], data: Uint8Array.of(n & 0xff, i & 0xff, 0x42) })
  }
  return {
    type: 0,
    postStateOrStatus: Uint8Array.of(1),
    cumulativeGasUsed: 21_000n * BigInt(i + 1),
    bloom: logsBloom(logs),
    logs,
  }
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
  const withReceipts = opts.receipts ?? opts.parent?.receipts !== undefined
  let receipts: ReceiptData[][] | undefined
  let state: SyntheticState | undefined
  if (opts.parent === undefined) {
    if (opts.state !== undefined) state = new SyntheticState(opts.state)
    const g = header({
      parentHash: zeros(32),
      number: 0n,
      difficulty: 1n,
      txRoot: EMPTY_TRIE_ROOT,
      uncleHash: EMPTY_UNCLE_HASH,
      gasUsed: 0n,
      seed: 0,
      ...(state === undefined ? {} : { stateRoot: state.root }),
    })
    blocks = [blockFrom(g, { transactions: [], uncles: [] })]
    tds = [1n]
    if (withReceipts) receipts = [[]]
  } else {
    const at = opts.forkAt ?? opts.parent.blocks.length - 1
    blocks = opts.parent.blocks.slice(0, at + 1)
    tds = opts.parent.tds.slice(0, at + 1)
    if (withReceipts) {
      receipts = opts.parent.receipts?.slice(0, at + 1) ?? blocks.map(() => [])
    }
    state = opts.parent.state
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
    const rs = receipts === undefined ? undefined : txs.map((_, i) => makeReceipt(n, i, seed))
    const h = header({
      parentHash: parent.hash,
      number: BigInt(n),
      difficulty,
      txRoot: txs.length === 0 ? EMPTY_TRIE_ROOT : transactionsRoot(txs),
      uncleHash: uncles.length === 0 ? EMPTY_UNCLE_HASH : unclesHash(uncles),
      gasUsed: BigInt(txs.length) * 21_000n,
      seed,
      ...(state === undefined ? {} : { stateRoot: state.update(n * 7919 + seed, n) }),
      ...(rs === undefined ? {} : { receiptRoot: receiptsRoot(rs) }),
    })
    blocks.push(blockFrom(h, { transactions: txs, uncles }))
    tds.push(tds[n - 1]! + difficulty)
    if (rs !== undefined) receipts!.push(rs)
  }
  return {
    blocks,
    genesis: blocks[0]!,
    head: blocks[blocks.length - 1]!,
    tds,
    ...(receipts === undefined ? {} : { receipts }),
    ...(state === undefined ? {} : { state }),
  }
}

export class ChainInsertError extends Error {
  override readonly name = 'ChainInsertError'
  constructor(
    readonly code:
      | 'ErrUnknownParent'
      | 'ErrInvalidNumber'
      | 'ErrInvalidBody'
      | 'ErrInvalidReceipts'
      | 'ErrMissingState'
      | 'ErrRejected'
      | 'ErrLocal',
    message: string,
    readonly index: number,
  ) {
    super(`${code}: ${message}`)
  }

  /** `ErrLocal` is the chain's own failure (the downloader blames no peer for it). */
  get local(): boolean {
    return this.code === 'ErrLocal'
  }
}

export interface MemoryChainOptions {
  /** Clock for `insertDelayMs`. */
  clock?: Clock
  /** Virtual (or real) time each `insertChain` call takes. */
  insertDelayMs?: number
  /** Reject this block (a consensus failure, e.g. a bad seal). */
  reject?: (block: Block) => boolean
  /** Fail at this block for a reason of the chain's own (`local: true`, e.g. a full disk). */
  failLocally?: (block: Block) => boolean
  /**
   * Fast sync: whether the state of a root is complete (`commitFastSyncHead` refuses a pivot
   * without it). Without this option the chain has no fast-sync methods.
   */
  hasState?: (root: Uint8Array) => boolean
}

interface Stored {
  block: Block
  td: bigint
  /** Its state is present: it was executed (or is a committed pivot, or a trusted start). */
  full: boolean
}

/**
 * An in-memory chain implementing {@link DownloaderChain}: keeps every block it is given,
 * follows the heaviest chain, checks parent links, numbers and bodies on insert. With the
 * `hasState` option it also has the fast-sync methods: `insertReceiptChain` stores blocks with
 * their (checked) receipts without "executing" them, `commitFastSyncHead` makes a pivot whose
 * state is complete the head, and `insertChain` only "executes" a block whose parent has state.
 */
export class MemoryChain implements DownloaderChain {
  private readonly byHash = new Map<string, Stored>()
  private readonly receiptsByHash = new Map<string, ReceiptData[]>()
  /** The canonical chain up to the fast head. */
  private readonly canonical: Block[] = []
  private headTd: bigint
  /** Index in `canonical` of the head: the highest block with state. */
  private fullIndex: number
  /** Number of the first block held (0 for a genesis; any block can serve as a trusted start). */
  private readonly base: number
  /** Every `insertChain` call: how many blocks it was given. */
  readonly insertCalls: number[] = []
  /** Every `insertReceiptChain` call: how many blocks it was given. */
  readonly receiptInsertCalls: number[] = []
  /** Every committed pivot (`commitFastSyncHead`), by number. */
  readonly commits: bigint[] = []
  /** Observed by `insertChain` before each import (for bound checks in tests). */
  onInsert: ((blocks: Block[]) => void) | undefined
  readonly insertReceiptChain?: (blocks: Block[], receipts: ReceiptData[][]) => Promise<number>
  readonly commitFastSyncHead?: (hash: Uint8Array, number: bigint) => Promise<void>
  readonly currentFastBlock?: () => ChainHead

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
      this.byHash.set(bytesToHex(b.hash), { block: b, td, full: true })
      this.canonical.push(b)
    }
    this.headTd = td
    this.fullIndex = this.canonical.length - 1
    if (opts.hasState !== undefined) {
      const hasState = opts.hasState
      this.insertReceiptChain = (blocks, receipts) => this.storeWithReceipts(blocks, receipts)
      this.commitFastSyncHead = async (hash, number) => this.commitPivot(hash, number, hasState)
      this.currentFastBlock = () => {
        const top = this.top
        return { number: top.header.number, hash: top.hash, td: this.headTd }
      }
    }
  }

  /** The head block (the highest with state). */
  get head(): Block {
    return this.canonical[this.fullIndex]!
  }

  /** The top of the canonical chain (the fast head: may be above `head`). */
  get top(): Block {
    return this.canonical[this.canonical.length - 1]!
  }

  currentBlock(): ChainHead {
    const h = this.head
    return { number: h.header.number, hash: h.hash, td: this.byHash.get(bytesToHex(h.hash))!.td }
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

  /** Receipts stored by `insertReceiptChain`. */
  getReceipts(hash: Uint8Array): ReceiptData[] | undefined {
    return this.receiptsByHash.get(bytesToHex(hash))
  }

  /** Whether the block has state (was executed, or is a committed pivot). */
  hasStateOf(hash: Uint8Array): boolean {
    return this.byHash.get(bytesToHex(hash))?.full === true
  }

  async insertChain(blocks: Block[]): Promise<number> {
    this.insertCalls.push(blocks.length)
    this.onInsert?.(blocks)
    await this.delay()
    let imported = 0
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i]!
      const known = this.byHash.get(bytesToHex(b.hash))
      if (known?.full) continue
      const parent = this.checkLink(b, i)
      if (this.opts.hasState !== undefined && !parent.full) {
        throw new ChainInsertError('ErrMissingState', `parent of #${b.header.number}`, i)
      }
      if (this.opts.reject?.(b))
        throw new ChainInsertError('ErrRejected', `block #${b.header.number}`, i)
      if (this.opts.failLocally?.(b))
        throw new ChainInsertError('ErrLocal', `disk full at #${b.header.number}`, i)
      const td = parent.td + b.header.difficulty
      this.byHash.set(bytesToHex(b.hash), { block: b, td, full: true })
      imported++
      // Heavier wins; at equal total difficulty (e.g. after the merge) the longer chain.
      if (td > this.headTd || (td === this.headTd && b.header.number > this.top.header.number)) {
        this.setHead(b, td)
        this.fullIndex = this.canonical.length - 1
      } else if (known !== undefined && this.isCanonical(b)) {
        // A stored block executed in place: the head moves up to it.
        this.fullIndex = Math.max(this.fullIndex, Number(b.header.number) - this.base)
      }
    }
    return imported
  }

  private async storeWithReceipts(blocks: Block[], receipts: ReceiptData[][]): Promise<number> {
    this.receiptInsertCalls.push(blocks.length)
    await this.delay()
    let stored = 0
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i]!
      const rs = receipts[i] ?? []
      const key = bytesToHex(b.hash)
      if (this.byHash.has(key)) continue
      const parent = this.checkLink(b, i)
      if (!equalBytes(receiptsRoot(rs), b.header.receiptRoot)) {
        throw new ChainInsertError('ErrInvalidReceipts', `block #${b.header.number}`, i)
      }
      if (this.opts.reject?.(b))
        throw new ChainInsertError('ErrRejected', `block #${b.header.number}`, i)
      const td = parent.td + b.header.difficulty
      this.byHash.set(key, { block: b, td, full: false })
      this.receiptsByHash.set(key, rs)
      stored++
      if (td > this.headTd || (td === this.headTd && b.header.number > this.top.header.number)) {
        this.setHead(b, td)
      }
    }
    return stored
  }

  private commitPivot(
    hash: Uint8Array,
    number: bigint,
    hasState: (root: Uint8Array) => boolean,
  ): void {
    const s = this.byHash.get(bytesToHex(hash))
    if (s === undefined || !this.isCanonical(s.block)) {
      throw new ChainInsertError('ErrUnknownParent', `pivot #${number} is not stored`, 0)
    }
    if (!hasState(s.block.header.stateRoot)) {
      throw new ChainInsertError('ErrMissingState', `state of pivot #${number} is not complete`, 0)
    }
    s.full = true
    this.fullIndex = Number(number) - this.base
    this.commits.push(number)
  }

  private checkLink(b: Block, i: number): Stored {
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
    return parent
  }

  private isCanonical(b: Block): boolean {
    const c = this.canonical[Number(b.header.number) - this.base]
    return c !== undefined && equalBytes(c.hash, b.hash)
  }

  private async delay(): Promise<void> {
    if (this.opts.insertDelayMs !== undefined && this.opts.insertDelayMs > 0) {
      if (this.opts.clock === undefined) throw new Error('insertDelayMs needs a clock')
      await sleep(this.opts.clock, this.opts.insertDelayMs)
    }
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
    if (this.fullIndex > n) this.fullIndex = n
  }
}
