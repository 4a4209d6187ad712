import { bytesToHex } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import { connectManagers, waitFor } from '../src/testing.js'
import { extend, newChain, newManager, stopAllAfterEach } from './helpers.js'

stopAllAfterEach()

describe('syncer', () => {
  for (const version of [62, 63, 66, 67, 68, 69]) {
    it(`eth/${version}: a new peer with a heavier chain is synced from`, async () => {
      const chainA = await newChain()
      await extend(chainA, 300)
      const chainB = await newChain()
      const a = newManager(chainA)
      const b = newManager(chainB)
      a.start()
      b.start()
      const done: unknown[] = []
      b.on('sync:done', (e) => done.push(e))
      connectManagers(a, b, { version })
      await waitFor(() => chainB.currentHeader().number === 300n, 10_000, 'B at 300')
      expect(bytesToHex(chainB.currentHeader().hash)).toBe(bytesToHex(chainA.currentHeader().hash))
      await waitFor(() => done.length === 1)
      expect(b.acceptTxs).toBe(true)
      // A's round with B found nobody ahead: A is in sync and takes transactions too.
      await waitFor(() => a.acceptTxs, 5_000, 'A in sync')
    })
  }

  it('a sync draws on every peer that has the chain', async () => {
    const source = await newChain()
    const blocks = await extend(source, 600, { txEvery: 2 })
    const servers = [source, await newChain(), await newChain()]
    for (const c of servers.slice(1)) await c.insertChain(blocks)
    const pms = servers.map((c) => newManager(c, {}, { minSyncPeers: 100 }))
    for (const pm of pms) pm.start()
    const target = await newChain()
    const b = newManager(target, {}, { minSyncPeers: 3 })
    b.start()
    const before = pms.map((pm) => pm.stats().bytesSent)
    for (const [i, pm] of pms.entries())
      connectManagers(pm, b, { version: 68, nameA: `s${i}`, nameB: 'b' })
    await waitFor(() => target.currentHeader().number === 600n, 20_000, 'synced')
    const served = pms.map((pm, i) => pm.stats().bytesSent - before[i]!)
    // Beyond its Status, more than one server sent data (bodies are spread over idle peers).
    expect(served.filter((bytes) => bytes > 10_000).length).toBeGreaterThan(1)
  })
})
