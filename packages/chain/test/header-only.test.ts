/**
 * A chain opened from a header-only genesis (a network preset: header and state root, no alloc)
 * with an executor: it opens without the genesis state, refuses to execute blocks with
 * `ErrStateNotSynced`, takes a fast sync's blocks and receipts, and executes again once a pivot
 * with its state is committed; a reopen remembers all of it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Block, BlockHeader, bytesToHex, keccak256 } from '@ethwire/rlp-wire'
import { afterEach, describe, expect, it } from 'vitest'
import {
  buildEmptyBlock,
  type Chain,
  type Executor,
  isChainError,
  isHeaderOnlyGenesis,
  networks,
  openChain,
} from '../src/index.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ethwire-header-only-'))
  dirs.push(d)
  return d
}

/** An executor whose stored states are the roots in `states`; a block keeps its header's root. */
function executorOver(states: Set<string>): Executor & { executed: bigint[] } {
  const executed: bigint[] = []
  return {
    executed,
    async executeBlock({ block }) {
      executed.push(block.header.number)
      states.add(bytesToHex(block.header.stateRoot))
      return {
        stateRoot: block.header.stateRoot,
        receipts: [],
        gasUsed: 0n,
        logsBloom: new Uint8Array(256),
        blobGasUsed: block.header.blobGasUsed,
        requestsHash: block.header.requestsHash,
        ops: [],
      }
    },
    async genesisState() {
      throw new Error('a header-only genesis must not ask for the genesis state')
    },
    async hasState(root) {
      return states.has(bytesToHex(root))
    },
    written() {},
  }
}

/** `count` empty blocks on the genesis, block i with the state root keccak(i) (not inserted). */
async function blocksOn(chain: Chain, count: number): Promise<Block[]> {
  const out: Block[] = []
  let parent = chain.genesis
  for (let i = 1; i <= count; i++) {
    const b = await buildEmptyBlock(chain, parent, parent.time + 12n)
    const header = BlockHeader.fromData({
      ...b.header,
      difficulty: 0n, // merged at genesis (hoodi)
      stateRoot: keccak256(Uint8Array.of(i)),
    })
    const block = new Block(header, b.body())
    out.push(block)
    parent = header
  }
  return out
}

describe('header-only genesis with an executor', () => {
  for (const name of ['hoodi', 'sepolia'] as const) {
    it(`${name}: opens without the genesis state and reports the genesis`, async () => {
      const p = networks[name]
      expect(isHeaderOnlyGenesis(p.genesis)).toBe(true)
      const chain = await openChain(
        { location: tmp(), executor: executorOver(new Set()) },
        { genesis: p.genesis, fakePow: name === 'sepolia' },
      )
      expect(bytesToHex(chain.genesis.hash)).toBe(p.genesisHash)
      expect(bytesToHex(chain.currentHeader().hash)).toBe(p.genesisHash)
      expect(chain.headerOnlyGenesis).toBe(true)
      expect(chain.headStateMissing).toBe(true)
      expect(await chain.hasState(chain.genesis.stateRoot)).toBe(false)
      // headers and bodies are served as from any chain
      expect(bytesToHex((await chain.getHeaderByNumber(0n))!.hash)).toBe(p.genesisHash)
      expect(await chain.getBody(chain.genesis.hash)).toBeDefined()
      await chain.close()
    })
  }

  it('a genesis with its alloc still needs its state (no header-only mode)', async () => {
    const chain = await openChain(
      { location: tmp(), executor: executorOver(new Set()) },
      { genesis: { ...networks.hoodi.genesis, stateRoot: undefined, alloc: {} } as never },
    ).then(
      () => undefined,
      (e: unknown) => e,
    )
    // the double refuses genesisState: an alloc genesis goes through it
    expect(String(chain)).toMatch(/must not ask/)
  })

  it('refuses execution until a fast sync commits a pivot with its state, also across a reopen', async () => {
    const dir = tmp()
    const states = new Set<string>()
    const ex = executorOver(states)
    const genesis = networks.hoodi.genesis
    let chain = await openChain({ location: dir, executor: ex }, { genesis })
    const blocks = await blocksOn(chain, 4)

    const err = await chain.insertChain(blocks.slice(0, 1)).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isChainError(err, 'ErrStateNotSynced'), String(err)).toBe(true)
    expect(String(err)).toMatch(/header-only genesis.*--syncmode fast/)
    expect((err as { local?: boolean }).local).toBe(true) // a syncing downloader blames no peer
    expect(ex.executed).toEqual([])
    expect(await chain.hasBlock(blocks[0]!.hash)).toBe(false)

    // a fast sync stores blocks with receipts, unexecuted
    await chain.insertReceiptChain(blocks.slice(0, 3), [[], [], []])
    expect(chain.currentFastHeader().number).toBe(3n)
    expect(chain.currentHeader().number).toBe(0n)
    expect(chain.headStateMissing).toBe(true)

    // the pivot's state is not there yet
    const early = await chain.commitFastSyncHead(blocks[1]!.hash).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isChainError(early, 'ErrMissingState')).toBe(true)

    // reopened mid-sync (no genesis given): still header-only, still no head state
    await chain.close()
    chain = await openChain({ location: dir, executor: ex })
    expect(chain.headerOnlyGenesis).toBe(true)
    expect(chain.headStateMissing).toBe(true)
    expect(chain.currentFastHeader().number).toBe(3n)

    // the state sync brought the pivot's state: it becomes the head and execution resumes above it
    states.add(bytesToHex(blocks[1]!.header.stateRoot))
    await chain.commitFastSyncHead(blocks[1]!.hash)
    expect(chain.currentHeader().number).toBe(2n)
    expect(chain.headStateMissing).toBe(false)
    const r = await chain.insertChain(blocks.slice(2))
    expect(r.headChanged).toBe(true)
    expect(ex.executed).toEqual([3n, 4n])
    expect(chain.currentHeader().number).toBe(4n)
    await chain.verifyIntegrity()
    await chain.close()

    // reopened with the preset again: same chain, head with state, genesis still without
    chain = await openChain({ location: dir, executor: ex }, { genesis })
    expect(chain.currentHeader().number).toBe(4n)
    expect(chain.headStateMissing).toBe(false)
    expect(await chain.hasState(chain.genesis.stateRoot)).toBe(false)
    await chain.close()
  })
})
