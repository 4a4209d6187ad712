/**
 * Serving requests from a real LevelDB chain of 1,100 blocks, over msgPipe, as a test-played
 * remote peer sees it: every header traversal mode, the per-version limits, the skip-overflow
 * attack, bodies, receipts (eth/69 shape), node data, request ids.
 */
import type { Chain } from '@ethwire/chain'
import {
  type Block,
  type BlockHeader,
  bytesToHex,
  type EthMessage,
  encodeMessage,
  keccak256,
  type ReceiptData,
} from '@ethwire/rlp-wire'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { maxUint64 } from '../src/constants.js'
import type { ProtocolManager } from '../src/index.js'
import { answerGetBlockBodies, answerGetBlockBodiesRaw } from '../src/serve.js'
import { attachRemote } from '../src/testing.js'
import {
  buildBlocks,
  cleanupChains,
  extend,
  localStatusOf,
  newChain,
  newManager,
  stopManagers,
} from './helpers.js'

let chain: Chain
let side: Block[]
let pm: ProtocolManager & { log: { entries: { level: string; message: string }[] } }
const HEAD = 1100n

beforeAll(async () => {
  chain = await newChain()
  await extend(chain, Number(HEAD), { txEvery: 50 })
  // A side chain (same length, so not canonical) forking off at 1050: 1051'..1100'.
  side = await buildBlocks(chain, 50, { salt: 1n, parent: (await chain.getHeaderByNumber(1050n))! })
  await chain.insertChain(side)
  pm = newManager(chain, {}, { minSyncPeers: 100 })
  pm.start()
}, 60_000)

afterAll(async () => {
  await stopManagers()
  await cleanupChains()
})

async function remote(version: number) {
  return attachRemote(pm, { version, local: await localStatusOf(chain) })
}

const hashOf = async (n: bigint) => (await chain.getCanonicalHash(n))!
const numbers = (hs: BlockHeader[]) => hs.map((h) => Number(h.number))

async function query(
  version: number,
  origin: { number: bigint } | { hash: Uint8Array },
  amount: number,
  skip = 0n,
  reverse = false,
): Promise<number[]> {
  const r = await remote(version)
  await r.send({
    name: 'GetBlockHeaders',
    requestId: 5n,
    request: { origin, amount: BigInt(amount), skip, reverse },
  })
  const res = await r.readUntil('BlockHeaders')
  await r.close()
  return numbers(res.headers)
}

