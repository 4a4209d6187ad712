/**
 * Sync the 600-block hive test chain (real transactions of every type, withdrawals, Cancun and
 * Prague headers) from test peers, decoding it with @ethwire/rlp-wire. The local chain holds
 * blocks 1..200 as a trusted start (the file has no genesis block).
 */
import { readFileSync } from 'node:fs'
import { FakeClock, seededRandom } from '@ethwire/interface/testing'
import { Block, bytesToHex } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import { createDownloader } from '../src/index.js'
import { MemoryChain, TestPeer } from '../src/testing.js'

/** Split concatenated RLP lists (each block is one long list). */
function splitRlp(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i]!
    let total: number
    if (b >= 0xf8) {
      const lenOfLen = b - 0xf7
      let len = 0
      for (let k = 0; k < lenOfLen; k++) len = len * 256 + bytes[i + 1 + k]!
      total = 1 + lenOfLen + len
    } else if (b >= 0xc0) {
      total = 1 + (b - 0xc0)
    } else {
      throw new Error(`not a list at offset ${i}`)
    }
    out.push(bytes.subarray(i, i + total))
    i += total
  }
  return out
}

const raw = readFileSync(new URL('./fixtures/chain.rlp', import.meta.url))
const blocks = splitRlp(new Uint8Array(raw)).map((b) => Block.decode(b))
const head = JSON.parse(
  readFileSync(new URL('./fixtures/headblock.json', import.meta.url), 'utf8'),
) as {
  hash: string
}

describe('real chain (hive ethtest, 600 blocks)', () => {
  it('decodes to a linked chain ending at the known head', () => {
    expect(blocks).toHaveLength(600)
    expect(blocks[0]!.header.number).toBe(1n)
    expect(bytesToHex(blocks[599]!.hash)).toBe(head.hash)
    expect(blocks.reduce((n, b) => n + b.transactions.length, 0)).toBe(603)
  })

  it('syncs it from three peers, checking every body against its header', async () => {
    const clock = new FakeClock()
    const chain = new MemoryChain(blocks.slice(0, 200)) // blocks 1..200, trusted
    const dl = createDownloader({ chain, clock, random: seededRandom(3) })
    const peers = ['a', 'b', 'c'].map(
      (id, i) => new TestPeer({ id, blocks, clock, latencyMs: 10 + 10 * i }),
    )
    for (const p of peers) dl.registerPeer(p)
    // No total difficulty after the merge: sync by head hash alone (as on eth/69).
    const result = await clock.run(dl.synchronise('a', blocks[599]!.hash))
    expect(result).toMatchObject({ ancestor: 200n, highest: 600n, imported: 400 })
    expect(bytesToHex(chain.currentBlock().hash)).toBe(head.hash)
    for (const p of peers) expect(p.dropped).toBeUndefined()
    expect(peers.reduce((n, p) => n + p.served.bodies, 0)).toBeGreaterThanOrEqual(
      blocks.slice(200).filter((b) => b.transactions.length > 0).length,
    )
  })

  it('drops a peer that serves a real body with a transaction removed', async () => {
    const clock = new FakeClock()
    const chain = new MemoryChain(blocks.slice(0, 200))
    const dl = createDownloader({ chain, clock, random: seededRandom(4) })
    const good = new TestPeer({ id: 'good', blocks, clock, latencyMs: 20 })
    const bad = new TestPeer({ id: 'bad', blocks, clock, latencyMs: 5, corruptBodies: () => true })
    dl.registerPeer(good)
    dl.registerPeer(bad)
    const result = await clock.run(dl.synchronise('good', blocks[599]!.hash))
    expect(result.imported).toBe(400)
    expect(bad.dropped?.code).toBe('ErrInvalidBody')
  })
})
