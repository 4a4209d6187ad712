/**
 * The soft 2 MiB response size of every answer, checked on the pure serving functions with a
 * chain double whose items are large (a real chain caps header extra-data at 32 bytes, so it
 * cannot make headers big enough).
 */
import {
  type BlockBody,
  BlockHeader,
  bytesToHex,
  type ReceiptData,
  Transaction,
} from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import {
  answerGetBlockBodies,
  answerGetBlockHeaders,
  answerGetNodeData,
  answerGetPooledTransactions,
  answerGetReceipts,
  type ServeChain,
  serveLimits,
} from '../src/index.js'

const MiB = 1024 * 1024
const key = (h: Uint8Array) => bytesToHex(h)

function bigHeader(number: bigint, parentHash: Uint8Array, extraBytes: number): BlockHeader {
  return BlockHeader.fromData({
    parentHash,
    uncleHash: new Uint8Array(32),
    coinbase: new Uint8Array(20),
    stateRoot: new Uint8Array(32),
    txRoot: new Uint8Array(32),
    receiptRoot: new Uint8Array(32),
    bloom: new Uint8Array(256),
    difficulty: 1n,
    number,
    gasLimit: 30_000_000n,
    gasUsed: 0n,
    time: number,
    extra: new Uint8Array(extraBytes).fill(7),
    mixDigest: new Uint8Array(32),
    nonce: new Uint8Array(8),
  })
}

function bigTx(i: number, dataBytes: number): Transaction {
  return Transaction.fromData({
    type: 2,
    chainId: 1n,
    nonce: BigInt(i),
    maxPriorityFeePerGas: 1n,
    maxFeePerGas: 2n,
    gasLimit: 10_000_000n,
    to: new Uint8Array(20),
    value: 0n,
    data: new Uint8Array(dataBytes).fill(i & 0xff),
    accessList: [],
    v: 0n,
    r: 1n,
    s: 1n,
  })
}

/** A canonical chain of `n` headers with `extraBytes` of extra-data each, bodies with one big tx. */
function memoryChain(n: number, extraBytes: number, txBytes: number, logBytes: number) {
  const headers: BlockHeader[] = []
  let parent: Uint8Array = new Uint8Array(32)
  for (let i = 0; i < n; i++) {
    const h = bigHeader(BigInt(i), parent, extraBytes)
    headers.push(h)
    parent = h.hash
  }
  const byHash = new Map(headers.map((h) => [key(h.hash), h]))
  const receipt: ReceiptData = {
    type: 2,
    postStateOrStatus: new Uint8Array([1]),
    cumulativeGasUsed: 1n,
    logs: [{ address: new Uint8Array(20), topics: [], data: new Uint8Array(logBytes) }],
  }
  const chain: ServeChain = {
    getHeaderByHash: async (h) => byHash.get(key(h)),
    getHeader: async (h) => byHash.get(key(h)),
    getHeaderByNumber: async (n) => headers[Number(n)],
    getCanonicalHash: async (n) => headers[Number(n)]?.hash,
    getBody: async (h): Promise<BlockBody | undefined> =>
      byHash.has(key(h)) ? { transactions: [bigTx(0, txBytes)], uncles: [] } : undefined,
    getReceipts: async (h) => (byHash.has(key(h)) ? [receipt] : undefined),
    getNodeData: async (h) => (byHash.has(key(h)) ? new Uint8Array(txBytes) : undefined),
  }
  return { chain, headers }
}

describe('soft response size (2 MiB)', () => {
  it('headers: stop once 2 MiB are collected', async () => {
    const { chain, headers } = memoryChain(200, 100_000, 0, 0)
    const size = headers[0]!.encode().length
    const { headers: got } = await answerGetBlockHeaders(
      chain,
      { origin: { number: 0n }, amount: 200n, skip: 0n, reverse: false },
      serveLimits(68),
    )
    expect(got.length).toBe(Math.ceil((2 * MiB) / size))
    expect(got.length).toBeLessThan(200)
  })

  it('bodies, receipts, node data: stop once 2 MiB are collected', async () => {
    const { chain, headers } = memoryChain(100, 0, 300_000, 300_000)
    const hashes = headers.map((h) => h.hash)
    const want = Math.ceil((2 * MiB) / 300_000)
    const bodies = await answerGetBlockBodies(chain, hashes)
    expect(bodies.length).toBeGreaterThanOrEqual(want)
    expect(bodies.length).toBeLessThanOrEqual(want + 1) // the estimate counts the tx's own bytes
    const receipts = await answerGetReceipts(chain, hashes)
    expect(receipts.length).toBeGreaterThanOrEqual(want)
    expect(receipts.length).toBeLessThanOrEqual(want + 1)
    expect((await answerGetNodeData(chain, hashes)).length).toBe(want)
  })

  it('pooled transactions: 2 MiB, and the pool entry shapes (tx or { tx })', async () => {
    const txs = Array.from({ length: 50 }, (_, i) => bigTx(i, 120_000))
    const byHash = new Map(txs.map((t, i) => [key(t.hash), i % 2 === 0 ? t : { tx: t }]))
    const got = answerGetPooledTransactions(
      { get: (h) => byHash.get(key(h)) },
      txs.map((t) => t.hash),
    )
    expect(got.length).toBe(Math.ceil((2 * MiB) / txs[0]!.size))
    expect(got.map((t) => key(t.hash))).toEqual(txs.slice(0, got.length).map((t) => key(t.hash)))
  })

  it('bodies/receipts: at most 2 × 1,024 lookups per request (unknown hashes count too)', async () => {
    const { chain, headers } = memoryChain(10, 0, 10, 10)
    const unknown = Array.from({ length: 2048 }, (_, i) => new Uint8Array(32).fill(i % 250))
    const known = headers.map((h) => h.hash)
    expect((await answerGetBlockBodies(chain, [...unknown.slice(0, 2047), ...known])).length).toBe(
      1,
    )
    expect((await answerGetBlockBodies(chain, [...unknown, ...known])).length).toBe(0)
    expect((await answerGetReceipts(chain, [...unknown, ...known])).length).toBe(0)
  })

  it('serveLimits per version', () => {
    expect(serveLimits(62).maxHeaders).toBe(192)
    expect(serveLimits(63).maxHeaders).toBe(192)
    expect(serveLimits(66).maxHeaders).toBe(1024)
    expect(serveLimits(69).maxHeaders).toBe(1024)
    expect(serveLimits(68).softResponseLimitBytes).toBe(2 * MiB)
  })
})