describe('GetBlockHeaders', () => {
  const cases: [
    string,
    () => Promise<{ origin: { number: bigint } | { hash: Uint8Array } }>,
    number,
    bigint,
    boolean,
    number[],
  ][] = [
    ['by hash, one', async () => ({ origin: { hash: await hashOf(500n) } }), 1, 0n, false, [500]],
    ['by number, one', async () => ({ origin: { number: 500n } }), 1, 0n, false, [500]],
    ['by number forward', async () => ({ origin: { number: 10n } }), 3, 0n, false, [10, 11, 12]],
    ['by number reverse', async () => ({ origin: { number: 10n } }), 3, 0n, true, [10, 9, 8]],
    [
      'by hash forward',
      async () => ({ origin: { hash: await hashOf(10n) } }),
      3,
      0n,
      false,
      [10, 11, 12],
    ],
    [
      'by hash reverse',
      async () => ({ origin: { hash: await hashOf(10n) } }),
      3,
      0n,
      true,
      [10, 9, 8],
    ],
    [
      'by number forward skip 3',
      async () => ({ origin: { number: 100n } }),
      3,
      3n,
      false,
      [100, 104, 108],
    ],
    [
      'by number reverse skip 3',
      async () => ({ origin: { number: 100n } }),
      3,
      3n,
      true,
      [100, 96, 92],
    ],
    [
      'by hash forward skip 3',
      async () => ({ origin: { hash: await hashOf(100n) } }),
      3,
      3n,
      false,
      [100, 104, 108],
    ],
    [
      'by hash reverse skip 3',
      async () => ({ origin: { hash: await hashOf(100n) } }),
      3,
      3n,
      true,
      [100, 96, 92],
    ],
    [
      'forward past the head stops at the head',
      async () => ({ origin: { number: HEAD - 2n } }),
      10,
      0n,
      false,
      [1098, 1099, 1100],
    ],
    [
      'by hash forward past the head',
      async () => ({ origin: { hash: await hashOf(HEAD - 1n) } }),
      10,
      0n,
      false,
      [1099, 1100],
    ],
    [
      'reverse to genesis stops at 0',
      async () => ({ origin: { number: 2n } }),
      10,
      0n,
      true,
      [2, 1, 0],
    ],
    [
      'by hash reverse to genesis',
      async () => ({ origin: { hash: await hashOf(2n) } }),
      10,
      0n,
      true,
      [2, 1, 0],
    ],
    [
      'reverse with skip past genesis',
      async () => ({ origin: { number: 3n } }),
      10,
      1n,
      true,
      [3, 1],
    ],
    [
      'forward skip past the head',
      async () => ({ origin: { number: HEAD - 5n } }),
      10,
      2n,
      false,
      [1095, 1098],
    ],
    ['unknown number origin', async () => ({ origin: { number: HEAD + 1n } }), 5, 0n, false, []],
    [
      'unknown hash origin',
      async () => ({ origin: { hash: new Uint8Array(32).fill(7) } }),
      5,
      0n,
      false,
      [],
    ],
    ['amount 0', async () => ({ origin: { number: 1n } }), 0, 0n, false, []],
  ]
  for (const [name, origin, amount, skip, reverse, want] of cases) {
    it(name, async () => {
      const { origin: o } = await origin()
      expect(await query(68, o, amount, skip, reverse)).toEqual(want)
    })
  }

  it('answers at most 192 headers on eth/63 and 1,024 on eth/66+', async () => {
    const got63 = await query(63, { number: 0n }, 2000)
    expect(got63.length).toBe(192)
    expect(got63[191]).toBe(191)
    for (const v of [66, 68, 69]) {
      const got = await query(v, { number: 1n }, 2000)
      expect(got.length).toBe(1024)
      expect(got[1023]).toBe(1024)
    }
    const reverse = await query(66, { hash: await hashOf(HEAD) }, 5000, 0n, true)
    expect(reverse.length).toBe(1024)
    expect(reverse[1023]).toBe(Number(HEAD) - 1023)
  })

  it('skip overflow (hash mode, forward) is answered as unknown and logged as an attack', async () => {
    const before = pm.log.entries.filter((e) => e.message.includes('skip overflow')).length
    // geth's corner cases: a skip that wraps back into the chain start, and one back to the same header.
    expect(await query(68, { hash: await hashOf(3n) }, 2, maxUint64 - 1n)).toEqual([3])
    expect(await query(68, { hash: await hashOf(1n) }, 2, maxUint64)).toEqual([1])
    const after = pm.log.entries.filter((e) => e.message.includes('skip overflow')).length
    expect(after - before).toBe(2)
    // Number mode: a skip that wraps is not walked either.
    expect(await query(68, { number: 5n }, 3, maxUint64 - 2n)).toEqual([5])
    expect(await query(68, { number: 5n }, 3, maxUint64, true)).toEqual([5])
    // The peer is not dropped for it and the pm keeps serving.
    expect(await query(68, { number: 7n }, 1)).toEqual([7])
  })

  it('side chains: by hash reverse walks non-canonical parents, then jumps through the canonical index', async () => {
    const tip = side[49]!
    expect(bytesToHex(chain.currentHeader().hash)).not.toBe(bytesToHex(tip.hash)) // not canonical
    // 50 side steps to reach 1050 (canonical), then one jump of 100 (as go-ethereum's GetAncestor).
    expect(await query(68, { hash: tip.hash }, 2, 149n, true)).toEqual([1100, 950])
    // Within the side chain: every step on side blocks.
    const got = await query(68, { hash: tip.hash }, 4, 9n, true)
    expect(got).toEqual([1100, 1090, 1080, 1070])
    // Forward by hash from a side block: the next canonical block is not its descendant: stop.
    expect(await query(68, { hash: side[10]!.hash }, 3)).toEqual([1061])
    // Step 1 reads the parent straight from the header (no non-canonical budget, as in geth).
    const walk = await query(68, { hash: tip.hash }, 200, 0n, true)
    expect(walk).toHaveLength(200)
    expect(walk.at(-1)).toBe(901)
  })

  it('echoes request ids on eth/66+ and has none on eth/63', async () => {
    const r = await remote(68)
    for (const id of [0n, 1n, 2n ** 63n, 123456789n]) {
      await r.send({
        name: 'GetBlockHeaders',
        requestId: id,
        request: { origin: { number: 1n }, amount: 1n, skip: 0n, reverse: false },
      })
      const res = await r.readUntil('BlockHeaders')
      expect(res.requestId).toBe(id)
    }
    await r.close()
    const r63 = await remote(63)
    await r63.send({
      name: 'GetBlockHeaders',
      request: { origin: { number: 1n }, amount: 1n, skip: 0n, reverse: false },
    })
    const res = await r63.readUntil('BlockHeaders')
    expect(res.requestId).toBeUndefined()
    expect(numbers(res.headers)).toEqual([1])
    await r63.close()
  })
})

