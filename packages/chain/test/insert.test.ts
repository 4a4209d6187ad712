import { Block, BlockHeader, bytesToHex, equalBytes, type HeaderData } from '@ethwire/rlp-wire'
import { afterEach, describe, expect, it } from 'vitest'
import {
  buildEmptyBlock,
  type Chain,
  type ChainErrorCode,
  type ChainEvent,
  createFaker,
  isChainError,
  openChain,
} from '../src/index.js'
import { tempChain, testGenesis } from '../src/testing.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function setup(
  genesis = testGenesis(),
  engine = undefined as ReturnType<typeof createFaker> | undefined,
) {
  const t = await tempChain({ genesis, engine })
  cleanups.push(t.cleanup)
  return t
}

/** A valid empty child of `parent`, with header fields overridden afterwards (not re-validated). */
async function child(
  chain: Chain,
  parent: BlockHeader,
  over: Partial<HeaderData> = {},
  dt = 12n,
): Promise<Block> {
  const b = await buildEmptyBlock(chain, parent, parent.time + dt)
  if (Object.keys(over).length === 0) return b
  return new Block(BlockHeader.fromData({ ...b.header.toData(), ...over }), b.body())
}

async function chainOf(chain: Chain, from: BlockHeader, n: number, tag: number): Promise<Block[]> {
  const out: Block[] = []
  let p = from
  for (let i = 0; i < n; i++) {
    const b = await child(chain, p, { extra: Uint8Array.of(tag) })
    out.push(b)
    p = b.header
  }
  return out
}

const code = (c: ChainErrorCode) => (e: unknown) => isChainError(e, c)

