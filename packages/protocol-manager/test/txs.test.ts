/**
 * Transactions: ignored until acceptTxs (first completed sync, or the option), then Transactions
 * go to the pool and mark the sender as knowing them, announcements (eth/66–67 and eth/68
 * shapes) go through the tx fetcher, new pending transactions are broadcast by txsync, new peers
 * get our pending set, GetPooledTransactions is served with its limits.
 */
import type { Chain } from '@ethwire/chain'
import { bytesToHex, type EthMessage, type Transaction } from '@ethwire/rlp-wire'
import { createTxPool, type TxPool } from '@ethwire/txpool'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { attachRemote, connectManagers, waitFor } from '../src/testing.js'
import {
  cleanupChains,
  drain,
  extend,
  localStatusOf,
  makeTx,
  newChain,
  newManager,
  stopManagers,
} from './helpers.js'

let chain: Chain
const pools: TxPool[] = []
async function newPool(): Promise<TxPool> {
  const p = createTxPool({}, { chainId: 1337n })
  await p.start()
  pools.push(p)
  return p
}

beforeEach(async () => {
  chain = await newChain()
  await extend(chain, 5)
})
afterEach(async () => {
  await stopManagers()
  for (const p of pools.splice(0)) await p.stop()
  await cleanupChains()
})

const hexes = (txs: readonly Transaction[]) => txs.map((t) => bytesToHex(t.hash)).sort()

describe('before acceptTxs', () => {
  it('Transactions, announcements and pooled-tx requests are ignored (requests answered empty)', async () => {
    const pool = await newPool()
    const pm = newManager(chain, { txPool: pool }, { minSyncPeers: 100 })
    pm.start()
    expect(pm.acceptTxs).toBe(false)
    const r = await attachRemote(pm, { version: 68, local: await localStatusOf(chain) })
    const tx = makeTx(2)
    await r.send({ name: 'Transactions', txs: [tx] })
    const t2 = makeTx(2)
    await r.send({
      name: 'NewPooledTransactionHashes',
      hashes: [t2.hash],
      types: [0],
      sizes: [t2.size],
    })
    await pool.add(makeTx(3), { local: true })
    await r.send({
      name: 'GetPooledTransactions',
      requestId: 8n,
      hashes: pool.pendingList().map((p) => p.hash),
    })
    const answer = await r.readUntil('PooledTransactions')
    expect(answer.requestId).toBe(8n)
    expect(answer.txs).toEqual([])
    // No GetPooledTransactions for the announcement (the fetcher would ask after 500 ms); our own
    // new transaction does go out (outbound is not gated, as in go-ethereum).
    const after = [...r.seen, ...(await drain(r, 800))]
    expect(after.map((m) => m.name)).toEqual(['Transactions'])
    expect(pool.has(tx.hash)).toBe(false)
    expect(pm.stats().txMessagesReceived).toBe(1)
  })
})

