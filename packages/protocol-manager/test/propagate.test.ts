/**
 * Block propagation: √n whole blocks and hashes to the rest, nothing to eth/69 peers, dangling
 * blocks skipped; NewBlock / NewBlockHashes among 4 in-process managers (mesh and line) through
 * the block fetcher; a NewBlock that shows a heavier chain triggers a sync.
 */
import type { Chain } from '@ethwire/chain'
import { type Block, bytesToHex } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import type { ProtocolManager } from '../src/index.js'
import { attachRemote, connectManagers, waitFor } from '../src/testing.js'
import {
  buildBlocks,
  drain,
  extend,
  localStatusOf,
  newChain,
  newManager,
  stopAllAfterEach,
} from './helpers.js'

stopAllAfterEach()

describe('broadcastBlock', () => {
  for (const n of [1, 2, 4, 9, 16]) {
    it(`${n} eth/68 peers (+2 eth/69): whole block to ⌊√${n}⌋, hash to the rest, nothing to eth/69`, async () => {
      const chain = await newChain()
      await extend(chain, 20)
      const pm = newManager(chain, {}, { minSyncPeers: 100 })
      pm.start()
      const local = await localStatusOf(chain)
      const eth68 = await Promise.all(
        Array.from({ length: n }, () => attachRemote(pm, { version: 68, local })),
      )
      const eth69 = await Promise.all(
        Array.from({ length: 2 }, () => attachRemote(pm, { version: 69, local })),
      )
      const [block] = await buildBlocks(chain, 1)
      const b = block!
      const whole = await pm.broadcastBlock(b, true)
      const hashes = await pm.broadcastBlock(b, false)
      const sqrt = Math.max(1, Math.floor(Math.sqrt(n)))
      expect(whole).toBe(sqrt)
      expect(hashes).toBe(n - sqrt)
      // Each peer gets exactly one message: read it (generous timeout), then check nothing follows.
      const got = await Promise.all(
        eth68.map(async (r) => [await r.read(5_000), ...(await drain(r, 50))]),
      )
      const withBlock = got.filter((ms) => ms.some((m) => m.name === 'NewBlock'))
      const withHash = got.filter((ms) => ms.some((m) => m.name === 'NewBlockHashes'))
      expect(withBlock.length).toBe(sqrt)
      expect(withHash.length).toBe(n - sqrt)
      expect(got.every((ms) => ms.length === 1)).toBe(true) // nobody gets both
      const nb = withBlock[0]!.find((m) => m.name === 'NewBlock')!
      if (nb.name !== 'NewBlock') throw new Error('unreachable')
      const parentTd = (await chain.getTd(b.header.parentHash))!
      expect(nb.td).toBe(parentTd + b.header.difficulty)
      expect(bytesToHex(nb.block.hash)).toBe(bytesToHex(b.hash))
      for (const r of eth69) expect(await drain(r, 50)).toEqual([])
      // Everybody knows it now: a second round sends nothing.
      expect(await pm.broadcastBlock(b, true)).toBe(0)
      expect(await pm.broadcastBlock(b, false)).toBe(0)
    })
  }

  it('skips peers that told us about the block', async () => {
    const chain = await newChain()
    await extend(chain, 5)
    const pm = newManager(chain, {}, { minSyncPeers: 100 })
    pm.start()
    const local = await localStatusOf(chain)
    const rs = await Promise.all([0, 1, 2].map(() => attachRemote(pm, { version: 68, local })))
    const [b] = await buildBlocks(chain, 1)
    await rs[0]!.send({ name: 'NewBlockHashes', entries: [{ hash: b!.hash, number: 6n }] })
    await waitFor(() => pm.stats().newBlockHashesReceived === 1)
    expect(await pm.broadcastBlock(b!, false)).toBe(2)
    expect(await drain(rs[0]!, 50)).toEqual(
      // rs[0] announced it: the fetcher may ask it for the header, but it gets no announcement
      expect.not.arrayContaining([expect.objectContaining({ name: 'NewBlockHashes' })]),
    )
  })

  it('a block with an unknown parent is not propagated (logged)', async () => {
    const chain = await newChain()
    await extend(chain, 3)
    const pm = newManager(chain, {}, { minSyncPeers: 100 })
    pm.start()
    const r = await attachRemote(pm, { version: 68, local: await localStatusOf(chain) })
    const [, second] = await buildBlocks(chain, 2) // block 5: its parent (4) is not stored
    expect(await pm.broadcastBlock(second!, true)).toBe(0)
    expect(pm.log.entries.some((e) => e.message.includes('dangling'))).toBe(true)
    expect(await drain(r, 50)).toEqual([])
  })
})

