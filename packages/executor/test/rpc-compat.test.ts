import { bytesToHex } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import { compareWithHeader, createExecutor } from '../src/index.js'
import { loadChain } from './support/chains.js'

describe('rpc-compat chain (Frontier → merge at 36 → Shanghai … Osaka, BPO1, BPO2)', () => {
  it('executes every block with no mismatch', async () => {
    const c = await loadChain('rpc-compat/genesis.json', 'rpc-compat/chain.rlp')
    expect(bytesToHex(c.genesis.hash)).toBe(bytesToHex(c.blocks[0]!.header.parentHash))
    const headers = c.headers
    const exec = await createExecutor(
      { state: c.state, headers: { getHeader: async (h) => headers.get(bytesToHex(h)) } },
      { config: c.genesisJson.config },
    )
    let parent = c.genesis
    for (const block of c.blocks) {
      const r = await exec.executeBlock({ block, parent })
      const bad = compareWithHeader(block.header, r)
      if (bad)
        throw new Error(`block ${block.header.number} (t=${block.header.time}): ${bad} differs`)
      c.write(r.ops)
      headers.set(bytesToHex(block.header.hash), block.header)
      parent = block.header
    }
    expect(parent.number).toBe(BigInt(c.blocks.length))
  }, 120_000)
})