describe('with acceptTxs', () => {
  it('Transactions go to the pool, the sender is marked, the others get them (√n whole, rest by hash)', async () => {
    const pool = await newPool()
    const pm = newManager(chain, { txPool: pool }, { minSyncPeers: 100, acceptTxs: true })
    pm.start()
    const local = await localStatusOf(chain)
    const sender = await attachRemote(pm, { version: 68, local })
    const others = await Promise.all(
      [0, 1, 2, 3].map(() => attachRemote(pm, { version: 68, local })),
    )
    const txs = [makeTx(4), makeTx(4)]
    await sender.send({ name: 'Transactions', txs })
    await waitFor(() => txs.every((t) => pool.has(t.hash)), 5_000, 'pool has the txs')
    expect(pm.stats().txMessagesReceived).toBe(1)
    expect(pm.stats().txBytesReceived).toBeGreaterThan(0)
    expect(pm.stats()).toMatchObject({
      txBroadcastBytesReceived: pm.stats().txBytesReceived,
      txsBroadcastReceived: 2,
      txsBroadcastKnown: 0,
      pooledTxsReceived: 0,
      txHashesAnnounced: 0,
    })
    // Read until every transaction reached all four peers (whole or by hash), then a bit more.
    const got: EthMessage[][] = others.map(() => [])
    // Transactions carried by messages, whole or by hash.
    const carried = (ms: EthMessage[]) =>
      ms.reduce(
        (a, m) =>
          a +
          (m.name === 'Transactions'
            ? m.txs.length
            : m.name === 'NewPooledTransactionHashes'
              ? m.hashes.length
              : 0),
        0,
      )
    await Promise.all(
      others.map(async (r, i) => {
        const end = Date.now() + 5_000
        while (Date.now() < end && carried(got[i]!) < txs.length) {
          got[i]!.push(await r.read(Math.max(1, end - Date.now())))
        }
      }),
    )
    for (const [i, r] of others.entries()) got[i]!.push(...(await drain(r, 50)))
    expect(carried(got.flat())).toBe(txs.length * others.length)
    // Per transaction: ⌊√4⌋ = 2 peers get it whole, the other 2 its hash (with type and size).
    for (const tx of txs) {
      const key = bytesToHex(tx.hash)
      let whole = 0
      let hashed = 0
      for (const ms of got) {
        for (const m of ms) {
          if (m.name === 'Transactions' && m.txs.some((t) => bytesToHex(t.hash) === key)) whole++
          if (m.name === 'NewPooledTransactionHashes') {
            const i = m.hashes.findIndex((h) => bytesToHex(h) === key)
            if (i >= 0) {
              hashed++
              expect(m.sizes?.[i]).toBe(tx.size)
              expect(m.types?.[i]).toBe(tx.type)
            }
          }
        }
      }
      expect([whole, hashed]).toEqual([2, 2])
    }
    // Never back to the peer that sent them.
    expect(await drain(sender, 100)).toEqual([])
  })

  it('txAnnounce: false sends whole transactions to every peer', async () => {
    const pool = await newPool()
    const pm = newManager(
      chain,
      { txPool: pool },
      { minSyncPeers: 100, acceptTxs: true, txAnnounce: false },
    )
    pm.start()
    const local = await localStatusOf(chain)
    const rs = await Promise.all([0, 1, 2, 3].map(() => attachRemote(pm, { version: 68, local })))
    const tx = makeTx(5)
    await pool.add(tx, { local: true })
    const got = await Promise.all(rs.map((r) => r.readUntil('Transactions')))
    for (const m of got) expect(hexes(m.txs)).toEqual(hexes([tx]))
  })

  for (const version of [66, 68]) {
    it(`eth/${version} announcements are fetched with GetPooledTransactions into the pool`, async () => {
      const pool = await newPool()
      const pm = newManager(chain, { txPool: pool }, { minSyncPeers: 100, acceptTxs: true })
      pm.start()
      const r = await attachRemote(pm, { version, local: await localStatusOf(chain) })
      const txs = [makeTx(6), makeTx(6), makeTx(6)]
      await r.send({
        name: 'NewPooledTransactionHashes',
        hashes: txs.map((t) => t.hash),
        ...(version >= 68 ? { types: txs.map((t) => t.type), sizes: txs.map((t) => t.size) } : {}),
      })
      const req = await r.readUntil('GetPooledTransactions', 3_000)
      expect(req.hashes.map(bytesToHex).sort()).toEqual(hexes(txs))
      await r.send({ name: 'PooledTransactions', requestId: req.requestId, txs })
      await waitFor(() => txs.every((t) => pool.has(t.hash)), 5_000, 'pool has them')
      const s = pm.stats()
      expect(s).toMatchObject({ txHashesAnnounced: 3, txHashesAnnouncedKnown: 0 })
      expect(s).toMatchObject({ pooledTxsReceived: 3, pooledTxsKnown: 0, txsBroadcastReceived: 0 })
      expect(s.txAnnounceBytesReceived).toBeGreaterThan(3 * 32)
      expect(s.pooledTxBytesReceived).toBe(s.txBytesReceived)
    })
  }

  it('a new peer gets our pending transactions (txsync): hashes on eth/68, in full on eth/63 or without announcements', async () => {
    const pool = await newPool()
    const pending = [makeTx(7), makeTx(7), makeTx(7)]
    for (const t of pending) await pool.add(t, { local: true })
    const pm = newManager(chain, { txPool: pool }, { minSyncPeers: 100, acceptTxs: true })
    pm.start()
    const r = await attachRemote(pm, { version: 68, local: await localStatusOf(chain) })
    const a = await r.readUntil('NewPooledTransactionHashes')
    expect(a.hashes.map(bytesToHex).sort()).toEqual(hexes(pending))
    expect(r.seen.filter((m) => m.name === 'Transactions')).toEqual([])
    const r63 = await attachRemote(pm, { version: 63, local: await localStatusOf(chain) })
    const m = await r63.readUntil('Transactions')
    expect(hexes(m.txs)).toEqual(hexes(pending))
    const pmAll = newManager(
      chain,
      { txPool: pool },
      { minSyncPeers: 100, acceptTxs: true, txAnnounce: false },
    )
    pmAll.start()
    const rAll = await attachRemote(pmAll, { version: 68, local: await localStatusOf(chain) })
    expect(hexes((await rAll.readUntil('Transactions')).txs)).toEqual(hexes(pending))
  })

  it('GetPooledTransactions: known ones in order, unknown skipped, at most 256', async () => {
    const pool = await newPool()
    const txs: Transaction[] = []
    for (let i = 0; i < 300; i++) txs.push(makeTx(10 + (i % 10), BigInt(Math.floor(i / 10))))
    const res = await pool.addRemotes(txs)
    expect(res.every((x) => !(x instanceof Error))).toBe(true)
    const pm = newManager(chain, { txPool: pool }, { minSyncPeers: 100, acceptTxs: true })
    pm.start()
    const r = await attachRemote(pm, { version: 67, local: await localStatusOf(chain) })
    await drain(r, 100) // the initial txsync packs
    const ask = [txs[0]!.hash, new Uint8Array(32).fill(1), txs[1]!.hash]
    await r.send({ name: 'GetPooledTransactions', requestId: 1n, hashes: ask })
    const a = await r.readUntil('PooledTransactions')
    expect(a.requestId).toBe(1n)
    expect(a.txs.map((t) => bytesToHex(t.hash))).toEqual([
      bytesToHex(txs[0]!.hash),
      bytesToHex(txs[1]!.hash),
    ])
    await r.send({ name: 'GetPooledTransactions', requestId: 2n, hashes: txs.map((t) => t.hash) })
    const b = await r.readUntil('PooledTransactions')
    expect(b.txs.length).toBe(256)
  })
})

