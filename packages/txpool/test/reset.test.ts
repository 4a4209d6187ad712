/**
 * `reset` on every new head (go-ethereum legacypool reset / runReorg): mined and now-invalid
 * transactions leave, queued ones whose gap closed are promoted, pending ones that became
 * invalid are demoted, and a reorg gives back the transactions only the old branch had.
 */
import { describe, expect, it } from 'vitest'
import { createTxPool, type PoolTransaction } from '../src/index.js'
import { createMemoryChain, type MemoryAccount } from '../src/testing.js'
import { acceptAllProofs, alice, blobTx, bob, chainId, tx1559 } from './helpers.js'

const hexOf = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`
const eth = 10n ** 18n
const A = hexOf(alice.address)
const B = hexOf(bob.address)
const nonces = (l: PoolTransaction[] | undefined) => (l ?? []).map((e) => e.tx.nonce)

async function setup(
  accounts: Record<string, MemoryAccount> = { [A]: { balance: eth }, [B]: { balance: eth } },
) {
  const chain = createMemoryChain(accounts)
  const pool = createTxPool({ chain, blobVerifier: acceptAllProofs }, { chainId })
  await pool.start()
  const events: string[] = []
  pool.onPending((txs) =>
    events.push(...txs.map((t) => `${t.senderHex === A ? 'a' : 'b'}${t.tx.nonce}`)),
  )
  return { chain, pool, events }
}

describe('reset on a new head', () => {
  it('drops mined transactions and promotes queued ones whose nonce gap closed', async () => {
    const { chain, pool, events } = await setup()
    const a0 = tx1559(alice.key, 0n)
    await pool.add(a0)
    await pool.add(tx1559(alice.key, 2n)) // queued: 1 is missing
    await pool.add(tx1559(alice.key, 3n))
    expect(pool.status()).toEqual({ pending: 1, queued: 2 })
    events.length = 0
    // a block mines a0 and alice's nonce 1 (which this pool never saw)
    const b1 = chain.extend(chain.head, {
      transactions: [a0, tx1559(alice.key, 1n, { tip: 7n })],
      state: { [A]: { nonce: 2n, balance: eth - 10n ** 15n } },
    })
    chain.setHead(b1)
    await pool.reset()
    expect(pool.head?.hash).toEqual(b1.hash)
    expect(pool.has(a0.hash)).toBe(false)
    expect(nonces(pool.pending().get(A))).toEqual([2n, 3n])
    expect(pool.status()).toEqual({ pending: 2, queued: 0 })
    expect(events).toEqual(['a2', 'a3'])
    // the spent nonce is now refused with go-ethereum's text
    await expect(pool.add(tx1559(alice.key, 1n, { tip: 50n }))).rejects.toMatchObject({
      code: 'ErrNonceTooLow',
      message: 'nonce too low: next nonce 2, tx nonce 1',
    })
  })

  it('drops transactions the new balance cannot pay and demotes the later ones', async () => {
    const { chain, pool, events } = await setup()
    await pool.add(tx1559(alice.key, 0n))
    const dear = await pool.add(tx1559(alice.key, 1n, {}, { value: eth / 2n }))
    await pool.add(tx1559(alice.key, 2n))
    expect(pool.status()).toEqual({ pending: 3, queued: 0 })
    events.length = 0
    // alice spent most of her ether elsewhere (another client's transaction)
    const b1 = chain.extend(chain.head, { state: { [A]: { balance: eth / 4n } } })
    chain.setHead(b1)
    await pool.reset()
    expect(pool.has(dear.hash)).toBe(false)
    expect(nonces(pool.pending().get(A))).toEqual([0n])
    expect(Object.keys(pool.content().queued[A] ?? {})).toEqual(['2'])
    expect(events).toEqual([])
  })

  it('drops transactions above a lowered block gas limit', async () => {
    const { chain, pool } = await setup()
    const big = await pool.add(tx1559(alice.key, 0n, {}, { gasLimit: 1_000_000n }))
    await pool.add(tx1559(bob.key, 0n))
    const b1 = chain.extend(chain.head, { gasLimit: 500_000n })
    chain.setHead(b1)
    await pool.reset()
    expect(pool.has(big.hash)).toBe(false)
    expect(pool.status()).toEqual({ pending: 1, queued: 0 })
    await expect(pool.add(tx1559(alice.key, 0n, {}, { gasLimit: 600_000n }))).rejects.toMatchObject(
      {
        message: 'exceeds block gas limit',
      },
    )
  })

  it('a reorg takes back the transactions of the blocks it removed (walking both branches to the common ancestor)', async () => {
    const { chain, pool, events } = await setup()
    const a0 = tx1559(alice.key, 0n)
    const a1 = tx1559(alice.key, 1n)
    const b0 = tx1559(bob.key, 0n)
    for (const t of [a0, a1, b0]) await pool.add(t)
    // branch A: one block with all three
    const g = chain.head
    const A1 = chain.extend(g, {
      transactions: [a0, a1, b0],
      state: { [A]: { nonce: 2n }, [B]: { nonce: 1n } },
      salt: 1,
    })
    chain.setHead(A1)
    await pool.reset()
    expect(pool.size).toBe(0)
    events.length = 0
    // branch B, heavier: two blocks; only a0 is in it
    const B1 = chain.extend(g, { transactions: [a0], state: { [A]: { nonce: 1n } }, salt: 2 })
    const B2 = chain.extend(B1.header, { salt: 2 })
    chain.setHead(B2)
    await pool.reset()
    expect(pool.has(a0.hash)).toBe(false) // mined on the new branch too
    expect(pool.has(a1.hash)).toBe(true)
    expect(pool.has(b0.hash)).toBe(true)
    expect(pool.status()).toEqual({ pending: 2, queued: 0 })
    expect(events.sort()).toEqual(['a1', 'b0'])
  })

  it('a reorg gives a blob transaction back with its sidecar (kept when it was mined)', async () => {
    const { chain, pool } = await setup()
    const withSidecar = blobTx(alice.key, 0n)
    await pool.add(withSidecar)
    // blocks carry the consensus form: no sidecar
    const inBlock = (await import('@ethwire/rlp-wire')).Transaction.decode(withSidecar.encode())
    expect(inBlock.sidecar).toBeUndefined()
    const g = chain.head
    const A1 = chain.extend(g, { transactions: [inBlock], state: { [A]: { nonce: 1n } }, salt: 1 })
    chain.setHead(A1)
    await pool.reset()
    expect(pool.size).toBe(0)
    const B1 = chain.extend(g, { salt: 2 })
    const B2 = chain.extend(B1.header, { salt: 2 })
    chain.setHead(B2)
    await pool.reset()
    const back = pool.get(withSidecar.hash)
    expect(back?.tx.sidecar?.blobs).toHaveLength(1)
    expect(back?.pending).toBe(true)
  })

  it('resets asked for while one runs are coalesced onto the newest head', async () => {
    const { chain, pool } = await setup()
    let reads = 0
    const stateAt = chain.stateAt.bind(chain)
    chain.stateAt = (root) => {
      reads++
      return stateAt(root)
    }
    await pool.add(tx1559(alice.key, 0n))
    let parent = chain.head
    const heads = []
    for (let i = 0; i < 5; i++) {
      const b = chain.extend(parent)
      heads.push(b)
      parent = b.header
    }
    await Promise.all(heads.map((b) => pool.reset(b.header)))
    expect(pool.head?.hash).toEqual(heads[4]?.hash)
    expect(reads).toBe(1)
  })
})
