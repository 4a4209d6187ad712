import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { importChainFile } from '@ethwire/chain'
import { afterEach, describe, expect, it } from 'vitest'
import { openExecutedChain } from './executed.js'

// ethereum/execution-apis tests/ at 033ca6e6 (CC0), as collected in vectors/rpc-compat/: proof of work
// from Frontier (uncles, rewards) through the merge at block 36, then Shanghai … Osaka, BPO1, BPO2.
const fx = (f: string) => join(import.meta.dirname, '..', 'fixtures', 'rpc-compat', f)
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('rpc-compat chain through the chain with execution', () => {
  it('imports every block (fake PoW seals), executing each with no mismatch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chain-rpccompat-'))
    dirs.push(dir)
    const chain = await openExecutedChain(
      { location: dir },
      { genesis: readFileSync(fx('genesis.json'), 'utf8'), fakePow: true },
    )
    const p = await importChainFile(chain, fx('chain.rlp'))
    expect(p.inserted).toBe(54)
    expect(chain.currentHeader().number).toBe(54n)
    expect(await chain.hasState(chain.currentHeader().stateRoot)).toBe(true)
    const b42 = await chain.getBlockByNumber(42n) // a blob transaction
    expect((await chain.getReceipts(b42!.header.hash))?.some((r) => r.type === 3)).toBe(true)
    await chain.close()
  }, 60_000)
})
