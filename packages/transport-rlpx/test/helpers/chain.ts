/** The first blocks of the ethtest chain (fixtures/chain-first8.rlp) as decoded RLP trees. */
import { readFileSync } from 'node:fs'
import { asList, type RlpItem, rlpDecode, rlpEncode, rlpItemLength } from '@ethwire/rlp-wire'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToUint } from '../../src/bytes.js'

export interface TestBlock {
  readonly number: number
  readonly hash: Uint8Array
  readonly header: RlpItem
  /** [txs, uncles, withdrawals?] as it appears in BlockBodies. */
  readonly body: RlpItem[]
  readonly txCount: number
}

export function loadTestChain(): { genesisHash: Uint8Array; blocks: TestBlock[] } {
  const bytes = new Uint8Array(
    readFileSync(new URL('../fixtures/chain-first8.rlp', import.meta.url)),
  )
  const blocks: TestBlock[] = []
  for (let off = 0; off < bytes.length; ) {
    const len = rlpItemLength(bytes.subarray(off))
    const block = asList(rlpDecode(bytes.subarray(off, off + len)), 'block')
    off += len
    const header = asList(block[0], 'header')
    const txs = asList(block[1], 'txs')
    blocks.push({
      number: bytesToUint(header[8] as Uint8Array),
      // Canonical RLP re-encodes to the same bytes, so this is the header hash.
      hash: keccak_256(rlpEncode(block[0]!)),
      header: block[0]!,
      body: block.slice(1),
      txCount: txs.length,
    })
  }
  const genesisHash = (blocks[0]!.header as Uint8Array[])[0]!
  return { genesisHash, blocks }
}

/**
 * Deterministic stand-in receipts for a block (chain.rlp carries none): one legacy-shaped receipt
 * per transaction, `[status 1, cumulativeGas, bloom, logs]`. Both responders serve these, and
 * requesters check what arrives against the same function.
 */
export function receiptsFor(b: TestBlock): RlpItem[] {
  const out: RlpItem[] = []
  for (let i = 0; i < b.txCount; i++) {
    const gas = (i + 1) * 21_000 + b.number
    out.push([Uint8Array.of(1), uintBytes(gas), new Uint8Array(256), []])
  }
  return out
}

export function uintBytes(n: number): Uint8Array {
  const out: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256)
  return Uint8Array.from(out)
}