async function network(size: number, topology: 'mesh' | 'line', height: number) {
  const chains: Chain[] = []
  const pms: ProtocolManager[] = []
  for (let i = 0; i < size; i++) {
    const c = await newChain()
    await extend(c, height) // identical blocks: the builds are deterministic
    chains.push(c)
    const pm = newManager(c, {}, { minSyncPeers: 100, syncIntervalMs: 60_000 })
    pm.start()
    pms.push(pm)
  }
  for (let i = 0; i < size; i++) {
    for (let j = i + 1; j < size; j++) {
      if (topology === 'line' && j !== i + 1) continue
      connectManagers(pms[i]!, pms[j]!, { version: 68, nameA: `n${i}`, nameB: `n${j}` })
    }
  }
  const want = topology === 'mesh' ? size - 1 : 1
  await waitFor(() =>
    pms.every(
      (pm, i) => pm.peerCount === (topology === 'mesh' ? want : i === 0 || i === size - 1 ? 1 : 2),
    ),
  )
  return { chains, pms }
}

async function mine(chain: Chain, pm: ProtocolManager, count: number): Promise<Block[]> {
  const out: Block[] = []
  for (let i = 0; i < count; i++) {
    const [b] = await buildBlocks(chain, 1)
    await chain.insertChain([b!])
    await pm.announceMined(b!)
    out.push(b!)
  }
  return out
}

