import { readFileSync } from 'node:fs'
import { bytesToHex, equalBytes } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import { compareWithHeader, createExecutor } from '../src/index.js'
import { fixture, loadChain } from './support/chains.js'

describe('ethtest chain (600 blocks by go-ethereum: Shanghai, Cancun at t=60, Prague at t=120)', () => {
  it('executes every block with every header field matching, and the head state matches headstate.json', async () => {
    const c = loadChain('ethtest-genesis.json', 'ethtest-chain.rlp')
    expect(bytesToHex(c.genesis.hash)).toBe(bytesToHex(c.blocks[0]!.header.parentHash))
    const headers = new Map([[bytesToHex(c.genesis.hash), c.genesis]])
    const exec = await createExecutor(
      { state: c.db, headers: { getHeader: async (h) => headers.get(bytesToHex(h)) } },
      { config: c.genesisJson.config },
    )
    let parent = c.genesis
    for (const block of c.blocks) {
      const r = await exec.executeBlock({ block, parent })
      const bad = compareWithHeader(block.header, r)
      if (bad) throw new Error(`block ${block.header.number}: ${bad} differs`)
      headers.set(bytesToHex(block.header.hash), block.header)
      parent = block.header
    }
    expect(parent.number).toBe(600n)
    const head = JSON.parse(readFileSync(fixture('ethtest-headstate.json'), 'utf8')) as {
      root: string
      accounts: Record<string, { balance: string; nonce: number; code?: string; storage?: Record<string, string> }>
    }
    expect(bytesToHex(parent.stateRoot)).toBe(`0x${head.root.replace(/^0x/, '')}`)
    const dump = c.db.dump(parent.stateRoot)
    expect(dump.size).toBe(Object.keys(head.accounts).length)
    for (const [address, want] of Object.entries(head.accounts)) {
      const got = dump.get(address.toLowerCase().slice(2))
      expect(got, address).toBeDefined()
      expect(got!.account.balance, address).toBe(BigInt(want.balance))
      expect(got!.account.nonce, address).toBe(BigInt(want.nonce))
      expect(got!.code ? bytesToHex(got!.code) : undefined, address).toBe(want.code)
      const storage = want.storage ?? {}
      expect(got!.storage.size, address).toBe(Object.keys(storage).length)
      for (const [slot, value] of Object.entries(storage)) {
        const v = got!.storage.get(slot.slice(2))
        expect(v && BigInt(bytesToHex(v)), `${address} ${slot}`).toBe(BigInt(`0x${value.replace(/^0x/, "")}`))
      }
    }
    void equalBytes
  }, 120_000)
})