describe('between managers', () => {
  it('a behind node ignores transactions until its first sync, then takes and relays them', async () => {
    const a = chain
    await extend(a, 30)
    const b = await newChain()
    const poolA = await newPool()
    const poolB = await newPool()
    const pmA = newManager(
      a,
      { txPool: poolA },
      { minSyncPeers: 100, acceptTxs: true, txAnnounce: false },
    ) // a miner
    const pmB = newManager(b, { txPool: poolB }, { minSyncPeers: 100, syncIntervalMs: 60_000 })
    pmA.start()
    pmB.start()
    const tx1 = makeTx(9)
    await poolA.add(tx1, { local: true })
    connectManagers(pmA, pmB, { version: 68, nameA: 'A', nameB: 'B' })
    // A's txsync hands B its pending set at once; B is not synced and drops it.
    await waitFor(() => pmB.stats().txMessagesReceived >= 1, 5_000, 'B got the initial pack')
    expect(poolB.has(tx1.hash)).toBe(false)
    expect(pmB.acceptTxs).toBe(false)
    await pmB.syncNow()
    expect(b.currentHeader().number).toBe(35n)
    expect(pmB.acceptTxs).toBe(true)
    const tx2 = makeTx(9)
    await poolA.add(tx2, { local: true })
    await waitFor(() => poolB.has(tx2.hash), 5_000, 'B pool has tx2')
    // B does not send it back to A (A is marked as knowing it).
    expect(poolA.size).toBe(2)
  })
})

describe('broadcast batching', () => {
  it('transactions added in a burst go out in one message per peer, not one per transaction', async () => {
    const pool = await newPool()
    const pm = newManager(
      chain,
      { txPool: pool },
      { minSyncPeers: 100, acceptTxs: true, txBroadcastDelayMs: 200 },
    )
    pm.start()
    const r = await attachRemote(pm, { version: 68, local: await localStatusOf(chain) })
    const txs = Array.from({ length: 10 }, (_, i) => makeTx(20, BigInt(i)))
    for (const t of txs) {
      await pool.add(t, { local: true })
      await new Promise((res) => setImmediate(res)) // an I/O turn between adds (journal, RPC)
    }
    const got = (await drain(r, 600)).filter((m) => m.name === 'Transactions')
    expect(got.flatMap((m) => (m.name === 'Transactions' ? m.txs : [])).length).toBe(10)
    expect(got.length).toBeLessThan(txs.length)
  })
})
