/**
 * Micro-benchmarks of the two state machines on a fake clock (no network):
 * 1. block fetcher: 32 peers each announce the same 200 consecutive blocks (1 tx each); time per
 *    block from announcement to import through header and body filtering;
 * 2. tx fetcher: 8 peers announce 20,000 hashes (eth/68 metadata), requests answered at once;
 *    transactions fetched per second.
 */

import { FakeClock, seededRandom } from '@ethwire/interface/testing'
import {
  Block,
  BlockHeader,
  bytesToHex,
  EMPTY_TRIE_ROOT,
  EMPTY_UNCLE_HASH,
  type Transaction,
  transactionsRoot,
} from '@ethwire/rlp-wire'
import { genTransaction, Rand } from '@ethwire/rlp-wire/testing'
import { createBlockFetcher, createTxFetcher, txNetworkSize } from '../src/index.js'

function mkChain(n: number): Block[] {
  const r = new Rand(1)
  let parent = new Block(
    BlockHeader.fromData({
      parentHash: new Uint8Array(32),
      uncleHash: EMPTY_UNCLE_HASH,
      coinbase: new Uint8Array(20),
      stateRoot: new Uint8Array(32),
      txRoot: EMPTY_TRIE_ROOT,
      receiptRoot: EMPTY_TRIE_ROOT,
      bloom: new Uint8Array(256),
      difficulty: 1n,
      number: 0n,
      gasLimit: 1n,
      gasUsed: 0n,
      time: 0n,
      extra: new Uint8Array(0),
      mixDigest: new Uint8Array(32),
      nonce: new Uint8Array(8),
    }),
    { transactions: [], uncles: [] },
  )
  const out = [parent]
  for (let i = 1; i <= n; i++) {
    const txs = [genTransaction(r, 2)]
    const h = BlockHeader.fromData({
      ...parent.header.toData(),
      parentHash: parent.hash,
      number: BigInt(i),
      txRoot: transactionsRoot(txs),
    })
    parent = new Block(h, { transactions: txs, uncles: [] })
    out.push(parent)
  }
  return out
}

async function benchBlocks() {
  const chain = mkChain(200)
  const clock = new FakeClock()
  const have = new Map<string, Block>([[bytesToHex(chain[0]!.hash), chain[0]!]])
  let head = 0n
  const byHash = new Map(chain.map((b) => [bytesToHex(b.hash), b]))
  const pendingHeaders: [string, Uint8Array][] = []
  const pendingBodies: [string, Uint8Array[]][] = []
  const f = createBlockFetcher(
    {
      getBlock: (h) => have.get(bytesToHex(h)),
      verifyHeader: () => {},
      broadcastBlock: () => {},
      chainHeight: () => head,
      insertChain: (bs) => {
        for (const b of bs) {
          have.set(bytesToHex(b.hash), b)
          head = b.header.number
        }
      },
      dropPeer: () => {
        throw new Error('unexpected drop')
      },
      clock,
      random: seededRandom(2),
    },
    {},
  )
  f.start()
  const t0 = performance.now()
  for (let i = 1; i <= 200; i++) {
    const b = chain[i]!
    for (let p = 0; p < 32; p++) {
      const peerId = `p${p}`
      f.notify({
        peerId,
        hash: b.hash,
        number: b.header.number,
        fetchHeader: (h) => {
          pendingHeaders.push([peerId, h])
        },
        fetchBodies: (hs) => {
          pendingBodies.push([peerId, hs])
        },
      })
    }
    await clock.advance(400)
    for (const [peerId, h] of pendingHeaders.splice(0))
      f.filterHeaders(peerId, [byHash.get(bytesToHex(h))!.header])
    await clock.advance(100)
    for (const [peerId, hs] of pendingBodies.splice(0))
      f.filterBodies(
        peerId,
        hs.map((h) => byHash.get(bytesToHex(h))!.body()),
      )
    await f.idle()
  }
  const ms = performance.now() - t0
  f.stop()
  if (head !== 200n) throw new Error(`imported up to ${head}`)
  console.log(
    `block fetcher: 200 blocks x 32 announcers, ${(ms / 200).toFixed(2)} ms/block wall (includes fake-clock flushes), head ${head}`,
  )
}

async function benchTxs() {
  const r = new Rand(3)
  const txs: Transaction[] = []
  for (let i = 0; i < 20_000; i++) txs.push(genTransaction(r, (i % 3) as 0 | 1 | 2))
  const byHash = new Map(txs.map((t) => [bytesToHex(t.hash), t]))
  const clock = new FakeClock()
  const pool = new Set<string>()
  const asked: [string, Uint8Array[]][] = []
  let requests = 0
  const f = createTxFetcher(
    {
      hasTx: (h) => pool.has(bytesToHex(h)),
      requestTxs: (peerId, hs) => {
        requests++
        asked.push([peerId, hs])
      },
      addTxs: (ts) => {
        for (const t of ts) pool.add(bytesToHex(t.hash))
      },
      penalize: () => {
        throw new Error('unexpected penalty')
      },
      clock,
      random: seededRandom(4),
    },
    {},
  )
  f.start()
  const types = txs.map((t) => t.type)
  const sizes = txs.map(txNetworkSize)
  const t0 = performance.now()
  for (let off = 0; off < txs.length; off += 1000) {
    for (let p = 0; p < 8; p++) {
      f.notify(
        `p${p}`,
        txs.slice(off, off + 1000).map((t) => t.hash),
        types.slice(off, off + 1000),
        sizes.slice(off, off + 1000),
      )
    }
    await clock.advance(500)
    while (asked.length > 0) {
      const [peerId, hs] = asked.shift()!
      f.enqueue(
        peerId,
        hs.map((h) => byHash.get(bytesToHex(h))!),
        true,
      )
    }
  }
  await clock.advance(0)
  const ms = performance.now() - t0
  f.stop()
  if (pool.size !== txs.length) throw new Error(`pool has ${pool.size}`)
  console.log(
    `tx fetcher: 20000 txs announced by 8 peers, ${requests} requests, ${Math.round(txs.length / (ms / 1000))} txs/s`,
  )
}

await benchBlocks()
await benchTxs()
