/**
 * Bookkeeping under random operations (seeded): the counters behind `status()` agree with the
 * transactions held, pending runs are gap-free from the account's nonce, and the limits hold.
 */
import { describe, expect, it } from 'vitest'
import { createTxPool, type TxPool } from '../src/index.js'
import { createMemoryChain, testAccount } from '../src/testing.js'
import { chainId, tx1559 } from './helpers.js'

const hexOf = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`

function rng(seed: number) {
  let a = seed >>> 0
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n
  }
}

function check(p: TxPool, nonceOf: (addr: string) => bigint | undefined) {
  const c = p.content()
  let pending = 0
  let queued = 0
  for (const [addr, byNonce] of Object.entries(c.pending)) {
    const ns = Object.keys(byNonce)
      .map(BigInt)
      .sort((x, y) => (x < y ? -1 : 1))
    pending += ns.length
    const base = nonceOf(addr) ?? ns[0]!
    expect(ns).toEqual(ns.map((_, i) => base + BigInt(i)))
    expect(
      p
        .pending()
        .get(addr)
        ?.map((e) => e.tx.nonce),
    ).toEqual(ns)
  }
  for (const byNonce of Object.values(c.queued)) queued += Object.keys(byNonce).length
  expect(p.status()).toEqual({ pending, queued })
  expect(p.size).toBe(pending + queued)
}

describe('pool bookkeeping', () => {
  it('counters, runs and limits stay right over 400 random adds, blocks and reorgs', async () => {
    const r = rng(7)
    const keys = Array.from({ length: 6 }, (_, i) => testAccount(60 + i))
    const chain = createMemoryChain(
      Object.fromEntries(keys.map((k) => [hexOf(k.address), { balance: 10n ** 18n }])),
      { baseFee: 50n },
    )
    const p = createTxPool(
      { chain },
      { chainId, globalSlots: 20, globalQueue: 8, accountSlots: 2, accountQueue: 3 },
    )
    await p.start()
    const nonces = new Map<string, bigint>()
    const nonceOf = (addr: string) => nonces.get(addr) ?? 0n
    let fork = chain.head
    let maxPending = 0
    for (let step = 0; step < 400; step++) {
      const k = keys[Math.floor(r(keys.length))]!
      const addr = hexOf(k.address)
      const op = r(10)
      if (op < 8) {
        // mostly the next executable nonce, sometimes a gap
        const run = BigInt(p.pending().get(addr)?.length ?? 0)
        const n = nonceOf(addr) + run + (r(10) < 6 ? 0n : BigInt(1 + Math.floor(r(6))))
        await p
          .add(
            tx1559(k.key, n, {
              tip: BigInt(1 + Math.floor(r(5))),
              cap: BigInt(40 + Math.floor(r(60))),
            }),
          )
          .catch(() => {})
      } else if (op < 9.5) {
        // a block: some account's nonce moves on, base fee wobbles
        const moved = nonceOf(addr) + BigInt(Math.floor(r(3)))
        nonces.set(addr, moved)
        const b = chain.extend(chain.head, {
          state: { [addr]: { nonce: moved } },
          gasUsed: BigInt(Math.floor(r(30_000_000))),
        })
        chain.setHead(b)
        await p.reset()
      } else {
        // a reorg back to an older block
        const b = chain.extend(fork, { salt: step })
        fork = chain.head
        const st = chain.stateOf(b)
        for (const kk of keys) nonces.set(hexOf(kk.address), await st.getNonce(kk.address))
        chain.setHead(b)
        await p.reset()
      }
      check(p, nonceOf)
      expect(p.status().queued).toBeLessThanOrEqual(8)
      maxPending = Math.max(maxPending, p.status().pending)
    }
    // the run got past the global limit's reach and was cut back (not a vacuous walk)
    expect(maxPending).toBeGreaterThanOrEqual(12)
    expect(maxPending).toBeLessThanOrEqual(20)
  }, 60_000)
})
