// Loads a fixture chain: genesis header (via @ethwire/chain), its state in the memory database, and
// the blocks of chain.rlp.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { genesisHeader, parseGenesis } from '@ethwire/chain'
import { Block, type BlockHeader, rlpSplitConcat } from '@ethwire/rlp-wire'
import { createMemoryStateDatabase, type MemoryStateDatabase } from '../../src/testing.js'

const here = dirname(fileURLToPath(import.meta.url))
export const fixture = (f: string) => join(here, '..', 'fixtures', f)

export interface FixtureChain {
  genesisJson: ReturnType<typeof parseGenesis>
  genesis: BlockHeader
  blocks: Block[]
  db: MemoryStateDatabase
}

export function loadChain(genesisFile: string, chainFile: string): FixtureChain {
  const genesisJson = parseGenesis(readFileSync(fixture(genesisFile), 'utf8'))
  const db = createMemoryStateDatabase()
  const root = db.loadGenesis(genesisJson.alloc ?? {})
  const genesis = genesisHeader(genesisJson, root)
  const blocks = rlpSplitConcat(readFileSync(fixture(chainFile))).map((b) => Block.decode(b))
  return { genesisJson, genesis, blocks, db }
}
