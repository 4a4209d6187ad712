import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRecoveryPool, loadRecoverer } from '@ethwire/crypto'
import { Transaction } from '@ethwire/rlp-wire'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createFileJournal,
  createMemoryJournal,
  createTxPool,
  isTxPoolError,
  type PoolTransaction,
} from '../src/index.js'
import { createMemoryState, testAccount } from '../src/testing.js'
import { alice, bob, carol, chainId, tx1559, txLegacy } from './helpers.js'

const hexOf = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`
const nonces = (l: PoolTransaction[] | undefined) => (l ?? []).map((e) => e.tx.nonce)

describe('pending and queued', () => {
  it('queues gaps and promotes when they fill, with pending events', async () => {
    const p = createTxPool({}, { chainId })
    const events: bigint[][] = []
    const off = p.onPending((txs) => events.push(txs.map((t) => t.tx.nonce)))
    await p.add(tx1559(alice.key, 3n)) // first seen: pending
    await p.add(tx1559(alice.key, 5n)) // gap at 4: queued
    await p.add(tx1559(alice.key, 6n))
    expect(p.status()).toEqual({ pending: 1, queued: 2 })
    await p.add(tx1559(alice.key, 4n)) // fills the gap: 4, 5, 6 promoted
    expect(p.status()).toEqual({ pending: 4, queued: 0 })
    expect(nonces(p.pending().get(hexOf(alice.address)))).toEqual([3n, 4n, 5n, 6n])
    expect(events).toEqual([[3n], [4n, 5n, 6n]])
    off()
    await p.add(tx1559(alice.key, 7n))
    expect(events).toHaveLength(2)
  })

  it('a lower nonce than first seen re-bases the sender (no state)', async () => {
    const p = createTxPool({}, { chainId })
    await p.add(tx1559(alice.key, 5n))
    await p.add(tx1559(alice.key, 3n))
    expect(nonces(p.pending().get(hexOf(alice.address)))).toEqual([3n])
    expect(p.status()).toEqual({ pending: 1, queued: 1 })
  })

  it('with state: pending starts at the state nonce', async () => {
    const state = createMemoryState({ [hexOf(alice.address)]: { nonce: 2n, balance: 10n ** 18n } })
    const p = createTxPool({ state }, { chainId })
    await p.add(tx1559(alice.key, 3n))
    expect(p.status()).toEqual({ pending: 0, queued: 1 })
    await p.add(tx1559(alice.key, 2n))
    expect(p.status()).toEqual({ pending: 2, queued: 0 })
  })

  it('get, has, content and status', async () => {
    const p = createTxPool({}, { chainId })
    const a = tx1559(alice.key, 0n)
    const b = tx1559(bob.key, 1n)
    await p.add(a)
    await p.add(b)
    await p.add(tx1559(bob.key, 3n))
    expect(p.has(a.hash)).toBe(true)
    expect(p.has(hexOf(a.hash))).toBe(true)
    expect(p.get(hexOf(a.hash).toUpperCase().replace('0X', '0x'))?.tx.hash).toEqual(a.hash)
    const c = p.content()
    expect(Object.keys(c.pending).sort()).toEqual([hexOf(alice.address), hexOf(bob.address)].sort())
    expect(c.pending[hexOf(bob.address)]?.['1']?.hash).toEqual(b.hash)
    expect(Object.keys(c.queued[hexOf(bob.address)] ?? {})).toEqual(['3'])
    expect(p.pendingList()).toHaveLength(2)
    expect(p.size).toBe(3)
  })

  it('removeIncluded drops included and stale txs and promotes the rest', async () => {
    const p = createTxPool({}, { chainId })
    for (const n of [0n, 1n, 2n, 4n]) await p.add(tx1559(alice.key, n))
    const included = [tx1559(alice.key, 0n), tx1559(alice.key, 1n, { tip: 3n })] // 1 is a different tx, same nonce
    const promoted: bigint[] = []
    p.onPending((txs) => promoted.push(...txs.map((t) => t.tx.nonce)))
    await p.removeIncluded(included)
    expect(nonces(p.pending().get(hexOf(alice.address)))).toEqual([2n])
    expect(p.status()).toEqual({ pending: 1, queued: 1 })
    await p.removeIncluded([tx1559(alice.key, 2n), tx1559(alice.key, 3n)])
    expect(nonces(p.pending().get(hexOf(alice.address)))).toEqual([4n])
    expect(promoted).toEqual([4n])
    await expect(p.add(tx1559(alice.key, 3n, { tip: 9n }))).rejects.toMatchObject({
      code: 'ErrNonceTooLow',
    })
  })
})

describe('replacement', () => {
  it('needs a 10% bump of both fee cap and tip', async () => {
    const p = createTxPool({}, { chainId })
    const first = await p.add(tx1559(alice.key, 0n, { tip: 10n, cap: 100n }))
    await expect(p.add(tx1559(alice.key, 0n, { tip: 10n, cap: 109n }))).rejects.toMatchObject({
      code: 'ErrReplaceUnderpriced',
    })
    await expect(p.add(tx1559(alice.key, 0n, { tip: 10n, cap: 200n }))).rejects.toMatchObject({
      code: 'ErrReplaceUnderpriced',
    })
    const events: string[] = []
    p.onPending((txs) => events.push(...txs.map((t) => t.hashHex)))
    const second = await p.add(tx1559(alice.key, 0n, { tip: 11n, cap: 110n }))
    expect(p.has(first.hash)).toBe(false)
    expect(p.get(second.hash)?.pending).toBe(true)
    expect(events).toEqual([second.hashHex])
    expect(p.size).toBe(1)
  })

  it('legacy replacement with a configured bump', async () => {
    const p = createTxPool({}, { chainId, priceBumpPercent: 50 })
    await p.add(txLegacy(alice.key, 0n, 100n))
    await expect(p.add(txLegacy(alice.key, 0n, 149n))).rejects.toMatchObject({
      code: 'ErrReplaceUnderpriced',
    })
    await p.add(txLegacy(alice.key, 0n, 150n))
    expect(p.size).toBe(1)
  })
})

describe('limits and eviction', () => {
  it('per-sender queue limit: a higher queued nonce is refused, a lower one evicts the highest', async () => {
    const p = createTxPool({}, { chainId, accountQueue: 2 })
    for (const n of [0n, 3n, 4n]) await p.add(tx1559(alice.key, n))
    expect(p.status()).toEqual({ pending: 1, queued: 2 })
    const err = await p.add(tx1559(alice.key, 5n)).catch((e) => e)
    expect(err).toMatchObject({ code: 'ErrAccountLimit' })
    expect(err.message).toMatch(/^account limit exceeded/)
    await p.add(tx1559(alice.key, 2n)) // below the highest queued: 4 leaves
    expect(Object.keys(p.content().queued[hexOf(alice.address)] ?? {})).toEqual(['2', '3'])
    await p.add(tx1559(alice.key, 1n))
    expect(nonces(p.pending().get(hexOf(alice.address)))).toEqual([0n, 1n, 2n, 3n])
    expect(p.size).toBe(4)
  })

  it('global limit evicts the cheapest remote, rejects cheaper ones, never evicts locals', async () => {
    const p = createTxPool({}, { chainId, globalSlots: 3, globalQueue: 0 })
    const local = await p.add(tx1559(carol.key, 0n, { tip: 1n, cap: 1n }), { local: true })
    const cheap = await p.add(tx1559(alice.key, 0n, { tip: 2n, cap: 20n }))
    const mid = await p.add(tx1559(bob.key, 0n, { tip: 2n, cap: 50n }))
    await expect(
      p.add(tx1559(testAccount(9).key, 0n, { tip: 2n, cap: 20n })),
    ).rejects.toMatchObject({
      code: 'ErrUnderpriced',
      message: 'transaction underpriced',
    })
    const rich = await p.add(tx1559(testAccount(9).key, 0n, { tip: 2n, cap: 60n }))
    expect(p.has(cheap.hash)).toBe(false)
    expect([local, mid, rich].every((t) => p.has(t.hash))).toBe(true)
    // a local goes in even when the pool is full of dearer remotes (evicting the cheapest remote)
    await p.add(tx1559(carol.key, 1n, { tip: 1n, cap: 1n }), { local: true })
    expect(p.has(mid.hash)).toBe(false)
    expect(p.has(local.hash)).toBe(true)
    expect(p.size).toBe(3)
  })

  it('evicting a tx in the middle of a nonce run demotes the later ones to queued', async () => {
    const p = createTxPool({}, { chainId, globalSlots: 2, globalQueue: 1 })
    await p.add(tx1559(alice.key, 0n, { cap: 90n }))
    await p.add(tx1559(alice.key, 1n, { cap: 10n }))
    await p.add(tx1559(alice.key, 2n, { cap: 90n }))
    await p.add(tx1559(bob.key, 0n, { cap: 50n }))
    expect(p.status()).toEqual({ pending: 2, queued: 1 })
  })
})

describe('batch add from the network', () => {
  it('addRemotes recovers senders through a worker pool and reports per-tx errors', async () => {
    const workers = createRecoveryPool({ workers: 2 })
    try {
      const p = createTxPool({ batchRecoverer: workers }, { chainId })
      const txs = [
        tx1559(alice.key, 0n),
        tx1559(bob.key, 0n),
        tx1559(alice.key, 0n),
        tx1559(carol.key, 0n, { tip: 200n }),
      ]
      const out = await p.addRemotes(txs)
      expect((out[0] as PoolTransaction).sender).toEqual(alice.address)
      expect((out[1] as PoolTransaction).sender).toEqual(bob.address)
      expect(isTxPoolError(out[2], 'ErrAlreadyKnown')).toBe(true)
      expect(isTxPoolError(out[3], 'ErrTipAboveFeeCap')).toBe(true)
      expect(p.status()).toEqual({ pending: 2, queued: 0 })
    } finally {
      await workers.close()
    }
  })
})

describe('senders recovered ahead for one-by-one adds (a JSON-RPC batch)', () => {
  /** A main-thread recoverer that counts its recoveries. */
  const counting = () => {
    const inner = loadRecoverer()
    const c = {
      name: inner.name,
      calls: 0,
      recoverPublicKey: (h: Uint8Array, r: bigint, s: bigint, v: number) => {
        c.calls++
        return inner.recoverPublicKey(h, r, s, v)
      },
    }
    return c
  }

  it('add takes the sender the batch recoverer found, recovering nothing on the main thread', async () => {
    const workers = createRecoveryPool({ workers: 1 })
    try {
      const rec = counting()
      const p = createTxPool({ batchRecoverer: workers, recoverer: rec }, { chainId })
      const txs = [tx1559(alice.key, 0n), tx1559(bob.key, 0n), tx1559(alice.key, 1n)]
      const recovered = await p.recoverSenders(txs)
      expect(recovered.map((r) => r?.sender)).toEqual([alice.address, bob.address, alice.address])
      for (let i = 0; i < txs.length; i++)
        await p.add(txs[i]!, { local: true, recovered: recovered[i] })
      expect(rec.calls).toBe(0)
      expect(nonces(p.pending().get(hexOf(alice.address)))).toEqual([0n, 1n])
      expect(p.get(txs[1]!.hash)?.sender).toEqual(bob.address)
      // without one: recovered here
      await p.add(tx1559(carol.key, 0n))
      expect(rec.calls).toBe(1)
    } finally {
      await workers.close()
    }
  })

  it('takes only its own results, for that very transaction; a dead recoverer changes nothing', async () => {
    const workers = createRecoveryPool({ workers: 1 })
    const rec = counting()
    const p = createTxPool({ batchRecoverer: workers, recoverer: rec }, { chainId })
    const good = tx1559(alice.key, 0n)
    const [r0] = await p.recoverSenders([good, tx1559(carol.key, 5n)])
    // a forged result (alice as the sender of bob's transaction) is not taken
    const bobs = tx1559(bob.key, 0n)
    expect((await p.add(bobs, { recovered: { tx: bobs, sender: alice.address } })).sender).toEqual(
      bob.address,
    )
    // nor a real one handed with another transaction
    const bobs1 = tx1559(bob.key, 1n)
    expect((await p.add(bobs1, { recovered: r0 })).sender).toEqual(bob.address)
    expect(rec.calls).toBe(2)
    expect((await p.add(good, { recovered: r0 })).sender).toEqual(alice.address)
    expect(rec.calls).toBe(2)
    // a bad signature is not recovered ahead, and the add refuses it
    const bad = Transaction.fromData({ ...tx1559(bob.key, 2n).toData(), s: 0n })
    const rb = await p.recoverSenders([bad, tx1559(bob.key, 3n)])
    expect(rb[0]).toBeUndefined()
    await expect(p.add(bad, { recovered: rb[0] })).rejects.toSatisfy((e) =>
      isTxPoolError(e, 'ErrInvalidSignature'),
    )
    await workers.close()
    const late = [tx1559(bob.key, 2n), tx1559(carol.key, 0n)]
    expect(await p.recoverSenders(late)).toEqual([undefined, undefined]) // closed: no throw
    for (const tx of late) await p.add(tx)
    expect(rec.calls).toBe(4)
    expect(p.status().pending).toBe(5)
  })
})

describe('resilience', () => {
  it('addRemotes falls back to local recovery when the batch recoverer fails', async () => {
    const workers = createRecoveryPool({ workers: 1 })
    await workers.close()
    const p = createTxPool({ batchRecoverer: workers }, { chainId })
    const out = await p.addRemotes([tx1559(alice.key, 0n), tx1559(bob.key, 0n)])
    expect(out.map((r) => (r as PoolTransaction).senderHex)).toEqual([
      hexOf(alice.address),
      hexOf(bob.address),
    ])
  })

  it('removeIncluded uses given senders for txs it does not hold', async () => {
    const p = createTxPool({}, { chainId })
    await p.add(tx1559(alice.key, 2n))
    await p.add(tx1559(alice.key, 3n))
    const foreign = tx1559(alice.key, 2n, { tip: 7n }) // same nonce, other tx
    await p.removeIncluded([foreign], { senders: [alice.address] })
    expect(nonces(p.pending().get(hexOf(alice.address)))).toEqual([3n])
  })
})

describe('journal', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'txpool-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('keeps local transactions across a restart, not remote ones', async () => {
    const path = join(dir, 'sub', 'transactions.journal')
    const p1 = createTxPool({ journal: createFileJournal(path) }, { chainId })
    await p1.start()
    const l0 = await p1.add(tx1559(alice.key, 0n), { local: true })
    const l1 = await p1.addRaw(tx1559(alice.key, 1n).encode(), { local: true })
    const r = await p1.add(tx1559(bob.key, 0n))
    const replaced = await p1.add(tx1559(alice.key, 1n, { tip: 5n, cap: 200n }), { local: true })
    expect((await readFile(path, 'utf8')).trim().split('\n')).toHaveLength(3) // appended
    await p1.stop()
    expect((await readFile(path, 'utf8')).trim().split('\n')).toHaveLength(2) // rotated

    const p2 = createTxPool({ journal: createFileJournal(path) }, { chainId })
    await p2.start()
    expect(p2.has(l0.hash)).toBe(true)
    expect(p2.has(l1.hash)).toBe(false) // replaced before the restart
    expect(p2.has(replaced.hash)).toBe(true)
    expect(p2.has(r.hash)).toBe(false)
    expect(p2.get(l0.hash)?.local).toBe(true)
    expect((await readFile(path, 'utf8')).trim().split('\n')).toHaveLength(2)
    await p2.removeIncluded([l0.tx])
    await p2.stop()

    const p3 = createTxPool({ journal: createFileJournal(path) }, { chainId })
    await p3.start()
    // the included one is gone after the rotation at start; its successor is back (nonces from the first seen)
    expect(p3.status()).toEqual({ pending: 1, queued: 0 })
    expect(p3.get(replaced.hash)?.pending).toBe(true)
    await p3.stop()
  })

  it('adding n local transactions encodes each about once (the rotation check does not re-encode every local)', async () => {
    const journal = createMemoryJournal()
    const pool = createTxPool({ journal }, { chainId })
    await pool.start()
    const n = 300
    let encodes = 0
    for (let i = 0; i < n; i++) {
      const tx = tx1559(alice.key, BigInt(i))
      const encode = tx.encode.bind(tx)
      tx.encode = () => {
        encodes++
        return encode()
      }
      await pool.add(tx, { local: true })
    }
    expect(journal.entries).toHaveLength(n)
    // a few per transaction (validation, journal append); before the fix every insert encoded every local (~n²/2)
    expect(encodes).toBeLessThanOrEqual(5 * n)
    await pool.stop()
  })

  it('skips a torn last line', async () => {
    const path = join(dir, 'j')
    const j = createFileJournal(path)
    await j.append(tx1559(alice.key, 0n).encode())
    const { appendFile } = await import('node:fs/promises')
    await appendFile(path, 'abc')
    expect(await j.load()).toHaveLength(1)
  })

  it("local adds do not wait for each other's journal write (the journal may group them)", async () => {
    // a journal whose appends complete only when released
    const started: Uint8Array[] = []
    const release: Array<() => void> = []
    const journal = {
      ...createMemoryJournal(),
      append(e: Uint8Array) {
        started.push(e)
        return new Promise<void>((r) => release.push(r))
      },
    }
    const p = createTxPool({ journal }, { chainId })
    await p.start()
    const adds = [0n, 1n, 2n].map((n) => p.add(tx1559(alice.key, n), { local: true }))
    let acked = 0
    for (const a of adds) void a.then(() => acked++)
    // all three inserts reach the journal before any write completes
    for (let i = 0; i < 50 && started.length < 3; i++) await new Promise((r) => setImmediate(r))
    expect(started).toHaveLength(3)
    expect(acked).toBe(0) // none acknowledged before its line is written
    for (const r of release) r()
    await Promise.all(adds)
    expect(p.status()).toEqual({ pending: 3, queued: 0 })
  })

  it('the file journal keeps every concurrent append, in order, across a rewrite', async () => {
    const path = join(dir, 'sub', 'j')
    const j = createFileJournal(path)
    const txs = Array.from({ length: 40 }, (_, n) => tx1559(alice.key, BigInt(n)).encode())
    await Promise.all(txs.slice(0, 20).map((t) => j.append(t)))
    const rewrite = j.rewrite(txs.slice(0, 2))
    // appended after the rewrite was asked for: must land in the new file, not the replaced one
    const later = Promise.all(txs.slice(20).map((t) => j.append(t)))
    await rewrite
    await later
    const got = (await j.load()).map(hexOf)
    expect(got).toEqual([...txs.slice(0, 2), ...txs.slice(20)].map(hexOf))
    await j.close()
    await j.append(txs[2]!) // reopened after close
    expect((await j.load()).map(hexOf).at(-1)).toBe(hexOf(txs[2]!))
  })
})
