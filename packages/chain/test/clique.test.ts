import * as crypto from '@ethwire/crypto'
import { FakeClock } from '@ethwire/interface/testing'
import { Block, BlockHeader, concatBytes, equalBytes, type HeaderData } from '@ethwire/rlp-wire'
import { afterEach, describe, expect, it } from 'vitest'
import {
  buildEmptyBlock,
  type Chain,
  type ChainErrorCode,
  type CliqueEngine,
  cliqueCheckpointSigners,
  createClique,
  createDevSealer,
  devGenesis,
  isChainError,
} from '../src/index.js'
import { tempChain } from '../src/testing.js'

const key = (i: number) => {
  const k = new Uint8Array(32)
  k[31] = i
  k[0] = 0x11
  return k
}
const keys = [key(1), key(2), key(3)]
const addrs = keys.map((k) => crypto.privateKeyToAddress(k))
const cmp = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b)
const sorted = [...addrs].sort(cmp)
const keyOf = (addr: Uint8Array) => keys[addrs.findIndex((a) => equalBytes(a, addr))] as Uint8Array
const code = (c: ChainErrorCode) => (e: unknown) => isChainError(e, c)

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function setup(opts: { signers?: Uint8Array[]; epoch?: number; period?: number } = {}) {
  const signers = opts.signers ?? addrs
  const g = devGenesis({ signer: signers[0] as Uint8Array, periodSeconds: opts.period ?? 0 })
  g.extraData = `0x${Buffer.from(concatBytes(new Uint8Array(32), ...signers, new Uint8Array(65))).toString('hex')}`
  g.config.clique = { period: opts.period ?? 0, epoch: opts.epoch ?? 30000 }
  const engine = createClique({ crypto }, { period: opts.period ?? 0, epoch: opts.epoch })
  const t = await tempChain({ genesis: g, engine })
  cleanups.push(t.cleanup)
  return t.chain
}

/** A block sealed by `signerKey` on `parent`; `over` is applied before sealing. */
async function sealedBy(
  chain: Chain,
  parent: BlockHeader,
  signerKey: Uint8Array,
  over: Partial<HeaderData> = {},
) {
  const eng = createClique(
    { crypto },
    {
      period: Number((chain.engine as CliqueEngine).period),
      epoch: Number((chain.engine as CliqueEngine).epoch),
      signerKey,
    },
  )
  const reader = {
    config: chain.config,
    getHeader: (h: Uint8Array, n: bigint) => chain.getHeader(h, n),
  }
  const b = await buildEmptyBlock(chain, parent, parent.time + 1n, eng)
  if (Object.keys(over).length === 0) return b
  const h = await eng.seal(reader, BlockHeader.fromData({ ...b.header.toData(), ...over }))
  return new Block(h, b.body())
}

