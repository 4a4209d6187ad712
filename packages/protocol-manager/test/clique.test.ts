/**
 * The node's composition on a clique dev chain (devGenesis + createDevSealer + createClique):
 * a new node syncs the sealed chain, a newly sealed block reaches it through announceMined and
 * the block fetcher with the engine's header check, and a block signed by an unauthorized key
 * gets its sender dropped.
 */
import { type Chain, createClique, createDevSealer, devGenesis } from '@ethwire/chain'
import { tempChain } from '@ethwire/chain/testing'
import * as crypto from '@ethwire/crypto'
import { FakeClock } from '@ethwire/interface/testing'
import { type BlockHeader, bytesToHex, DisconnectReason } from '@ethwire/rlp-wire'
import { afterEach, describe, expect, it } from 'vitest'
import type { ProtocolManagerEvents } from '../src/index.js'
import { attachRemote, connectManagers, waitFor } from '../src/testing.js'
import { forkConfig, newManager, stopManagers } from './helpers.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  await stopManagers()
  for (const c of cleanups.splice(0)) await c()
})

const signerKey = new Uint8Array(32).fill(0x11)
const intruderKey = new Uint8Array(32).fill(0x22)
const genesis = devGenesis({ signer: crypto.privateKeyToAddress(signerKey), periodSeconds: 1 })

async function cliqueChain(key?: Uint8Array): Promise<Chain> {
  const t = await tempChain({
    genesis,
    engine: createClique({ crypto }, { period: 1, ...(key ? { signerKey: key } : {}) }),
  })
  cleanups.push(t.cleanup)
  return t.chain
}

/** What the node passes as verifyHeader: the chain's engine against the stored parent. */
const verifierOf = (chain: Chain) => async (header: BlockHeader) => {
  const parent = await chain.getHeader(header.parentHash, header.number - 1n)
  if (!parent) throw new Error(`unknown parent of ${header.number}`)
  const reader = {
    config: chain.config,
    getHeader: (h: Uint8Array, n: bigint) => chain.getHeader(h, n),
  }
  await chain.engine.verifyHeader(reader, header, parent)
}

describe('clique dev chain', () => {
  it('sync, then sealed blocks propagate through the fetcher with the engine check; an intruder is dropped', async () => {
    const a = await cliqueChain(signerKey)
    const b = await cliqueChain()
    const sealer = createDevSealer({ chain: a, clock: new FakeClock(0) }) // timestamps parent + 1 s
    for (let i = 0; i < 30; i++) await sealer.sealOnce()
    const pmA = newManager(a, { verifyHeader: verifierOf(a) }, { minSyncPeers: 1, acceptTxs: true })
    const pmB = newManager(b, { verifyHeader: verifierOf(b) }, { minSyncPeers: 1 })
    expect(forkConfig(a).genesisHash).toEqual(b.genesis.hash)
    pmA.start()
    pmB.start()
    connectManagers(pmA, pmB, { version: 68, nameA: 'A', nameB: 'B' })
    await waitFor(() => b.currentHeader().number === 30n, 10_000, 'B synced')

    const sealed = await sealer.sealOnce()
    await pmA.announceMined(sealed)
    await waitFor(() => b.currentHeader().number === 31n, 10_000, 'B imported 31')
    expect(bytesToHex(b.currentHeader().hash)).toBe(bytesToHex(sealed.hash))
    expect(pmB.stats().blocksImportedByFetcher).toBe(1)

    // A block on top signed by a key that is not a signer.
    const { buildEmptyBlock } = await import('@ethwire/chain')
    const intruder = createClique({ crypto }, { period: 1, signerKey: intruderKey })
    const forged = await buildEmptyBlock(a, a.currentHeader(), 0n, intruder)
    const removed: ProtocolManagerEvents['peer:removed'][] = []
    pmB.on('peer:removed', (e) => removed.push(e))
    const head = b.currentHeader()
    const r = await attachRemote(pmB, {
      version: 68,
      id: 'intruder',
      local: {
        networkId: 1337n,
        genesisHash: b.genesis.hash,
        head: { hash: head.hash, number: head.number, time: head.time },
        td: (await b.getTd(head.hash))!,
        forks: forkConfig(b),
      },
    })
    const td = (await b.getTd(head.hash))! + forged.header.difficulty
    await r.send({ name: 'NewBlock', block: forged, td })
    await r.done
    expect(removed.map((e) => [e.id, e.error])).toEqual([['intruder', 'ErrBadPeer']])
    expect(r.conn.closeInfo?.reason).toBe(DisconnectReason.UselessPeer)
    expect(b.currentHeader().number).toBe(31n)
    expect(pmB.peerCount).toBe(1) // A is still there
    const why = pmB.log.entries.find((e) => e.message === 'dropping peer')?.context
    expect(why?.causes).toEqual(['ErrInvalidHeader', 'ErrUnauthorizedSigner'])
  })
})
