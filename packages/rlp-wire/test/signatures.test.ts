import { readFileSync } from 'node:fs'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { describe, expect, it } from 'vitest'
import {
  authorizationSigHash,
  Block,
  bytesToHex,
  keccak256,
  rlpSplitConcat,
  type Transaction,
} from '../src/index.js'

// Real signed transactions of every type in the ethtest chain: recovering the signer from
// sigHash() must give one of the chain's funded test accounts (and the sender named in txinfo).
const fx = (f: string) => readFileSync(new URL(`./fixtures/${f}`, import.meta.url))
const blocks = rlpSplitConcat(new Uint8Array(fx('chain.rlp'))).map((r) => Block.decode(r))
const accounts = new Set(Object.keys(JSON.parse(fx('accounts.json').toString())))
const txinfo = JSON.parse(fx('txinfo.json').toString())

function recover(hash: Uint8Array, r: bigint, s: bigint, rec: number): string {
  const pub = new secp256k1.Signature(r, s)
    .addRecoveryBit(rec)
    .recoverPublicKey(hash)
    .toBytes(false)
  return bytesToHex(keccak256(pub.subarray(1)).subarray(12))
}

describe('sigHash on real signed transactions', () => {
  const all: Transaction[] = blocks.flatMap((b) => b.transactions)

  it('recovers a known account for every transaction of every type', () => {
    const perType = new Map<number, number>()
    for (const tx of all) {
      const from = recover(tx.sigHash(), tx.r, tx.s, tx.recovery)
      expect(accounts.has(from)).toBe(true)
      perType.set(tx.type, (perType.get(tx.type) ?? 0) + 1)
    }
    expect([...perType.keys()].sort()).toEqual([0, 1, 2, 3, 4])
  })

  it('legacy transactions include both EIP-155 and (if present) pre-155 forms consistently', () => {
    for (const tx of all.filter((t) => t.type === 0)) {
      if (tx.v >= 35n) expect(tx.chainId).toBe((tx.v - 35n) / 2n)
      else expect(tx.chainId).toBeUndefined()
    }
  })

  it('matches txinfo senders by hash', () => {
    const byHash = new Map(all.map((t) => [bytesToHex(t.hash), t]))
    let checked = 0
    for (const entry of Object.values(txinfo)) {
      if (!Array.isArray(entry)) continue
      for (const e of entry as { txhash?: string; sender?: string }[]) {
        if (!e.txhash || !e.sender) continue
        const tx = byHash.get(e.txhash)
        expect(tx).toBeDefined()
        expect(recover(tx!.sigHash(), tx!.r, tx!.s, tx!.recovery)).toBe(e.sender)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(0)
  })

  it('recovers the EIP-7702 authority', () => {
    const info = txinfo['tx-eip7702'] as { account: string; authorizeTx: string }
    const tx = all.find((t) => bytesToHex(t.hash) === info.authorizeTx)!
    expect(tx.type).toBe(4)
    const a = tx.authorizationList![0]!
    expect(recover(authorizationSigHash(a), a.r, a.s, Number(a.yParity))).toBe(info.account)
  })
})