describe('clique', () => {
  it('verifies in-turn (2) and out-of-turn (1) blocks and recovers the signer', async () => {
    const chain = await setup()
    const inTurn = sorted[1] as Uint8Array // block 1 % 3 = index 1
    const b1 = await sealedBy(chain, chain.genesis, keyOf(inTurn))
    expect(b1.header.difficulty).toBe(2n)
    await chain.insertChain([b1])
    expect(chain.engine.author(b1.header)).toEqual(inTurn)
    const b2 = await sealedBy(chain, b1.header, keyOf(sorted[0] as Uint8Array)) // in turn is index 2
    expect(b2.header.difficulty).toBe(1n)
    await chain.insertChain([b2])
    expect(chain.currentHeader().number).toBe(2n)
    expect(chain.currentTd()).toBe(1n + 2n + 1n)
    await chain.verifyIntegrity()
  })

  it('rejects an unknown signer, a recent signer, a wrong difficulty, a tampered seal and a short period', async () => {
    const chain = await setup({ period: 5 })
    const g = chain.genesis
    const stranger = key(9)
    await expect(chain.insertChain([await sealedBy(chain, g, stranger)])).rejects.toSatisfy(
      code('ErrUnauthorizedSigner'),
    )
    const s0 = keyOf(sorted[0] as Uint8Array)
    await expect(
      chain.insertChain([await sealedBy(chain, g, s0, { difficulty: 2n })]),
    ).rejects.toSatisfy(code('ErrInvalidDifficulty'))
    const b1 = await sealedBy(chain, g, s0)
    await chain.insertChain([b1])
    await expect(chain.insertChain([await sealedBy(chain, b1.header, s0)])).rejects.toSatisfy(
      code('ErrRecentlySigned'),
    )
    const s2 = keyOf(sorted[2] as Uint8Array)
    await expect(
      chain.insertChain([await sealedBy(chain, b1.header, s2, { time: b1.header.time + 1n })]),
    ).rejects.toSatisfy(code('ErrInvalidTimestamp'))
    const good = await sealedBy(chain, b1.header, s2)
    const extra = good.header.extra.slice()
    extra[40] = (extra[40] as number) ^ 1 // flips a byte of r: another (unauthorised) key recovers
    const tampered = new Block(
      BlockHeader.fromData({ ...good.header.toData(), extra }),
      good.body(),
    )
    await expect(chain.insertChain([tampered])).rejects.toSatisfy(
      (e) => isChainError(e, 'ErrUnauthorizedSigner') || isChainError(e, 'ErrInvalidSeal'),
    )
    await chain.insertChain([good])
    expect(chain.currentHeader().number).toBe(2n)
  })

  it('insertReceiptChain skips the seals marked false only: other header rules still apply', async () => {
    // b2 is sealed by a key outside the signer set
    const builder = await setup()
    const b1 = await sealedBy(builder, builder.genesis, keyOf(sorted[1] as Uint8Array))
    await builder.insertChain([b1])
    const b2 = await sealedBy(builder, b1.header, key(9))
    await builder.insertReceiptChain([b2], [[]], undefined, { seals: [false] })
    const b3 = await sealedBy(builder, b2.header, keyOf(sorted[0] as Uint8Array))
    const blocks = [b1, b2, b3]
    const checked = await setup()
    await expect(
      checked.insertReceiptChain(blocks, [[], [], []], undefined, { seals: [true, true, true] }),
    ).rejects.toSatisfy(code('ErrUnauthorizedSigner'))
    expect(checked.currentFastHeader().number).toBe(1n) // the valid block before the bad one is kept
    await expect(checked.insertReceiptChain(blocks.slice(1), [[], []])).rejects.toSatisfy(
      code('ErrUnauthorizedSigner'), // no options: every seal checked
    )

    const sampled = await setup()
    await sampled.insertReceiptChain(blocks, [[], [], []], undefined, {
      seals: [true, false, true],
    })
    expect(sampled.currentFastHeader().number).toBe(3n)

    // an unchecked seal does not skip the rest: a block too soon after its parent is refused
    const timed = await setup({ period: 5 })
    const t1 = await sealedBy(timed, timed.genesis, keyOf(sorted[1] as Uint8Array))
    await timed.insertChain([t1])
    const early = await sealedBy(timed, t1.header, keyOf(sorted[2] as Uint8Array), {
      time: t1.header.time + 1n,
    })
    await expect(
      timed.insertReceiptChain([early], [[]], undefined, { seals: [false] }),
    ).rejects.toSatisfy(code('ErrInvalidTimestamp'))
  })

  it('insertReceiptChain derives the body and receipts roots unless rootsChecked says the caller did', async () => {
    const builder = await setup()
    const signer = keyOf(sorted[1] as Uint8Array)
    const other = new Uint8Array(32).fill(7)
    const badTx = await sealedBy(builder, builder.genesis, signer, { txRoot: other })
    const badReceipts = await sealedBy(builder, builder.genesis, signer, { receiptRoot: other })
    const checked = await setup()
    await expect(checked.insertReceiptChain([badTx], [[]])).rejects.toSatisfy(
      code('ErrInvalidBody'),
    )
    await expect(checked.insertReceiptChain([badReceipts], [[]])).rejects.toSatisfy(
      code('ErrInvalidReceipts'),
    )
    expect(checked.currentFastHeader().number).toBe(0n)
    // the downloader matched them on delivery: not derived again (and so not caught here)
    const trusted = await setup()
    await trusted.insertReceiptChain([badReceipts], [[]], undefined, { rootsChecked: true })
    expect(trusted.currentFastHeader().hash).toEqual(badReceipts.hash)
    const trusted2 = await setup()
    await trusted2.insertReceiptChain([badTx], [[]], undefined, { rootsChecked: true })
    expect(trusted2.currentFastHeader().hash).toEqual(badTx.hash)
  })

  it('checkpoints list the signers every epoch; a wrong list is refused', async () => {
    const one = [addrs[0] as Uint8Array]
    const chain = await setup({ signers: one, epoch: 3 })
    const k0 = keys[0] as Uint8Array
    let p = chain.genesis
    for (let i = 0; i < 2; i++) {
      const b = await sealedBy(chain, p, k0)
      await chain.insertChain([b])
      p = b.header
    }
    const cp = await sealedBy(chain, p, k0)
    expect(cliqueCheckpointSigners(cp.header)).toEqual(one)
    const badExtra = concatBytes(new Uint8Array(32), addrs[1] as Uint8Array, new Uint8Array(65))
    const bad = await sealedBy(chain, p, k0, { extra: badExtra })
    await expect(chain.insertChain([bad])).rejects.toSatisfy(code('ErrInvalidCheckpoint'))
    await chain.insertChain([cp])
    expect(chain.currentHeader().number).toBe(3n)
  })

  it('the dev sealer seals an empty block every period and leaves no timer after stop', async () => {
    const k0 = keys[0] as Uint8Array
    const g = devGenesis({ signer: addrs[0] as Uint8Array, periodSeconds: 2 })
    const t = await tempChain({
      genesis: g,
      engine: createClique({ crypto }, { period: 2, signerKey: k0 }),
    })
    cleanups.push(t.cleanup)
    const clock = new FakeClock(1_000_000)
    const sealer = createDevSealer({ chain: t.chain, clock })
    await sealer.start()
    for (let i = 1; i <= 3; i++) {
      expect(clock.pending).toBe(1)
      expect(clock.nextDue()).toBe(clock.now() + 2000) // one timer per period
      clock.tick(2000)
      for (let w = 0; w < 500 && t.chain.currentHeader().number < BigInt(i); w++)
        await new Promise((r) => setTimeout(r, 10))
      expect(t.chain.currentHeader().number).toBe(BigInt(i))
      for (let w = 0; w < 500 && clock.pending === 0; w++)
        await new Promise((r) => setTimeout(r, 10))
    }
    await sealer.stop()
    expect(clock.pending).toBe(0)
    const head = t.chain.currentHeader()
    expect(head.number).toBe(3n)
    expect(head.difficulty).toBe(2n)
    expect(t.chain.engine.author(head)).toEqual(addrs[0])
    expect(head.baseFee).toBeDefined()
    await t.chain.verifyIntegrity()
  })
})
