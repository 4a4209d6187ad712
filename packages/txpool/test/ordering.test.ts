import { Transaction } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import { byPriceAndNonce } from '../src/index.js'

const sender = (i: number) => new Uint8Array(20).fill(i)
const tx1559 = (nonce: bigint, tip: bigint, cap: bigint) =>
  Transaction.fromData({
    type: 2,
    chainId: 1n,
    nonce,
    maxPriorityFeePerGas: tip,
    maxFeePerGas: cap,
    gasLimit: 21_000n,
    to: new Uint8Array(20),
    value: 0n,
    data: new Uint8Array(0),
    accessList: [],
    v: 0n,
    r: 1n,
    s: 1n,
  })
const entry = (i: number, nonce: bigint, tip: bigint, cap = 100n, addedAtMs = 0) => ({
  tx: tx1559(nonce, tip, cap),
  sender: sender(i),
  addedAtMs,
})
const drain = (s: ReturnType<typeof byPriceAndNonce>) => {
  const out: string[] = []
  for (let t = s.peek(); t; t = s.peek()) {
    out.push(`${t.sender[0]}:${t.tx.nonce}`)
    s.shift()
  }
  return out
}

describe('byPriceAndNonce', () => {
  it('interleaves senders by the effective tip of their next nonce, nonces in order', () => {
    const pending = new Map([
      ['a', [entry(1, 0n, 5n), entry(1, 1n, 50n), entry(1, 2n, 1n)]],
      ['b', [entry(2, 0n, 10n), entry(2, 1n, 3n)]],
    ])
    // b:0 (10) before a:0 (5); a:1 (50) only once a:0 is taken; nonces never out of order.
    expect(drain(byPriceAndNonce(pending, 0n))).toEqual(['2:0', '1:0', '1:1', '2:1', '1:2'])
  })

  it('caps the tip by the fee cap above the base fee; a cap below the base fee ends the sender', () => {
    const pending = new Map([
      ['a', [entry(1, 0n, 30n, 40n)]], // at base fee 30: effective tip 10
      ['b', [entry(2, 0n, 20n, 100n)]], // 20
      ['c', [entry(3, 0n, 50n, 20n)]], // cap under the base fee: never included
      ['d', [entry(4, 0n, 25n, 100n), entry(4, 1n, 25n, 10n)]], // its second cannot run
    ])
    expect(drain(byPriceAndNonce(pending, 30n))).toEqual(['4:0', '2:0', '1:0'])
  })

  it('ties go to the earlier arrival; pop drops the whole sender', () => {
    const pending = new Map([
      ['a', [entry(1, 0n, 7n, 100n, 20), entry(1, 1n, 9n)]],
      ['b', [entry(2, 0n, 7n, 100n, 10), entry(2, 1n, 1n)]],
    ])
    const s = byPriceAndNonce(pending, 0n)
    expect(s.senders).toBe(2)
    expect(s.peek()?.sender[0]).toBe(2)
    s.pop() // b goes, with its nonce 1
    expect(drain(s)).toEqual(['1:0', '1:1'])
    expect(s.senders).toBe(0)
  })
})
