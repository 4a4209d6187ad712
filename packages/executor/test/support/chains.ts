// Loads a fixture chain: the genesis header (via @ethwire/chain), its state in @ethwire/state over an
// in-memory key-value store (ops applied after each block, as the chain does in its batch), and the
// blocks of chain.rlp.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { genesisHeader, parseGenesis } from '@ethwire/chain'
import { Block, type BlockHeader, bytesToHex, rlpSplitConcat } from '@ethwire/rlp-wire'
import { createStateDatabase, genesisCommit, type StateDatabase } from '@ethwire/state'
import type { BatchOp } from '../../src/index.js'

const here = dirname(fileURLToPath(import.meta.url))
export const fixture = (f: string) => join(here, '..', 'fixtures', f)

export interface MemoryKv {
  get(key: Uint8Array): Promise<Uint8Array | undefined>
  write(ops: readonly BatchOp[]): void
  readonly size: number
}

export function memoryKv(): MemoryKv {
  const m = new Map<string, Uint8Array>()
  const k = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
  return {
    get: async (key) => m.get(k(key)),
    write(ops) {
      for (const op of ops) m.set(k(op.key), op.value)
    },
    get size() {
      return m.size
    },
  }
}

export interface FixtureChain {
  genesisJson: ReturnType<typeof parseGenesis>
  genesis: BlockHeader
  blocks: Block[]
  kv: MemoryKv
  state: StateDatabase
  /** Stores ops (as the chain's batch would) and tells the state. */
  write(ops: readonly BatchOp[]): void
  headers: Map<string, BlockHeader>
}

export async function loadChain(genesisFile: string, chainFile: string): Promise<FixtureChain> {
  const genesisJson = parseGenesis(readFileSync(fixture(genesisFile), 'utf8'))
  const kv = memoryKv()
  const state = createStateDatabase({ db: kv }, { cacheBytes: 32 << 20 })
  const g = await genesisCommit(genesisJson.alloc ?? {})
  const write = (ops: readonly BatchOp[]) => {
    kv.write(ops)
    state.written(ops)
  }
  write(g.ops)
  const genesis = genesisHeader(genesisJson, g.root)
  const blocks = rlpSplitConcat(readFileSync(fixture(chainFile))).map((b) => Block.decode(b))
  const headers = new Map([[bytesToHex(genesis.hash), genesis]])
  return { genesisJson, genesis, blocks, kv, state, write, headers }
}
