import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  Block,
  bytesToHex,
  checkBody,
  decodeMessage,
  EMPTY_TRIE_ROOT,
  encodeMessage,
  equalBytes,
  isWireError,
  keccak256,
  rlpSplitConcat,
  Transaction,
  transactionsRoot,
  unclesHash,
  withdrawalsRoot,
} from '../src/index.js'

// go-ethereum cmd/devp2p/internal/ethtest/testdata: 600 blocks, Shanghai → Cancun (t=60) → Prague (t=120)
const chainBytes = new Uint8Array(readFileSync(new URL('./fixtures/chain.rlp', import.meta.url)))
const head = JSON.parse(readFileSync(new URL('./fixtures/headblock.json', import.meta.url), 'utf8'))

describe('ethtest chain.rlp', () => {
  const raws = rlpSplitConcat(chainBytes)
  const blocks = raws.map((r) => Block.decode(r))

  it('has 600 blocks numbered 1..600', () => {
    expect(blocks.length).toBe(600)
    blocks.forEach((b, i) => {
      expect(b.header.number).toBe(BigInt(i + 1))
    })
  })

  it('re-encodes every block byte-exact', () => {
    blocks.forEach((b, i) => {
      const re = Block.fromParts(b.header, b.body()).encode()
      expect(equalBytes(re, raws[i]!)).toBe(true)
    })
  })

  it('links every parentHash to the previous header hash and reaches the head', () => {
    // the genesis hash as given in the vectors README: 0xbd6a252a…67533
    const parent = bytesToHex(blocks[0]!.header.parentHash)
    expect(parent.startsWith('0xbd6a252a')).toBe(true)
    expect(parent.endsWith('67533')).toBe(true)
    for (let i = 1; i < blocks.length; i++) {
      expect(equalBytes(blocks[i]!.header.parentHash, blocks[i - 1]!.hash)).toBe(true)
    }
    const last = blocks[blocks.length - 1]!
    expect(bytesToHex(last.hash)).toBe(head.hash)
    expect(last.header.number).toBe(BigInt(head.number))
  })

  it('checks every transactions, uncles and withdrawals root against its header', () => {
    let txs = 0
    let nonEmptyWithdrawals = 0
    const shapes = new Set<number>()
    const types = new Set<number>()
    for (const b of blocks) {
      expect(equalBytes(transactionsRoot(b.transactions), b.header.txRoot)).toBe(true)
      expect(equalBytes(unclesHash(b.uncles), b.header.uncleHash)).toBe(true)
      expect(equalBytes(withdrawalsRoot(b.withdrawals!), b.header.withdrawalsRoot!)).toBe(true)
      checkBody(b.header, b.body())
      txs += b.transactions.length
      for (const t of b.transactions) types.add(t.type)
      if (!equalBytes(b.header.withdrawalsRoot!, EMPTY_TRIE_ROOT)) nonEmptyWithdrawals++
      shapes.add(b.header.requestsHash ? 21 : b.header.parentBeaconRoot ? 20 : 17)
    }
    expect(txs).toBe(603)
    expect([...shapes].sort()).toEqual([17, 20, 21])
    expect(types.size).toBeGreaterThanOrEqual(4)
    expect(nonEmptyWithdrawals).toBeGreaterThan(0)
  })

  it('checkBody names the mismatching root', () => {
    const b = blocks.find((x) => x.transactions.length > 1)!
    const body = b.body()
    const swapped = { ...body, transactions: [...body.transactions].reverse() }
    try {
      checkBody(b.header, swapped)
      expect.unreachable()
    } catch (e) {
      expect(isWireError(e, 'ErrInvalidValue')).toBe(true)
      expect(String(e)).toMatch(/transactions root/)
    }
    const w = blocks.find((x) => (x.withdrawals?.length ?? 0) > 0)!
    expect(() => checkBody(w.header, { ...w.body(), withdrawals: [] })).toThrow(/withdrawals root/)
  })

  it('serves the chain as eth/68 BlockHeaders and BlockBodies messages that decode to the same hashes', () => {
    const headers = blocks.map((b) => b.header)
    const hm = encodeMessage(68, { name: 'BlockHeaders', requestId: 9n, headers })
    const back = decodeMessage(68, hm)
    if (back.name !== 'BlockHeaders') throw new Error('wrong message')
    expect(back.headers.map((h) => bytesToHex(h.hash))).toEqual(
      headers.map((h) => bytesToHex(h.hash)),
    )
    const bm = encodeMessage(68, {
      name: 'BlockBodies',
      requestId: 9n,
      bodies: blocks.map((b) => b.body()),
    })
    const bodies = decodeMessage(68, bm)
    if (bodies.name !== 'BlockBodies') throw new Error('wrong message')
    bodies.bodies.forEach((body, i) => {
      checkBody(headers[i]!, body)
    })
  })

  it('every transaction hash and sigHash is stable across re-decoding', () => {
    let n = 0
    for (const b of blocks) {
      for (const t of b.transactions) {
        const bytes = t.encode()
        const again = Transaction.decode(bytes)
        // The hash is the keccak of the canonical encoding, and survives an encode/decode round.
        expect(bytesToHex(t.hash)).toBe(bytesToHex(keccak256(bytes)))
        expect(bytesToHex(again.hash)).toBe(bytesToHex(t.hash))
        expect(bytesToHex(again.sigHash())).toBe(bytesToHex(t.sigHash()))
        expect(bytesToHex(again.encode())).toBe(bytesToHex(bytes))
        n++
      }
    }
    expect(n).toBe(603)
  })
})
