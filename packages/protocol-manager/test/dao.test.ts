/**
 * The DAO-fork challenge wired into the manager: with a DAO fork block in the options or the
 * chain's config, every new peer is asked for that block's header after the handshake; one on the
 * other side of the fork is dropped (ErrDaoFork, UselessPeer), one that never answers is dropped
 * on the injected clock's 15 s (Timeout), one that has not reached the fork (no header) is kept.
 */
import { buildEmptyBlock, type Chain, createFaker } from '@ethwire/chain'
import { tempChain } from '@ethwire/chain/testing'
import { daoForkExtraData } from '@ethwire/handshake'
import { FakeClock } from '@ethwire/interface/testing'
import { Block, BlockHeader, DisconnectReason, type EthMessage } from '@ethwire/rlp-wire'
import { afterEach, describe, expect, it } from 'vitest'
import type { ProtocolManagerEvents } from '../src/index.js'
import { attachRemote, connectManagers, type RemotePeer, waitFor } from '../src/testing.js'
import {
  cleanupChains,
  drain,
  forkConfig,
  localStatusOf,
  newManager,
  powGenesis,
  stopManagers,
} from './helpers.js'

const DAO = 5n
const temps: (() => Promise<void>)[] = []
afterEach(async () => {
  await stopManagers()
  for (const c of temps.splice(0)) await c().catch(() => {})
  await cleanupChains()
})

/** A chain of 10 blocks; with `proFork`, block 5's extra-data is "dao-hard-fork". */
async function daoChain(proFork: boolean, config: Record<string, unknown> = {}): Promise<Chain> {
  const g = powGenesis()
  const t = await tempChain({
    genesis: { ...g, config: { ...g.config, ...config } },
    engine: createFaker(),
  })
  temps.push(t.cleanup)
  const chain = t.chain
  let parent = chain.currentHeader()
  for (let i = 1n; i <= 10n; i++) {
    let block = await buildEmptyBlock(chain, parent, parent.time + 10n)
    if (i === DAO && proFork) {
      block = new Block(
        BlockHeader.fromData({ ...block.header.toData(), extra: daoForkExtraData }),
        {
          transactions: [],
          uncles: [],
        },
      )
    }
    await chain.insertChain([block])
    parent = block.header
  }
  return chain
}

/** Waits for the manager's request of the fork block's header. */
async function forkHeaderRequest(r: RemotePeer) {
  for (;;) {
    const m = await r.readUntil('GetBlockHeaders', 3_000)
    const o = m.request.origin
    if ('number' in o && o.number === DAO && m.request.amount === 1n) return m
  }
}

const removedOf = (pm: ReturnType<typeof newManager>) => {
  const removed: ProtocolManagerEvents['peer:removed'][] = []
  pm.on('peer:removed', (e) => removed.push(e))
  return removed
}

