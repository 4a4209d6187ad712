/**
 * go-ethereum's limits (issue 16, "Transaction conformance"): `accountSlots` is what an account is
 * guaranteed, not a cap; over `globalSlots` the accounts above their share are cut, the biggest
 * first (legacypool truncatePending), locals exempt; over `globalQueue` the stalest accounts lose
 * queued transactions first (truncateQueue).
 */
import { describe, expect, it } from 'vitest'
import { createTxPool, isTxPoolError, type PoolTransaction } from '../src/index.js'
import { testAccount } from '../src/testing.js'
import { alice, bob, carol, chainId, tx1559 } from './helpers.js'

const hexOf = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`
const pendingNonces = (p: ReturnType<typeof createTxPool>, who: { address: Uint8Array }) =>
  (p.pending().get(hexOf(who.address)) ?? []).map((e) => e.tx.nonce)

describe('accountSlots is a guarantee, not a cap', () => {
  it('2,000 pending transactions from one remote sender are accepted and emitted as pending', async () => {
    // ethtest sends 2,000 from one account with go-ethereum's defaults (16 account slots)
    const p = createTxPool({}, { chainId })
    const emitted = new Set<string>()
    p.onPending((txs) => {
      for (const t of txs) emitted.add(t.hashHex)
    })
    const txs = Array.from({ length: 2_000 }, (_, i) => tx1559(alice.key, BigInt(i)))
    for (let i = 0; i < txs.length; i += 256) {
      const out = await p.addRemotes(txs.slice(i, i + 256))
      const errors = out.filter((r) => isTxPoolError(r))
      expect(errors).toEqual([])
    }
    expect(p.status()).toEqual({ pending: 2_000, queued: 0 })
    expect(emitted.size).toBe(2_000)
    expect(p.pendingList().map((e) => e.tx.nonce)).toEqual(txs.map((t) => t.nonce))
  }, 60_000)

  it('over globalSlots, evictions hit the biggest remote accounts first and spare locals', async () => {
    const p = createTxPool({}, { chainId, globalSlots: 10, accountSlots: 2 })
    const lucy = testAccount(40)
    for (let n = 0n; n < 4n; n++) await p.add(tx1559(lucy.key, n), { local: true })
    for (let n = 0n; n < 6n; n++) await p.add(tx1559(alice.key, n))
    expect(p.status()).toEqual({ pending: 10, queued: 0 })
    // Bob's three are accepted: each one costs alice (the biggest) her highest nonce
    for (let n = 0n; n < 3n; n++) await p.add(tx1559(bob.key, n))
    expect(pendingNonces(p, alice)).toEqual([0n, 1n, 2n])
    expect(pendingNonces(p, bob)).toEqual([0n, 1n, 2n])
    expect(pendingNonces(p, lucy)).toEqual([0n, 1n, 2n, 3n])
    // one more sender: the accounts above their 2 slots shed one each, alike
    await p.add(tx1559(carol.key, 0n))
    expect(pendingNonces(p, alice)).toEqual([0n, 1n])
    expect(pendingNonces(p, bob)).toEqual([0n, 1n])
    expect(pendingNonces(p, lucy)).toEqual([0n, 1n, 2n, 3n])
    expect(pendingNonces(p, carol)).toEqual([0n])
    expect(p.status()).toEqual({ pending: 9, queued: 0 })
  })

  it('a transaction cut at once by the global limit is reported, not silently lost', async () => {
    const p = createTxPool({}, { chainId, globalSlots: 4, accountSlots: 1 })
    for (let n = 0n; n < 4n; n++) await p.add(tx1559(alice.key, n))
    const err = await p.add(tx1559(alice.key, 4n)).catch((e) => e)
    expect(err).toMatchObject({ code: 'ErrTxPoolOverflow', message: 'txpool is full' })
    expect(p.size).toBe(4)
  })
})

describe('queued limits', () => {
  it('over globalQueue, the account idle the longest loses queued transactions first', async () => {
    let t = 1_000
    const p = createTxPool({ now: () => t }, { chainId, globalQueue: 3 })
    // gaps: nonce 0 is pending, the rest queued
    for (const n of [0n, 5n, 6n]) await p.add(tx1559(alice.key, n))
    t = 2_000
    for (const n of [0n, 5n]) await p.add(tx1559(bob.key, n))
    expect(p.status()).toEqual({ pending: 2, queued: 3 })
    t = 3_000
    await p.add(tx1559(bob.key, 7n))
    // alice is the stalest: her highest queued nonce goes
    expect(Object.keys(p.content().queued[hexOf(alice.address)] ?? {})).toEqual(['5'])
    expect(Object.keys(p.content().queued[hexOf(bob.address)] ?? {})).toEqual(['5', '7'])
    expect(p.status()).toEqual({ pending: 2, queued: 3 })
  })

  it('a full pool takes a dearer transaction by evicting the cheapest, never pending ones for a gapped one', async () => {
    const p = createTxPool({}, { chainId, globalSlots: 2, globalQueue: 1 })
    await p.add(tx1559(alice.key, 0n, { cap: 50n }))
    await p.add(tx1559(bob.key, 0n, { cap: 40n }))
    await p.add(tx1559(carol.key, 5n, { cap: 30n })) // queued, the cheapest
    const dave = testAccount(41)
    const gapped = await p.add(tx1559(dave.key, 3n, { cap: 35n })).catch((e) => e)
    // no state: the first nonce seen is pending, so dave's 3 is executable and carol's goes
    expect((gapped as PoolTransaction).pending).toBe(true)
    expect(p.has(tx1559(carol.key, 5n, { cap: 30n }).hash)).toBe(false)
    // a queued one that would need a pending victim is refused
    const err = await p.add(tx1559(dave.key, 9n, { cap: 45n })).catch((e) => e)
    expect(err).toMatchObject({
      code: 'ErrFutureReplacePending',
      message: 'future transaction tries to replace pending',
    })
  })

  it('locals are exempt from the per-account queue limit', async () => {
    const p = createTxPool({}, { chainId, accountQueue: 1 })
    for (const n of [0n, 2n, 3n, 4n]) await p.add(tx1559(alice.key, n), { local: true })
    expect(p.status()).toEqual({ pending: 1, queued: 3 })
    await p.add(tx1559(bob.key, 0n))
    await p.add(tx1559(bob.key, 2n))
    await expect(p.add(tx1559(bob.key, 3n))).rejects.toMatchObject({ code: 'ErrAccountLimit' })
  })
})

describe('capacity counts slots of 32 KiB', () => {
  it('a large transaction takes several slots and evicts accordingly', async () => {
    const p = createTxPool({}, { chainId, globalSlots: 3, globalQueue: 0, eip7623: false })
    await p.add(tx1559(alice.key, 0n, { cap: 10n }))
    await p.add(tx1559(bob.key, 0n, { cap: 11n }))
    await p.add(tx1559(carol.key, 0n, { cap: 12n }))
    // 40 KiB of calldata: 2 slots, so the two cheapest make way
    const big = tx1559(
      testAccount(42).key,
      0n,
      { cap: 50n },
      { data: new Uint8Array(40 * 1024), gasLimit: 21_000n + 40n * 1024n * 4n },
    )
    await p.add(big)
    expect(p.has(tx1559(alice.key, 0n, { cap: 10n }).hash)).toBe(false)
    expect(p.has(tx1559(bob.key, 0n, { cap: 11n }).hash)).toBe(false)
    expect(p.has(tx1559(carol.key, 0n, { cap: 12n }).hash)).toBe(true)
    expect(p.size).toBe(2)
  })
})