describe('insertChain (post-merge, beacon over faker)', () => {
  it('extends the head, emits events, serves readers', async () => {
    const { chain } = await setup()
    const events: ChainEvent['type'][] = []
    chain.on((e) => events.push(e.type))
    const blocks = await chainOf(chain, chain.genesis, 5, 1)
    const r = await chain.insertChain(blocks)
    expect(r).toEqual({ inserted: 5, known: 0, headChanged: true })
    expect(events).toEqual(['block', 'block', 'block', 'block', 'block', 'head'])
    expect(chain.currentHeader().number).toBe(5n)
    const b3 = blocks[2] as Block
    expect(bytesToHex((await chain.getCanonicalHash(3n)) as Uint8Array)).toBe(bytesToHex(b3.hash))
    expect((await chain.getHeaderByNumber(3n))?.hash).toEqual(b3.hash)
    expect((await chain.getHeaderByHash(b3.hash))?.number).toBe(3n)
    expect((await chain.getBody(b3.hash))?.transactions).toEqual([])
    expect(await chain.getTd(b3.hash)).toBe(0n)
    expect((await chain.currentBlock()).hash).toEqual((blocks[4] as Block).hash)
    expect((await chain.insertChain(blocks)).known).toBe(5)
    await chain.verifyIntegrity()
  })

  it('reorgs to a longer side chain after the merge and rewrites the canonical index', async () => {
    const { chain } = await setup()
    const a = await chainOf(chain, chain.genesis, 4, 1)
    await chain.insertChain(a)
    const b = await chainOf(chain, (a[1] as Block).header, 3, 2) // forks at 2, reaches 5
    const reorgs: bigint[] = []
    chain.on((e) => {
      if (e.type === 'reorg') reorgs.push(e.ancestor)
    })
    await chain.insertChain(b.slice(0, 2)) // reaches 4: a tie, the head stays
    expect(chain.currentHeader().hash).toEqual((a[3] as Block).hash)
    await chain.insertChain(b.slice(2))
    expect(reorgs).toEqual([2n])
    expect(chain.currentHeader().hash).toEqual((b[2] as Block).hash)
    for (const [n, blk] of [
      [3n, b[0]],
      [4n, b[1]],
      [5n, b[2]],
    ] as const)
      expect(equalBytes((await chain.getCanonicalHash(n)) as Uint8Array, (blk as Block).hash)).toBe(
        true,
      )
    // side blocks stay readable by hash
    expect((await chain.getHeaderByHash((a[3] as Block).hash))?.number).toBe(4n)
    await chain.verifyIntegrity()
  })

  it('setHead rewinds the canonical chain and new blocks build on the new head', async () => {
    const { chain, dir } = await setup()
    const a = await chainOf(chain, chain.genesis, 6, 1)
    await chain.insertChain(a)
    await chain.setHead(3n)
    expect(chain.currentHeader().number).toBe(3n)
    expect(await chain.getCanonicalHash(4n)).toBeUndefined()
    expect(await chain.getHeaderByHash((a[4] as Block).hash)).toBeUndefined()
    await chain.verifyIntegrity()
    const b = await chainOf(chain, chain.currentHeader(), 1, 9)
    await chain.insertChain(b)
    expect(chain.currentHeader().number).toBe(4n)
    await chain.close()
    const re = await openChain({ location: dir, engine: chain.engine })
    expect(re.currentHeader().hash).toEqual((b[0] as Block).hash)
    await re.verifyIntegrity()
    await re.close()
  })

  it('rejects bad headers and bodies with typed errors, keeping the valid prefix', async () => {
    const { chain } = await setup()
    const g = chain.genesis
    const ok = await child(chain, g)
    const cases: [string, Promise<Block>, ChainErrorCode][] = [
      ['timestamp', child(chain, g, { time: g.time }), 'ErrInvalidTimestamp'],
      [
        'gas limit',
        child(chain, g, { gasLimit: g.gasLimit + g.gasLimit / 1024n }),
        'ErrInvalidGasLimit',
      ],
      ['gas used', child(chain, g, { gasUsed: g.gasLimit + 1n }), 'ErrInvalidGasUsed'],
      ['extra', child(chain, g, { extra: new Uint8Array(33) }), 'ErrExtraDataTooLong'],
      ['base fee', child(chain, g, { baseFee: 7n }), 'ErrInvalidBaseFee'],
      ['no withdrawals', child(chain, g, { withdrawalsRoot: undefined }), 'ErrForkFieldMissing'],
      [
        'blob before cancun',
        child(chain, g, { blobGasUsed: 0n, excessBlobGas: 0n }),
        'ErrForkFieldForbidden',
      ],
      ['difficulty', child(chain, g, { difficulty: 1n }), 'ErrInvalidDifficulty'],
      [
        'nonce',
        child(chain, g, { nonce: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1) }),
        'ErrInvalidNonce',
      ],
      ['uncles', child(chain, g, { uncleHash: new Uint8Array(32) }), 'ErrInvalidUncles'],
      ['tx root', child(chain, g, { txRoot: new Uint8Array(32) }), 'ErrInvalidBody'],
      ['parent', child(chain, g, { parentHash: new Uint8Array(32) }), 'ErrUnknownParent'],
    ]
    for (const [what, bp, c] of cases) {
      const bad = await bp
      await expect(chain.insertChain([bad]), what).rejects.toSatisfy(code(c))
    }
    // valid prefix kept; the bad block and everything after it not
    const bad = await child(chain, ok.header, { time: ok.header.time })
    await expect(chain.insertChain([ok, bad])).rejects.toSatisfy(code('ErrInvalidTimestamp'))
    expect(chain.currentHeader().hash).toEqual(ok.hash)
    expect(await chain.hasBlock(bad.hash)).toBe(false)
  })
})

describe('insertChain (pre-merge, total difficulty)', () => {
  it('picks the heavier chain even when it is shorter, and drops the canonical entries above it', async () => {
    const g = testGenesis()
    g.config.terminalTotalDifficulty = undefined
    g.difficulty = '0x1'
    const { chain } = await setup(g, createFaker())
    const mk = async (from: BlockHeader, diffs: bigint[], tag: number) => {
      const out: Block[] = []
      let p = from
      for (const d of diffs) {
        const b = await child(chain, p, { difficulty: d, extra: Uint8Array.of(tag) })
        out.push(b)
        p = b.header
      }
      return out
    }
    const a = await mk(chain.genesis, [1n, 1n, 1n], 1)
    await chain.insertChain(a)
    expect(chain.currentTd()).toBe(4n)
    const b = await mk(chain.genesis, [5n], 2)
    await chain.insertChain(b)
    expect(chain.currentHeader().hash).toEqual((b[0] as Block).hash)
    expect(chain.currentTd()).toBe(6n)
    expect(await chain.getCanonicalHash(2n)).toBeUndefined()
    await chain.verifyIntegrity()
    // zero difficulty before the merge is refused
    await expect(chain.insertChain(await mk((b[0] as Block).header, [0n], 3))).rejects.toSatisfy(
      code('ErrInvalidDifficulty'),
    )
  })
})