describe('DAO-fork challenge against a test-played peer', () => {
  const answers: Record<string, (h: BlockHeader) => BlockHeader[]> = {
    'pro-fork header': (h) => [BlockHeader.fromData({ ...h.toData(), extra: daoForkExtraData })],
    'no-fork header': (h) => [h],
    'no header (not there yet)': () => [],
  }
  for (const support of [true, false]) {
    for (const [name, answer] of Object.entries(answers)) {
      const keep = name.startsWith('no header') || name.startsWith('pro') === support
      it(`support ${support}, ${name}: ${keep ? 'kept' : 'dropped'}`, async () => {
        const chain = await daoChain(false)
        const pm = newManager(chain, {}, { minSyncPeers: 100, daoFork: { block: DAO, support } })
        await pm.start()
        const removed = removedOf(pm)
        const r = await attachRemote(pm, { version: 68, local: await localStatusOf(chain) })
        const req = await forkHeaderRequest(r)
        const h5 = (await chain.getHeaderByNumber(DAO))!
        await r.send({ name: 'BlockHeaders', requestId: req.requestId, headers: answer(h5) })
        if (keep) {
          // Still served after the challenge.
          await r.send({
            name: 'GetBlockHeaders',
            requestId: 9n,
            request: { origin: { number: 2n }, amount: 1n, skip: 0n, reverse: false },
          })
          expect((await r.readUntil('BlockHeaders')).headers[0]!.number).toBe(2n)
          expect(pm.peerCount).toBe(1)
          expect(removed).toEqual([])
        } else {
          await r.done
          expect(r.conn.closeInfo).toEqual({ reason: DisconnectReason.UselessPeer, remote: true })
          expect(removed).toMatchObject([{ error: 'ErrDaoFork', cause: 'ErrDaoForkMismatch' }])
          expect(pm.stats().peersDropped).toBe(1)
        }
      })
    }
  }

  it('a header of another block is a mismatch too', async () => {
    const chain = await daoChain(true)
    const pm = newManager(chain, {}, { minSyncPeers: 100, daoFork: { block: DAO, support: true } })
    await pm.start()
    const removed = removedOf(pm)
    const r = await attachRemote(pm, { version: 66, local: await localStatusOf(chain) })
    const req = await forkHeaderRequest(r)
    const h6 = (await chain.getHeaderByNumber(6n))!
    await r.send({ name: 'BlockHeaders', requestId: req.requestId, headers: [h6] })
    await r.done
    expect(removed).toMatchObject([{ error: 'ErrDaoFork', cause: 'ErrDaoForkMismatch' }])
  })

  it('no answer: dropped after 15 s on the injected clock (Timeout)', async () => {
    const chain = await daoChain(true)
    const clock = new FakeClock()
    const pm = newManager(
      chain,
      { clock },
      { minSyncPeers: 100, daoFork: { block: DAO, support: true } },
    )
    await pm.start()
    const removed = removedOf(pm)
    const r = await attachRemote(pm, { version: 68, local: await localStatusOf(chain) })
    await forkHeaderRequest(r)
    clock.tick(14_999)
    await new Promise((res) => setTimeout(res, 20))
    expect(pm.peerCount).toBe(1)
    clock.tick(1)
    await r.done
    expect(r.conn.closeInfo).toEqual({ reason: DisconnectReason.Timeout, remote: true })
    expect(removed).toMatchObject([
      { error: 'ErrDaoFork', cause: 'ErrDaoChallengeTimeout', reason: DisconnectReason.Timeout },
    ])
  })

  it('without a DAO fork block (options or chain config) nobody is challenged', async () => {
    const chain = await daoChain(false)
    const pm = newManager(chain, {}, { minSyncPeers: 100 })
    await pm.start()
    const r = await attachRemote(pm, { version: 68, local: await localStatusOf(chain) })
    const got: EthMessage[] = await drain(r, 200)
    expect(got.filter((m) => m.name === 'GetBlockHeaders')).toEqual([])
  })
})

describe('DAO-fork challenge between managers (the fork block from the chain config)', () => {
  it('a pro-fork and a no-fork node drop each other; two pro-fork nodes stay and sync', async () => {
    const pro = { daoForkBlock: Number(DAO), daoForkSupport: true }
    const con = { daoForkBlock: Number(DAO), daoForkSupport: false }
    const chainPro = await daoChain(true, pro)
    const chainCon = await daoChain(false, con)
    const fc = forkConfig(chainPro)
    // Same genesis (the DAO keys do not change it), so the handshake passes.
    expect(chainCon.genesis.hash).toEqual(chainPro.genesis.hash)
    const pmPro = newManager(chainPro, {}, { minSyncPeers: 100, forkConfig: fc })
    const pmCon = newManager(chainCon, {}, { minSyncPeers: 100, forkConfig: fc })
    await pmPro.start()
    await pmCon.start()
    const removedPro = removedOf(pmPro)
    const removedCon = removedOf(pmCon)
    const link = connectManagers(pmPro, pmCon, { version: 68, nameA: 'pro', nameB: 'con' })
    await link.done
    const codes = [...removedPro, ...removedCon].map((e) => e.error)
    // At least one side decided first and dropped the other; no side kept its peer.
    expect(codes).toContain('ErrDaoFork')
    expect(pmPro.peerCount + pmCon.peerCount).toBe(0)

    // A pro-fork node that is behind: challenged, verified, then synced from.
    const behind = await daoChain(true, pro)
    const ahead = chainPro
    const [b11] = [
      await buildEmptyBlock(ahead, ahead.currentHeader(), ahead.currentHeader().time + 10n),
    ]
    await ahead.insertChain([b11!])
    const pmBehind = newManager(behind, {}, { minSyncPeers: 1, forkConfig: fc })
    await pmBehind.start()
    const removedBehind = removedOf(pmBehind)
    connectManagers(pmPro, pmBehind, { version: 68, nameA: 'pro', nameB: 'behind' })
    await waitFor(() => behind.currentHeader().number === 11n, 10_000, 'synced past the fork')
    expect(removedBehind).toEqual([])
    expect(pmBehind.log.entries.some((e) => e.message === 'DAO fork challenge')).toBe(true)
  })
})
