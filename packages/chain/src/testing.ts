/** Test helpers for @ethwire/chain users: a temporary chain on disk with a faker engine. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Chain, openChain } from './chain.js'
import { createBeacon, createFaker, type Engine } from './engines.js'
import type { GenesisJson } from './genesis.js'

/** A small London+Shanghai genesis merged at block 0 (post-merge rules from block 1). */
export function testGenesis(): GenesisJson {
  return {
    config: {
      chainId: 1337,
      homesteadBlock: 0,
      londonBlock: 0,
      shanghaiTime: 0,
      terminalTotalDifficulty: 0,
    },
    gasLimit: '0x1c9c380',
    difficulty: '0x0',
    alloc: { '0x00000000000000000000000000000000000000aa': { balance: '0x100' } },
  }
}

/** Opens a chain in a fresh temporary directory; `cleanup()` closes it and removes the directory. */
export async function tempChain(
  opts: { genesis?: GenesisJson; engine?: Engine } = {},
): Promise<{ chain: Chain; dir: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ethwire-chain-'))
  const chain = await openChain(
    { location: dir, engine: opts.engine ?? createBeacon(createFaker()) },
    { genesis: opts.genesis ?? testGenesis() },
  )
  return {
    chain,
    dir,
    cleanup: async () => {
      await chain.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
