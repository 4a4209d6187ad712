/** Valid test chains (`buildChain`) and an in-memory `DownloaderChain` (`MemoryChain`). */
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
import type { ChainHead, Clock, DownloaderChain } from '../types.js'
import { sleep } from './clock.js'

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
