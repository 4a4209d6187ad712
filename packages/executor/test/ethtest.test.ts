import { readFileSync } from 'node:fs'
import { bytesToHex, equalBytes, hexToBytes } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import { compareWithHeader, createExecutor } from '../src/index.js'
import { fixture, loadChain } from './support/chains.js'

describe('ethtest chain (600 blocks by go-ethereum: Shanghai, Cancun at t=60, Prague at t=120)', () => {
  it('executes every block with every header field matching, and the head state matches headstate.json', async () => {
    const c = await loadChain('ethtest-genesis.json', 'ethtest-chain.rlp')
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
      if (bad) throw new Error(`block ${block.header.number}: ${bad} differs`)
      c.write(r.ops)
      headers.set(bytesToHex(block.header.hash), block.header)
      parent = block.header
    }
    expect(parent.number).toBe(600n)
    const head = JSON.parse(readFileSync(fixture('ethtest-headstate.json'), 'utf8')) as {
      root: string
      accounts: Record<
        string,
        { balance: string; nonce: number; code?: string; storage?: Record<string, string> }
      >
    }
    expect(bytesToHex(parent.stateRoot)).toBe(`0x${head.root.replace(/^0x/, '')}`)
    for (const [address, want] of Object.entries(head.accounts)) {
      const a = hexToBytes(address)
      const got = await c.state.getAccount(parent.stateRoot, a)
      expect(got, address).toBeDefined()
      expect(got!.balance, address).toBe(BigInt(want.balance))
      expect(got!.nonce, address).toBe(BigInt(want.nonce))
      const code = await c.state.getCode(got!.codeHash)
      expect(code?.length ? bytesToHex(code) : undefined, address).toBe(want.code)
      for (const [slot, value] of Object.entries(want.storage ?? {})) {
        const v = await c.state.getStorage(parent.stateRoot, a, hexToBytes(slot))
        expect(BigInt(bytesToHex(v)), `${address} ${slot}`).toBe(
          BigInt(`0x${value.replace(/^0x/, '')}`),
        )
      }
      // The storage root covers exactly the listed slots (nothing more, nothing less).
      expect(bytesToHex(got!.storageRoot), address).toBe((want as { root?: string }).root)
    }
    void equalBytes
  }, 120_000)
})
