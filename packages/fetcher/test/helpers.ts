import { errorCode } from '@ethwire/interface/runtime'
import { FakeClock, seededRandom } from '@ethwire/interface/testing'
import {
  Block,
  type BlockBody,
  BlockHeader,
  bytesToHex,
  EMPTY_TRIE_ROOT,
  EMPTY_UNCLE_HASH,
  type Transaction,
  transactionsRoot,
} from '@ethwire/rlp-wire'
import { genTransaction, Rand } from '@ethwire/rlp-wire/testing'
import type { BlockAnnouncement, BlockFetcherDeps } from '../src/index.js'

let salt = 0

/** A child block of `parent`: with `txs` transactions (0 = empty body). */
export function child(parent: Block, txs = 0, seed = ++salt): Block {
  const r = new Rand(seed)
  const transactions: Transaction[] = []
  for (let i = 0; i < txs; i++) transactions.push(genTransaction(r, 0))
  const header = BlockHeader.fromData({
    parentHash: parent.hash,
    uncleHash: EMPTY_UNCLE_HASH,
    coinbase: new Uint8Array(20),
    stateRoot: new Uint8Array(32),
    txRoot: transactionsRoot(transactions),
    receiptRoot: EMPTY_TRIE_ROOT,
    bloom: new Uint8Array(256),
    difficulty: 1n,
    number: parent.header.number + 1n,
    gasLimit: 8_000_000n,
    gasUsed: 0n,
    time: parent.header.time + 1n,
    extra: Uint8Array.of(seed & 0xff, (seed >> 8) & 0xff),
    mixDigest: new Uint8Array(32),
    nonce: new Uint8Array(8),
  })
  return new Block(header, { transactions, uncles: [] })
}

/** A block at `number` whose parent is unknown (for limit tests). */
export function orphan(number: bigint, seed = ++salt): Block {
  const g = genesis(seed)
  const h = BlockHeader.fromData({
    ...g.header.toData(),
    number,
    parentHash: new Uint8Array(32).fill(seed & 0xff),
  })
  return new Block(h, { transactions: [], uncles: [] })
}

export function genesis(seed = 0): Block {
  const header = BlockHeader.fromData({
    parentHash: new Uint8Array(32),
    uncleHash: EMPTY_UNCLE_HASH,
    coinbase: new Uint8Array(20),
    stateRoot: new Uint8Array(32),
    txRoot: EMPTY_TRIE_ROOT,
    receiptRoot: EMPTY_TRIE_ROOT,
    bloom: new Uint8Array(256),
    difficulty: 1n,
    number: 0n,
    gasLimit: 8_000_000n,
    gasUsed: 0n,
    time: 0n,
    extra: Uint8Array.of(seed & 0xff, (seed >> 8) & 0xff, 0xee),
    mixDigest: new Uint8Array(32),
    nonce: new Uint8Array(8),
  })
  return new Block(header, { transactions: [], uncles: [] })
}

/** A chain of `n` blocks after genesis; `txs(i)` transactions in block i. */
export function makeChain(n: number, txs: (i: number) => number = () => 1): Block[] {
  const out = [genesis()]
  for (let i = 1; i <= n; i++) out.push(child(out[i - 1]!, txs(i)))
  return out
}

/** An in-memory chain plus recorders for every block fetcher callback. */
export class TestNode {
  readonly blocks = new Map<string, Block>()
  head: bigint
  readonly inserted: Block[] = []
  readonly broadcasts: { number: bigint; propagate: boolean }[] = []
  readonly drops: { peerId: string; code: string }[] = []
  readonly clock = new FakeClock(1_000)
  badHeaders = new Set<string>()
  futureHeaders = new Set<string>()
  verified: bigint[] = []

  constructor(chain: Block[]) {
    for (const b of chain) this.blocks.set(bytesToHex(b.hash), b)
    this.head = chain[chain.length - 1]!.header.number
  }

  deps(): BlockFetcherDeps {
    return {
      getBlock: (h) => this.blocks.get(bytesToHex(h)),
      verifyHeader: async (h) => {
        await Promise.resolve()
        this.verified.push(h.number)
        if (this.badHeaders.has(bytesToHex(h.hash))) throw new Error('bad seal')
        if (this.futureHeaders.has(bytesToHex(h.hash))) {
          throw Object.assign(new Error('future'), { code: 'ErrFutureBlock' })
        }
      },
      broadcastBlock: (b, propagate) =>
        this.broadcasts.push({ number: b.header.number, propagate }),
      chainHeight: () => this.head,
      insertChain: async (blocks) => {
        await Promise.resolve()
        for (const b of blocks) {
          if (!this.blocks.has(bytesToHex(b.header.parentHash))) throw new Error('unknown parent')
          this.blocks.set(bytesToHex(b.hash), b)
          this.inserted.push(b)
          if (b.header.number > this.head) this.head = b.header.number
        }
      },
      dropPeer: (peerId, err) => this.drops.push({ peerId, code: errorCode(err) ?? err.message }),
      clock: this.clock,
      random: seededRandom(7),
    }
  }
}

/** A peer double: records the requests the fetcher sends it. */
export class TestPeer {
  readonly headerRequests: string[] = []
  readonly bodyRequests: string[][] = []
  /** The signal the fetcher passed with each header / body request. */
  readonly headerSignals: AbortSignal[] = []
  readonly bodySignals: AbortSignal[] = []
  constructor(readonly id: string) {}

  announce(block: Block, time?: number): BlockAnnouncement {
    const a: BlockAnnouncement = {
      peerId: this.id,
      hash: block.hash,
      number: block.header.number,
      fetchHeader: (h, signal) => {
        this.headerRequests.push(bytesToHex(h))
        this.headerSignals.push(signal)
      },
      fetchBodies: (hs, signal) => {
        this.bodyRequests.push(hs.map(bytesToHex))
        this.bodySignals.push(signal)
      },
    }
    if (time !== undefined) a.time = time
    return a
  }
}

export const hex = (b: Block) => bytesToHex(b.hash)
export const bodyOf = (b: Block): BlockBody => b.body()