describe('propagation among in-process managers', () => {
  it('4 managers, full mesh: a mined block reaches everyone through NewBlock and NewBlockHashes', async () => {
    const { chains, pms } = await network(4, 'mesh', 10)
    const [b] = await mine(chains[0]!, pms[0]!, 1)
    await waitFor(() => chains.every((c) => c.currentHeader().number === 11n), 10_000, 'all at 11')
    for (const c of chains) expect(bytesToHex(c.currentHeader().hash)).toBe(bytesToHex(b!.hash))
    const s = pms.map((pm) => pm.stats())
    // The miner sent the whole block to ⌊√3⌋ = 1 peer and the hash to 2.
    expect(s.slice(1).reduce((a, x) => a + x.newBlockReceived, 0)).toBeGreaterThanOrEqual(1)
    expect(s.slice(1).reduce((a, x) => a + x.newBlockHashesReceived, 0)).toBeGreaterThanOrEqual(2)
    for (const x of s.slice(1)) expect(x.blocksImportedByFetcher).toBe(1)
    expect(s[0]!.blocksImportedByFetcher).toBe(0)
  })

  it('4 managers in a line: blocks are relayed hop by hop', async () => {
    const { chains, pms } = await network(4, 'line', 5)
    const blocks = await mine(chains[0]!, pms[0]!, 3)
    await waitFor(() => chains[3]!.currentHeader().number === 8n, 10_000, 'last node at 8')
    expect(bytesToHex(chains[3]!.currentHeader().hash)).toBe(bytesToHex(blocks[2]!.hash))
    // The far end only ever hears from its one neighbour, which relayed what its fetcher imported.
    expect(pms[2]!.stats().blocksImportedByFetcher).toBe(3)
    expect(pms[3]!.stats().blocksImportedByFetcher).toBe(3)
    const imported: unknown[] = []
    pms[3]!.on('block:imported', (e) => imported.push(e))
    await mine(chains[0]!, pms[0]!, 1)
    await waitFor(() => imported.length === 1, 10_000, 'block:imported event')
    expect(imported[0]).toMatchObject({ number: 9n, count: 1, source: 'fetcher' })
  })

  it('a NewBlock that shows a heavier chain makes us sync with its sender', async () => {
    const a = await newChain()
    const b = await newChain()
    await b.insertChain(await extend(a, 10))
    const pmA = newManager(a, {}, { minSyncPeers: 1, syncIntervalMs: 60_000 })
    const pmB = newManager(b, {}, { minSyncPeers: 1, syncIntervalMs: 60_000 })
    pmA.start()
    pmB.start()
    const started: unknown[] = []
    pmB.on('sync:start', (e) => started.push(e))
    connectManagers(pmA, pmB, { version: 68, nameA: 'A', nameB: 'B' })
    await waitFor(() => pmA.peerCount === 1 && pmB.peerCount === 1)
    await extend(a, 40) // A moves 40 blocks ahead without telling anyone: too far for the block fetcher
    await new Promise((r) => setTimeout(r, 50))
    expect(b.currentHeader().number).toBe(10n) // equal TDs at arrival: no sync; no timer yet
    expect(started).toEqual([])
    await mine(a, pmA, 1)
    // As in go-ethereum, the sync aims at the announced block's parent (the peer's new head);
    // the block itself was too far ahead for the fetcher when it arrived.
    await waitFor(() => b.currentHeader().number === 50n, 10_000, 'B synced to 50')
    expect(bytesToHex(b.currentHeader().hash)).toBe(
      bytesToHex((await a.getHeaderByNumber(50n))!.hash),
    )
    expect(started).toMatchObject([{ peerId: 'A', ourHead: 10n }])
    expect(pmB.stats().newBlockReceived).toBe(1)
    // The peer's head and TD were set to the announced block's parent.
    const info = pmB.peerInfos()[0]!
    expect(info.head).toBe(bytesToHex((await a.getHeaderByNumber(50n))!.hash))
    expect(info.td).toBe(await a.getTd((await a.getHeaderByNumber(50n))!.hash))
  })

  it('NewBlockHashes from a test peer: header and body fetched from it, block imported; known hashes ignored', async () => {
    const chain = await newChain()
    await extend(chain, 10)
    const pm = newManager(chain, {}, { minSyncPeers: 100 })
    pm.start()
    const r = await attachRemote(pm, { version: 66, local: await localStatusOf(chain) })
    // A hash we already have: nothing is requested.
    await r.send({
      name: 'NewBlockHashes',
      entries: [{ hash: chain.currentHeader().hash, number: 10n }],
    })
    expect(await drain(r, 700)).toEqual([])
    const [next] = await buildBlocks(chain, 1, { txEvery: 1 })
    await r.send({ name: 'NewBlockHashes', entries: [{ hash: next!.hash, number: 11n }] })
    const gh = await r.readUntil('GetBlockHeaders', 3_000)
    expect(gh.request.amount).toBe(1n)
    expect('hash' in gh.request.origin && bytesToHex(gh.request.origin.hash)).toBe(
      bytesToHex(next!.hash),
    )
    await r.send({ name: 'BlockHeaders', requestId: gh.requestId, headers: [next!.header] })
    const gb = await r.readUntil('GetBlockBodies', 3_000)
    expect(gb.hashes.map(bytesToHex)).toEqual([bytesToHex(next!.hash)])
    await r.send({ name: 'BlockBodies', requestId: gb.requestId, bodies: [next!.body()] })
    await waitFor(() => chain.currentHeader().number === 11n, 5_000, 'imported 11')
    expect(pm.stats().blocksImportedByFetcher).toBe(1)
  })
})
