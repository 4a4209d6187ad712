/**
 * Three nodes in one process, each with its own LevelDB chain, connected over in-memory pipes:
 * a new node syncs 200 blocks from a peer, then a block mined on one node reaches the others.
 * Run: pnpm --filter @ethwire/protocol-manager example
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildEmptyBlock, type Chain, createFaker, openChain } from '@ethwire/chain'
import { createProtocolManager, type ProtocolManager } from '@ethwire/protocol-manager'
import { connectManagers, waitFor } from '@ethwire/protocol-manager/testing'

const genesis = {
  config: { chainId: 1337, homesteadBlock: 0, byzantiumBlock: 0, londonBlock: 0 },
  gasLimit: '0x1c9c380',
  difficulty: '0x20000', // proof-of-work style: the heavier chain wins
  alloc: {},
}

const dirs: string[] = []
async function node(name: string): Promise<{ chain: Chain; pm: ProtocolManager }> {
  const dir = mkdtempSync(join(tmpdir(), `pm-example-${name}-`))
  dirs.push(dir)
  const chain = await openChain({ location: dir, engine: createFaker() }, { genesis })
  const pm = createProtocolManager(
    { chain },
    {
      networkId: 1337n,
      forkConfig: { genesisHash: chain.genesis.hash, forksByBlock: [], forksByTime: [] },
      minSyncPeers: 1, // sync as soon as one better peer is there (default 5)
    },
  )
  await pm.start()
  return { chain, pm }
}

async function mine(chain: Chain): Promise<import('@ethwire/rlp-wire').Block> {
  const parent = chain.currentHeader()
  const block = await buildEmptyBlock(chain, parent, parent.time + 10n)
  await chain.insertChain([block])
  return block
}

const a = await node('a')
for (let i = 0; i < 200; i++) await mine(a.chain)
const b = await node('b')
const c = await node('c')
b.pm.on('sync:done', ({ result }) =>
  console.log(`b synced ${result.imported} blocks from ${result.peerId}`),
)

connectManagers(a.pm, b.pm, { version: 68, nameA: 'a', nameB: 'b' })
await waitFor(() => b.chain.currentHeader().number === 200n, 20_000)
connectManagers(b.pm, c.pm, { version: 68, nameA: 'b', nameB: 'c' })
await waitFor(() => c.chain.currentHeader().number === 200n, 20_000)
console.log('heads:', [a, b, c].map((n) => n.chain.currentHeader().number).join(' '))

const block = await mine(a.chain)
await a.pm.announceMined(block) // whole block to √n peers, hash to the rest
await waitFor(() => c.chain.currentHeader().number === 201n, 20_000)
console.log('after mining on a:', [a, b, c].map((n) => n.chain.currentHeader().number).join(' '))
console.log('c imported by the block fetcher:', c.pm.stats().blocksImportedByFetcher)

for (const n of [a, b, c]) {
  await n.pm.stop()
  await n.chain.close()
}
for (const d of dirs) rmSync(d, { recursive: true, force: true })