describe('GetBlockBodies / GetReceipts / GetNodeData', () => {
  it('bodies in request order, unknown hashes skipped', async () => {
    const r = await remote(68)
    const h50 = await hashOf(50n) // carries a transaction
    const h51 = await hashOf(51n) // empty
    const h100 = await hashOf(100n)
    await r.send({
      name: 'GetBlockBodies',
      requestId: 9n,
      hashes: [h50, new Uint8Array(32).fill(1), h51, h100],
    })
    const res = await r.readUntil('BlockBodies')
    expect(res.requestId).toBe(9n)
    expect(res.bodies.map((b) => b.transactions.length)).toEqual([1, 0, 1])
    const b50 = await chain.getBody(h50)
    expect(bytesToHex(res.bodies[0]!.transactions[0]!.hash)).toBe(
      bytesToHex(b50!.transactions[0]!.hash),
    )
    await r.close()
  })

  it('bodies from the stored RLP: the same bytes as decoding and re-encoding each body', async () => {
    const hashes = [await hashOf(50n), await hashOf(51n), await hashOf(100n), await hashOf(1000n)]
    const decoded = await answerGetBlockBodies(chain, hashes)
    const raw = await answerGetBlockBodiesRaw((h) => chain.getBodyRlp(h), hashes)
    expect(raw.length).toBe(4)
    const a = encodeMessage(68, { name: 'BlockBodies', requestId: 3n, bodies: decoded })
    const b = encodeMessage(68, { name: 'BlockBodies', requestId: 3n, bodies: [], rawBodies: raw })
    expect(bytesToHex(b.payload)).toBe(bytesToHex(a.payload))
    // the served answer (the chain has getBodyRlp) decodes to the same bodies
    const r = await remote(66)
    await r.send({ name: 'GetBlockBodies', requestId: 4n, hashes })
    const res = await r.readUntil('BlockBodies')
    const txs = (bs: { transactions: { hash: Uint8Array }[] }[]) =>
      bs.map((x) => x.transactions.map((t) => bytesToHex(t.hash)).join(','))
    expect(txs(res.bodies)).toEqual(txs(decoded))
    expect(txs(decoded).filter((t) => t !== '').length).toBe(3)
    await r.close()
  })

  it('raw bodies: the soft size limit and the count cap, unknown hashes counted as misses', async () => {
    const big = new Uint8Array(1 << 20)
    big[0] = 0xf9 // a list header is all the answer looks at; the size is what counts
    const hashes = Array.from({ length: 10 }, (_, i) => new Uint8Array(32).fill(i + 1))
    const counts = { misses: 0 }
    const out = await answerGetBlockBodiesRaw(
      async (h) => (h[0]! % 2 === 0 ? undefined : big),
      hashes,
      counts,
    )
    expect(out.length).toBe(2) // 2 MiB reached after the second
    expect(counts.misses).toBe(1) // hash 2 (before the limit); nothing looked at past the answer
    const small = Uint8Array.of(0xc2, 0xc0, 0xc0)
    const many = Array.from({ length: 1100 }, () => new Uint8Array(32))
    expect((await answerGetBlockBodiesRaw(async () => small, many)).length).toBe(1024)
  })

  it('bodies: at most 1,024 per answer', async () => {
    const hashes: Uint8Array[] = []
    for (let n = 1n; n <= 1100n; n++) hashes.push(await hashOf(n))
    const r = await remote(68)
    await r.send({ name: 'GetBlockBodies', requestId: 1n, hashes })
    const res = await r.readUntil('BlockBodies')
    expect(res.bodies.length).toBe(1024)
    await r.close()
  })

  it('receipts: stored receipts in the shape of each version, unknown skipped', async () => {
    // The chain stores receipts only when given them: serve through a chain whose receipts we know.
    const receipt: ReceiptData = {
      type: 2,
      postStateOrStatus: new Uint8Array([1]),
      cumulativeGasUsed: 21_000n,
      logs: [
        {
          address: new Uint8Array(20).fill(3),
          topics: [new Uint8Array(32).fill(4)],
          data: new Uint8Array([5, 6]),
        },
      ],
    }
    const h50 = await hashOf(50n)
    const withReceipts = Object.create(chain, {
      getReceipts: {
        value: async (hash: Uint8Array) =>
          bytesToHex(hash) === bytesToHex(h50) ? [receipt] : chain.getReceipts(hash),
      },
    }) as Chain
    const pm2 = newManager(withReceipts, {}, { minSyncPeers: 100 })
    pm2.start()
    for (const version of [63, 68, 69]) {
      const r = await attachRemote(pm2, { version, local: await localStatusOf(chain) })
      await r.send({
        name: 'GetReceipts',
        requestId: 3n,
        hashes: [h50, new Uint8Array(32).fill(9), await hashOf(51n)],
      })
      const res = await r.readUntil('Receipts')
      expect(res.receipts.length).toBe(2)
      expect(res.receipts[0]!.length).toBe(1)
      const got = res.receipts[0]![0]!
      expect(got.cumulativeGasUsed).toBe(21_000n)
      expect(got.logs[0]!.data).toEqual(new Uint8Array([5, 6]))
      // eth/69 receipts carry no bloom on the wire; earlier versions do.
      if (version === 69) expect(got.bloom).toBeUndefined()
      else expect(got.bloom?.length).toBe(256)
      expect(res.receipts[1]).toEqual([]) // block 51: stored, empty (empty block)
      await r.close()
    }
  })

  it('node data on eth/63–66 (genesis code); unknown hashes skipped', async () => {
    const code = new Uint8Array([0x60, 0x00, 0x60, 0x00, 0xf3])
    const codeHash = keccak256(code)
    const withCode = Object.create(chain, {
      getNodeData: {
        value: async (hash: Uint8Array) =>
          bytesToHex(hash) === bytesToHex(codeHash) ? code : undefined,
      },
      getNodeDataMany: { value: undefined }, // one by one
    }) as Chain
    const pm2 = newManager(withCode, {}, { minSyncPeers: 100 })
    pm2.start()
    for (const version of [63, 66]) {
      const r = await attachRemote(pm2, { version, local: await localStatusOf(chain) })
      await r.send({ name: 'GetNodeData', requestId: 4n, hashes: [new Uint8Array(32), codeHash] })
      const res = await r.readUntil('NodeData')
      expect(res.data).toEqual([code])
      await r.close()
    }
  })

  it('node data through getNodeDataMany when the chain has it: one read per answer, in order', async () => {
    const a = new Uint8Array([0x60, 0x01])
    const b = new Uint8Array([0x60, 0x02])
    const ha = keccak256(a)
    const hb = keccak256(b)
    const calls: number[] = []
    const withMany = Object.create(chain, {
      getNodeData: {
        value: async () => {
          throw new Error('one by one')
        },
      },
      getNodeDataMany: {
        value: async (hs: readonly Uint8Array[]) => {
          calls.push(hs.length)
          return hs.map((h) =>
            bytesToHex(h) === bytesToHex(ha) ? a : bytesToHex(h) === bytesToHex(hb) ? b : undefined,
          )
        },
      },
    }) as Chain
    const pm2 = newManager(withMany, {}, { minSyncPeers: 100 })
    pm2.start()
    const r = await attachRemote(pm2, { version: 66, local: await localStatusOf(chain) })
    await r.send({ name: 'GetNodeData', requestId: 5n, hashes: [hb, new Uint8Array(32), ha] })
    const res = await r.readUntil('NodeData')
    expect(res.data).toEqual([b, a])
    expect(calls).toEqual([3])
    await r.close()
  })
})

describe('requests from several peers at once', () => {
  it('each peer gets its own answers', async () => {
    const rs = await Promise.all([remote(66), remote(68), remote(69), remote(63)])
    await Promise.all(
      rs.map((r, i) =>
        r.send({
          name: 'GetBlockHeaders',
          requestId: BigInt(i),
          request: { origin: { number: BigInt(i * 10) }, amount: 2n, skip: 0n, reverse: false },
        } as EthMessage),
      ),
    )
    for (const [i, r] of rs.entries()) {
      const res = await r.readUntil('BlockHeaders')
      expect(numbers(res.headers)).toEqual([i * 10, i * 10 + 1])
    }
    await Promise.all(rs.map((r) => r.close()))
  })
})
