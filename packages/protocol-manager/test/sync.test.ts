import { bytesToHex } from '@ethwire/rlp-wire'
import { afterEach, describe, expect, it } from 'vitest'
import { connectManagers, waitFor } from '../src/testing.js'
import { cleanupChains, extend, newChain, newManager, stopManagers } from './helpers.js'

afterEach(async () => {
  await stopManagers()
  await cleanupChains()
})

describe('syncer', () => {
  for (const version of [63, 66, 68, 69]) {
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
      expect(a.acceptTxs).toBe(false) // A never synced (nobody was ahead of it)
    })
  }
})
